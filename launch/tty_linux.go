package launch

import (
	"errors"
	"fmt"

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
//
// A session leader (started by a terminal emulator, script(1), or a
// service with StandardInput=tty) can detach too, but stays the leader of
// a session without a terminal, and such a leader may take any terminal
// without a session with TIOCSCTTY: the daemon would take the caller's
// back and type into it. In place, fsviews is the daemon, so it refuses;
// with a PID namespace (the default) the daemon gets a session of its own.
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
			return fmt.Errorf("fsviews leads the session of the terminal on fd %d, and with pid = false the daemon would lead it too: it could take the terminal back (TIOCSCTTY) and type into it; remove pid = false (the daemon then gets a session of its own), start fsviews with setsid, or pass --tty to keep the terminal on purpose", fd)
		}
		if err := unix.IoctlSetInt(fd, unix.TIOCNOTTY, 0); err != nil {
			return fmt.Errorf("ioctl TIOCNOTTY on fd %d: %w", fd, err)
		}
		return nil
	}
	return nil
}
