package launch

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// detachTerminal gives the daemon no controlling terminal, so that it
// cannot push input into the caller's terminal with TIOCSTI (which needs
// the terminal to be the caller's controlling one, or CAP_SYS_ADMIN) nor
// get its signals. keep (run --tty) leaves the terminal for interactive use.
//
// setsid starts a new session without a terminal, but fails with EPERM
// for a process-group leader, which fsviews is when a shell starts it as
// a job, and which it cannot stop being without forking. Then TIOCNOTTY
// on its controlling terminal (found among stdin, stdout and stderr with
// TIOCGSID, which only answers for the caller's own) detaches this
// process from it; the process stays in its group, which keeps the
// shell's job control.
func detachTerminal(keep bool) error {
	if keep {
		return nil
	}
	if _, err := unix.Setsid(); err == nil || !errors.Is(err, unix.EPERM) {
		return err
	}
	for fd := 0; fd <= 2; fd++ {
		sid, err := unix.IoctlGetInt(fd, unix.TIOCGSID)
		if err != nil {
			continue // not a terminal, or not ours
		}
		if sid == unix.Getpid() {
			return dropAsSessionLeader(fd)
		}
		if err := unix.IoctlSetInt(fd, unix.TIOCNOTTY, 0); err != nil {
			return fmt.Errorf("ioctl TIOCNOTTY on fd %d: %w", fd, err)
		}
		return nil
	}
	return nil
}

// dropAsSessionLeader detaches a session leader (started by a terminal
// emulator, script(1), or a service with StandardInput=tty) from its
// terminal. The kernel then sends SIGHUP and SIGCONT to the terminal's
// foreground group, fsviews' own, and SIGHUP would kill it: it is
// ignored for that moment with a raw rt_sigaction (an ignored signal is
// discarded, not left pending) and the previous action restored exactly.
// os/signal cannot do this: after signal.Ignore, signal.Reset leaves
// SIG_IGN in place, which execve would pass on to the daemon.
func dropAsSessionLeader(fd int) error {
	var ignore, old [4]uint64 // struct kernel_sigaction: handler, flags, restorer, mask
	ignore[0] = 1             // SIG_IGN
	if err := sigaction(unix.SIGHUP, &ignore, &old); err != nil {
		return fmt.Errorf("ignore SIGHUP: %w", err)
	}
	err := unix.IoctlSetInt(fd, unix.TIOCNOTTY, 0)
	if rerr := sigaction(unix.SIGHUP, &old, nil); rerr != nil {
		return fmt.Errorf("restore SIGHUP: %w", rerr)
	}
	if err != nil {
		return fmt.Errorf("ioctl TIOCNOTTY on fd %d: %w", fd, err)
	}
	return nil
}

func sigaction(sig unix.Signal, act, old *[4]uint64) error {
	_, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), 8, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
