package launch

import (
	"errors"
	"fmt"
	"os/signal"

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
// on the terminal among stdin, stdout and stderr detaches this process
// from it; the process stays in its group, which keeps the shell's job
// control. A session leader (started by a terminal emulator, script(1)
// or a service with StandardInput=tty) loses its terminal the same way,
// but the kernel then sends SIGHUP and SIGCONT to the terminal's
// foreground group, fsviews' own: SIGHUP is ignored for that moment
// (an ignored signal is discarded, not left pending), then handed back
// to the Go runtime, whose handler execve resets to the default.
func detachTerminal(keep bool) error {
	if keep {
		return nil
	}
	if _, err := unix.Setsid(); err == nil || !errors.Is(err, unix.EPERM) {
		return err
	}
	signal.Ignore(unix.SIGHUP)
	defer signal.Reset(unix.SIGHUP)
	for fd := 0; fd <= 2; fd++ {
		err := unix.IoctlSetInt(fd, unix.TIOCNOTTY, 0)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.ENOTTY) && !errors.Is(err, unix.EBADF) {
			return fmt.Errorf("ioctl TIOCNOTTY on fd %d: %w", fd, err)
		}
	}
	return nil
}
