package launch

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// listening is what sd_listen_fds(3) would find in fsviews' environment.
type listening struct {
	n        int    // fds 3..3+n-1
	names    string // LISTEN_FDNAMES as given
	warnings []string
}

// maxListenFDs bounds LISTEN_FDS to something a service manager passes.
const maxListenFDs = 4096

// listenFDs reads the socket-activation protocol: LISTEN_PID must be our
// PID (else the sockets were meant for another process, which is what
// sd_listen_fds checks too: they are not passed, with a warning), and
// each of the LISTEN_FDS descriptors from 3 on must be open (else the
// caller's setup is broken: an error, rather than a daemon waiting
// forever on a socket that is not there).
func listenFDs(environ []string, self int) (listening, error) {
	var pidVar, fdsVar, names string
	var hasPID, hasFDs bool
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		switch name {
		case "LISTEN_PID":
			pidVar, hasPID = value, true
		case "LISTEN_FDS":
			fdsVar, hasFDs = value, true
		case "LISTEN_FDNAMES":
			names = value
		}
	}
	if !hasFDs && !hasPID {
		return listening{}, nil
	}
	if !hasFDs || !hasPID {
		return listening{warnings: []string{"LISTEN_PID and LISTEN_FDS must be set together (socket activation): ignoring them, no sockets are passed to the daemon"}}, nil
	}
	pid, err := strconv.Atoi(pidVar)
	if err != nil || pid != self {
		return listening{warnings: []string{fmt.Sprintf("LISTEN_PID=%s is not fsviews' PID %d: the sockets were meant for another process; no sockets are passed to the daemon", pidVar, self)}}, nil
	}
	n, err := strconv.Atoi(fdsVar)
	if err != nil || n < 0 || n > maxListenFDs {
		return listening{}, failed("LISTEN_FDS=%q is not a number of sockets (0 to %d): fix the socket unit or the caller that set it", fdsVar, maxListenFDs)
	}
	// An inherited fd is open without close-on-exec (else it would not
	// have survived the caller's execve); everything fsviews opened
	// itself (the profile, the Go runtime's epoll) is close-on-exec and
	// takes the lowest free numbers, so a missing socket may be taken by
	// one of those by now.
	for fd := 3; fd < 3+n; fd++ {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err == nil && flags&unix.FD_CLOEXEC != 0 {
			err = errors.New("no such inherited file descriptor")
		}
		if err != nil {
			return listening{}, failed("LISTEN_FDS=%d says fds 3 to %d are passed sockets, but fd %d is not open: %w; fix the caller that set LISTEN_FDS", n, 2+n, fd, err)
		}
	}
	if names != "" && strings.Count(names, ":")+1 != n {
		return listening{n: n, warnings: []string{fmt.Sprintf("LISTEN_FDNAMES=%q names %d sockets but LISTEN_FDS=%d: passing them as they are", names, strings.Count(names, ":")+1, n)}, names: names}, nil
	}
	return listening{n: n, names: names}, nil
}

// keepOnly marks every descriptor close-on-exec except stdio and the n
// socket-activation fds from 3, whose close-on-exec flag it clears.
func keepOnly(n int) error {
	for fd := 3; fd < 3+n; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
			return fmt.Errorf("keep socket fd %d open: %w", fd, err)
		}
	}
	if err := unix.CloseRange(uint(3+n), ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("close_range from %d: %w", 3+n, err)
	}
	return nil
}
