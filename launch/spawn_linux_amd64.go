//go:build !race

// The race detector's build is left out: the ABI wrapper the assembly
// calls daemonChild through reports to the race detector with the init's
// goroutine's state, which a child sharing the memory would corrupt. It
// forks (spawn_linux_other.go).

package launch

import (
	"errors"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// cloneVM is clone(2) with flags, a stack and a thread-local storage
// pointer for the child, which calls daemonChild(s) on that stack and
// never returns (spawn_linux_amd64.s).
func cloneVM(flags, stack, tls uintptr, s *spawnJob) (pid uintptr, errno syscall.Errno)

// childStack is the daemon child's stack, and childTLS the zeroed block
// at its bottom that the child's thread pointer points past. daemonChild
// and all it calls are nosplit, and the linker refuses a chain of nosplit
// calls that could use more than its nosplit limit (under 1 KiB).
const (
	childStack = 64 << 10
	childTLS   = 4 << 10
)

// cloneDaemon starts the daemon's child sharing this process's memory
// (CLONE_VM, without CLONE_VFORK) on a stack of its own. A fork copied the
// page tables of the whole Go runtime, and each process then paid a
// copy-on-write fault, with a TLB shootdown across the init's threads, for
// every page it wrote before the child's execve: the init's privilege drop
// and the child's own steps, on the jail's critical path; perf put ~0.6 ms
// of PID 1's CPU a start there (docs/performance.md). The child writes
// only to its stack, the PID slots and the go byte, none of which the
// init reads or frees before the child has executed the daemon or been
// reaped; the init runs on.
//
// The child gets a thread-local storage of its own, zeroed, where the Go
// runtime keeps the current goroutine: the init's thread switches
// goroutines while the child runs, so a child that read the init's
// (runtime_AfterForkInChild does) could find one just taken off its
// thread, and crash. In its own, any such read finds nil and faults at
// once, in every run, which TestSpawnChild would show. What
// runtime_AfterForkInChild does for a fork, the child does with raw calls
// made here instead, first: the handlers of the signals this process
// catches back to the default, then the signal mask of this thread, as
// it is before runtime_BeforeFork blocks every signal (the Go runtime's
// threads run with the mask the process started with, but for the
// signals it needs unblocked to handle faults).
//
//go:noinline
//go:norace
//go:nocheckptr
func cloneDaemon(s *spawnJob) (int, syscall.Errno) {
	if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_BLOCK, 0, uintptr(unsafe.Pointer(&s.mask)), 8, 0, 0); e != 0 {
		return 0, e
	}
	prelude := make([]rawCall, 0, len(s.caught)+1)
	for _, sig := range s.caught {
		prelude = append(prelude, rawCall{trap: unix.SYS_RT_SIGACTION, a1: uintptr(sig), a2: uintptr(unsafe.Pointer(&s.dfl)), a4: 8,
			what: "reset a caught signal's handler"})
	}
	prelude = append(prelude, rawCall{trap: unix.SYS_RT_SIGPROCMASK, a1: unix.SIG_SETMASK, a2: uintptr(unsafe.Pointer(&s.mask)), a4: 8,
		what: "restore the signal mask"})
	s.calls = append(prelude, s.calls...)

	stack, err := unix.Mmap(-1, 0, childStack, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_STACK)
	if err != nil {
		var errno syscall.Errno
		if errors.As(err, &errno) {
			return 0, errno
		}
		return 0, syscall.ENOMEM
	}
	s.stack = stack
	base := uintptr(unsafe.Pointer(&stack[0]))
	runtime_BeforeFork()
	pid, e := cloneVM(uintptr(syscall.SIGCHLD)|unix.CLONE_VM|unix.CLONE_SETTLS, base+childStack, base+childTLS, s)
	runtime_AfterFork()
	return int(pid), e
}
