package mounts

import (
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// BindSocket binds the unix socket fd to target, a new file inside the
// view. bind(2) takes a path, not a directory fd, so the parent resolved
// safely inside the root is named through its /proc/self/fd link: the
// kernel follows that link to the very directory, never to whatever the
// path would name now.
func (r *Root) BindSocket(fd int, target string) error {
	parent, base, err := r.openParent(target)
	if err != nil {
		return err
	}
	addr := &unix.SockaddrUnix{Name: "/proc/self/fd/" + strconv.Itoa(parent) + "/" + base}
	if err := unix.Bind(fd, addr); err != nil {
		return fmt.Errorf("bind socket %s: %w%s", target, err, errnoHint(err))
	}
	return expectSocket(parent, base, target)
}

func expectSocket(parent int, base, target string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(parent, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("stat %s: %w", target, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return fmt.Errorf("bug: %s is not the socket just bound", target)
	}
	return nil
}
