package mounts

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// maxSourceLinks bounds the symlinks followed while resolving one source,
// as the kernel's own limit (40) does for a path lookup.
const maxSourceLinks = 40

// OpenSource opens the host path source of a bind, socket or [[file]] as
// an O_PATH fd, one component at a time from "/", and never follows a
// symlink that someone other than owners could have placed: a link is
// followed only when owners own it and its directory, and that directory
// is not writable by group or others (or is sticky, as /tmp is). A jail
// that can write below a bind source (a rw bind, a state dir) or a user
// who owns one could otherwise swap a component for a link at any time
// and have the next start show, or copy, a file they cannot read: the
// mount or copy is made from this fd, so what was checked is what is used.
// The links an admin writes (/etc/localtime, /dev/log, merged-/usr's /lib)
// sit in root's directories and are followed.
//
// flags open the last component (O_PATH, or O_RDONLY|O_NONBLOCK to copy a
// file), always with O_NOFOLLOW. With no owners (a rootless jail, which can
// reach nothing its caller cannot) every link is followed.
func OpenSource(source string, flags int, owners ...int) (*os.File, error) {
	if !path.IsAbs(source) {
		return nil, &os.PathError{Op: "open source", Path: source, Err: unix.EINVAL}
	}
	fd, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: "/", Err: err}
	}
	rest := components(source)
	at := "" // the path resolved so far, for messages
	for links := 0; len(rest) > 0; {
		name := rest[0]
		rest = rest[1:]
		next, err := unix.Openat(fd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			unix.Close(fd)
			return nil, &os.PathError{Op: "open source", Path: source, Err: err}
		}
		var st unix.Stat_t
		if err := unix.Fstat(next, &st); err != nil {
			unix.Close(fd)
			unix.Close(next)
			return nil, &os.PathError{Op: "stat", Path: at + "/" + name, Err: err}
		}
		if st.Mode&unix.S_IFMT != unix.S_IFLNK {
			if len(rest) == 0 && flags != unix.O_PATH {
				next, err = reopen(fd, next, name, &st, flags)
				if err != nil {
					unix.Close(fd)
					return nil, &os.PathError{Op: "open source", Path: source, Err: err}
				}
			}
			unix.Close(fd)
			fd = next
			switch {
			case name != "..":
				at = at + "/" + name
			case at != "":
				if at = path.Dir(at); at == "/" {
					at = ""
				}
			}
			continue
		}
		target, err := trustedLink(fd, next, &st, at, name, owners)
		unix.Close(next)
		if err == nil && links >= maxSourceLinks {
			err = fmt.Errorf("%s: more than %d symlinks: %w", source, maxSourceLinks, unix.ELOOP)
		}
		if err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("source %s: %w", source, err)
		}
		links++
		rest = append(components(target), rest...)
		if path.IsAbs(target) {
			unix.Close(fd)
			if fd, err = unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
				return nil, &os.PathError{Op: "open", Path: "/", Err: err}
			}
			at = ""
		}
	}
	if at == "" {
		at = "/"
	}
	return os.NewFile(uintptr(fd), at), nil
}

// components splits a path into the names a lookup walks.
func components(p string) []string {
	var names []string
	for _, n := range strings.Split(p, "/") {
		if n != "" && n != "." {
			names = append(names, n)
		}
	}
	return names
}

// reopen opens name in dir again with flags, and checks it is still the
// file the O_PATH fd pathFD names, which it closes.
func reopen(dir, pathFD int, name string, was *unix.Stat_t, flags int) (int, error) {
	unix.Close(pathFD)
	fd, err := unix.Openat(dir, name, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Dev != was.Dev || st.Ino != was.Ino {
		unix.Close(fd)
		return -1, unix.ESTALE // replaced while it was being opened
	}
	return fd, nil
}

// trustedLink returns the target of the symlink link, named name in the
// directory dir (at), when owners placed it there and nobody else could
// have; otherwise an error naming the link and the fix.
func trustedLink(dir, link int, st *unix.Stat_t, at, name string, owners []int) (string, error) {
	where := at + "/" + name
	owned := func(uid uint32) bool {
		if len(owners) == 0 {
			return true
		}
		for _, o := range owners {
			if int(uid) == o {
				return true
			}
		}
		return false
	}
	var dst unix.Stat_t
	if err := unix.Fstat(dir, &dst); err != nil {
		return "", &os.PathError{Op: "stat", Path: at, Err: err}
	}
	dirOpen := len(owners) > 0 && dst.Mode&0o022 != 0 && dst.Mode&unix.S_ISVTX == 0
	if !owned(st.Uid) || !owned(dst.Uid) || dirOpen {
		why := fmt.Sprintf("the link is owned by uid %d", st.Uid)
		if owned(st.Uid) {
			why = fmt.Sprintf("its directory %s is owned by uid %d (mode %04o)", displayDir(at), dst.Uid, dst.Mode&0o7777)
		}
		return "", fmt.Errorf("%s is a symlink that someone other than root could have placed (%s): fsviews does not follow it, since a jail or user writing there could point a bind or a copy at any file; write the path it should lead to in the profile", where, why)
	}
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(link, "", buf)
	if err != nil {
		return "", &os.PathError{Op: "readlink", Path: where, Err: err}
	}
	if n == 0 {
		return "", &os.PathError{Op: "readlink", Path: where, Err: errors.New("empty link")}
	}
	return string(buf[:n]), nil
}

func displayDir(at string) string {
	if at == "" {
		return "/"
	}
	return at
}
