package launch

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/internal/sigcatch"
)

// fsviews exec --tty gives the command a pseudo-terminal of the jail's
// own, as runc does for a console: the enter stage, once it is in the
// jail's namespaces and root, opens the ptmx of the view's devpts, makes
// the terminal's other end its controlling terminal and stdio, and hands
// the master to fsviews exec over a socket. fsviews exec relays between
// the master and the caller's terminal, which never enters the jail: a
// jailed command can type into, reconfigure or keep only its own pty.

// jailPtmx is where the view's devpts offers new terminals ([dev]).
const jailPtmx = "/dev/pts/ptmx"

// takeTerminal runs in the enter stage, in the jail's mount namespace and
// root, still with every capability: it makes a new terminal of the
// jail's devpts its controlling terminal and its stdin, stdout and
// stderr, sends the master through sock and waits for fsviews exec to
// have sized it. The terminal belongs to who the command runs as (owner
// as the plan's uid and gid; -1 keeps root's), as a login's would: tools
// that check that their terminal is theirs (ssh, sudo, mesg) accept it.
// jail names the jail in messages.
func takeTerminal(sock *os.File, jail string, owner Identity) error {
	defer sock.Close()
	// Nothing under the view's /dev is followed: the jail may have
	// replaced a path there with a link into /proc or a FIFO.
	ptmx, err := unix.Openat2(unix.AT_FDCWD, jailPtmx, &unix.OpenHow{
		Flags:   unix.O_RDWR | unix.O_NOCTTY | unix.O_NONBLOCK | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	})
	if errors.Is(err, unix.ENOENT) {
		return failed("jail %s has no %s: --tty needs the private pseudo-terminals of a [dev] table in the jail's profile; add [dev], or run without --tty", jail, jailPtmx)
	}
	if err != nil {
		return failed("jail %s: open %s: %w", jail, jailPtmx, err)
	}
	defer unix.Close(ptmx)
	var fs unix.Statfs_t
	if err := unix.Fstatfs(ptmx, &fs); err != nil {
		return failed("jail %s: statfs %s: %w", jail, jailPtmx, err)
	}
	if fs.Type != unix.DEVPTS_SUPER_MAGIC {
		return failed("jail %s: %s is not on a devpts file system (type %#x): something in the jail replaced its /dev/pts; refusing to use it as a terminal", jail, jailPtmx, fs.Type)
	}
	if err := unix.IoctlSetPointerInt(ptmx, unix.TIOCSPTLCK, 0); err != nil {
		return failed("jail %s: unlock the new terminal (TIOCSPTLCK): %w", jail, err)
	}
	// TIOCGPTPEER opens the terminal's other end from the master itself,
	// not by a /dev/pts/N path the jail could have changed.
	peer, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(ptmx), unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
	if errno != 0 {
		return failed("jail %s: open the new terminal's other end (TIOCGPTPEER): %w", jail, errno)
	}
	tty := int(peer)
	defer unix.Close(tty)
	if err := unix.Fchown(tty, owner.UID, owner.GID); err != nil {
		return failed("jail %s: give the new terminal to %d:%d: %w", jail, owner.UID, owner.GID, err)
	}
	if err := unix.Sendmsg(int(sock.Fd()), []byte{0}, unix.UnixRights(ptmx), nil, 0); err != nil {
		return failed("hand the terminal to fsviews exec: %w", err)
	}
	// fsviews exec answers once it has given the terminal the caller's
	// size, so the command reads the right one from its start.
	if n, err := sock.Read(make([]byte, 1)); n != 1 {
		return failed("fsviews exec did not take the terminal: %v", err)
	}
	// The stage leads a session of its own without a terminal (fsviews
	// exec started it with setsid): this one becomes its controlling
	// terminal, and the command's process group the foreground one.
	if err := unix.IoctlSetInt(tty, unix.TIOCSCTTY, 0); err != nil {
		return failed("make the new terminal the controlling one (TIOCSCTTY): %w", err)
	}
	for fd := 0; fd <= 2; fd++ {
		if err := unix.Dup3(tty, fd, 0); err != nil {
			return failed("make the new terminal fd %d: %w", fd, err)
		}
	}
	return nil
}

// terminalRelay is fsviews exec's side of --tty: it copies the caller's
// input to the jail's terminal and the terminal's output to the caller,
// with the caller's terminal (if stdin is one) in raw mode, so that keys
// such as Ctrl-C reach the command's terminal as characters and its line
// discipline signals the command, and the caller's window size follows.
type terminalRelay struct {
	in, out   *os.File
	output    chan struct{} // closed once the output is copied
	finishing atomic.Bool   // the command ended: read only what is left
	winch     chan os.Signal
	mu        sync.Mutex
	master    *os.File
	saved     *unix.Termios // the caller's terminal before raw mode
	done      bool          // finish ran: a master arriving now is closed
}

// startTerminalRelay waits in the background for the master on sock and
// then relays. The stage may fail before it sends one: then sock just
// closes, and the stage's own report says why.
func startTerminalRelay(sock *os.File, in, out *os.File) *terminalRelay {
	r := &terminalRelay{in: in, out: out, output: make(chan struct{}), winch: make(chan os.Signal, 1)}
	go func() {
		defer sock.Close()
		master, err := receiveFD(sock)
		if err != nil {
			close(r.output)
			return
		}
		r.mu.Lock()
		if r.done {
			r.mu.Unlock()
			master.Close()
			close(r.output)
			return
		}
		r.master = master
		r.resize()
		if saved, err := makeRaw(in); err == nil {
			r.saved = saved
		}
		// Cannot fail: fsviews exec caught its other signals through the
		// same pipe before it started the relay.
		sigcatch.Notify(r.winch, unix.SIGWINCH)
		r.mu.Unlock()
		sock.Write([]byte{0}) // sized: the stage may go on
		go r.copyInput(r.saved != nil)
		go func() {
			for range r.winch {
				r.mu.Lock()
				if !r.done {
					r.resize()
				}
				r.mu.Unlock()
			}
		}()
		r.copyOutput()
	}()
	return r
}

// receiveFD reads one descriptor sent with SCM_RIGHTS.
func receiveFD(sock *os.File) (*os.File, error) {
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := unix.Recvmsg(int(sock.Fd()), make([]byte, 1), oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, fmt.Errorf("no descriptor received (%v)", err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, fmt.Errorf("want one descriptor, got %d (%v)", len(fds), err)
	}
	// Non-blocking, so that reads of it can time out (finish).
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		return nil, err
	}
	return os.NewFile(uintptr(fds[0]), "terminal master"), nil
}

// resize gives the jail's terminal the caller's window size (with r.mu
// held); without a terminal on the caller's side it keeps the kernel's.
func (r *terminalRelay) resize() {
	for _, f := range []*os.File{r.in, r.out} {
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil {
			unix.IoctlSetWinsize(int(r.master.Fd()), unix.TIOCSWINSZ, ws)
			return
		}
	}
}

// makeRaw puts terminal f in raw mode, as cfmakeraw(3) does, and returns
// its settings before; an error when f is no terminal, or when this
// process is not in its foreground (a shell's background job must not
// change the modes of the terminal the shell is reading).
func makeRaw(f *os.File) (*unix.Termios, error) {
	t, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		return nil, err
	}
	if fg, err := unix.IoctlGetInt(int(f.Fd()), unix.TIOCGPGRP); err != nil || fg != unix.Getpgrp() {
		return nil, fmt.Errorf("not in the terminal's foreground")
	}
	saved := *t
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, t); err != nil {
		return nil, err
	}
	return &saved, nil
}

// copyInput copies the caller's input to the terminal. At the end of an
// input that is not a terminal it types the EOF character once, as a
// person would end input at a terminal.
func (r *terminalRelay) copyInput(raw bool) {
	io.Copy(r.master, r.in)
	if !raw {
		r.master.Write([]byte{4}) // VEOF, ^D
	}
}

// copyOutput copies the terminal's output to the caller until every end
// of the terminal in the jail is closed (EIO), or, once finish was
// called, until the terminal has been quiet for outputQuiet.
func (r *terminalRelay) copyOutput() {
	defer close(r.output)
	buf := make([]byte, 32<<10)
	for {
		n, err := r.master.Read(buf)
		if n > 0 {
			if _, werr := r.out.Write(buf[:n]); werr != nil {
				return
			}
			if r.finishing.Load() {
				r.master.SetReadDeadline(time.Now().Add(outputQuiet))
			}
		}
		if err != nil {
			return
		}
	}
}

// outputQuiet is how long the relay waits, once the command has ended,
// for more output from processes of it that still hold the terminal.
const outputQuiet = 200 * time.Millisecond

// finish ends the relay once the command has ended: the output still in
// the terminal is copied, the caller's terminal gets its settings back,
// and nothing is copied any more.
func (r *terminalRelay) finish() {
	r.mu.Lock()
	master := r.master
	r.done = true
	r.mu.Unlock()
	if master != nil {
		r.finishing.Store(true)
		master.SetReadDeadline(time.Now().Add(outputQuiet))
		<-r.output
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	sigcatch.Stop(r.winch)
	if r.saved != nil {
		unix.IoctlSetTermios(int(r.in.Fd()), unix.TCSETS, r.saved)
		r.saved = nil
	}
}
