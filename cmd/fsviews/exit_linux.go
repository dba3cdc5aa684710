package main

import (
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/launch"
)

// exitAs ends fsviews as the daemon ended (launch.Exited), so that its caller (systemd, a
// shell) sees the daemon's own status. A death by signal N is re-raised:
// the handler is reset to SIG_DFL with a raw rt_sigaction (the Go
// runtime's own handler would print a traceback for SIGQUIT, SIGSEGV and
// the like, and exit 2), the signal is unblocked and sent to this thread.
// Every signal that can kill a process kills fsviews that way; only one
// whose default action is to ignore or stop (SIGCHLD, SIGCONT, SIGURG,
// SIGWINCH, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU), which cannot have killed
// the daemon in the first place, falls back to exit status 128+N. Core
// dumps of fsviews itself are switched off first: the daemon's is the
// one that matters.
func exitAs(e *launch.Exited) {
	if e.Signal == 0 {
		os.Exit(e.Code)
	}
	runtime.LockOSThread()
	unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	var dfl [4]uint64 // struct kernel_sigaction, all zero: SIG_DFL, no flags, empty mask
	unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(e.Signal), uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0)
	set := uint64(1) << (uint(e.Signal) - 1)
	unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_UNBLOCK, uintptr(unsafe.Pointer(&set)), 0, 8, 0, 0)
	unix.Tgkill(unix.Getpid(), unix.Gettid(), e.Signal)
	os.Exit(128 + int(e.Signal))
}
