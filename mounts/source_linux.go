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

// ErrSourceLink is what OpenSource's error wraps when the source goes
// through a symlink it does not follow (errors.Is), so that check can
// report what run would refuse.
var ErrSourceLink = errors.New("symlink in a source")

// linkError is a refused symlink: its message, wrapping ErrSourceLink.
type linkError struct{ msg string }

func (e *linkError) Error() string { return e.msg }
func (e *linkError) Unwrap() error { return ErrSourceLink }

// Links says which symlinks OpenSource follows in a source.
type Links struct {
	// Last follows a symlink at the end of the path (and at the end of
	// where it leads), when Owners placed it there and nobody else could
	// have: the profile's follow = true, for the links a system places
	// (/etc/localtime, /etc/resolv.conf, /dev/log, a library's soname).
	// A link anywhere else in the path is an error.
	Last bool
	// Owners are who may have placed a followed link: root and the caller.
	Owners []int
	// All follows every link (a rootless jail, which can reach nothing
	// its caller cannot).
	All bool
}

// SourceLinks is the policy fsviews run and inspect open a source with,
// so inspect sees what the next start would: no link followed, but the
// last one when the profile says follow = true and root or the caller
// placed it, and every one in a rootless jail (userNS), where root's files
// show as the overflow uid and the caller can reach nothing more through
// a link than without.
func SourceLinks(userNS, follow bool) Links {
	if userNS {
		return Links{All: true}
	}
	return Links{Last: follow, Owners: []int{0, os.Getuid()}}
}

// OpenSource opens the host path source of a bind, socket or [[file]] as
// an O_PATH fd, one component at a time from "/", following no symlink
// but as links allows. Whoever can write a directory on the way (a jail
// through a read-write bind or a state dir, even one running as root; a
// user who owns it) could otherwise swap a component for a link at any
// time and have the next start show, or copy, a file they cannot read.
// Ownership cannot tell a link a root daemon planted in its rw bind from
// one the distribution placed, so the profile's path is literal unless it
// says follow = true. The mount or copy is made from this fd, so what was
// checked is what is used.
//
// flags open the last component (O_PATH, or O_RDONLY|O_NONBLOCK to copy a
// file), always with O_NOFOLLOW.
func OpenSource(source string, flags int, links Links) (*os.File, error) {
	fd, name, _, err := openSource(source, flags, links)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), name), nil
}

// Source is a bind source opened by OpenBindSource: a raw O_PATH
// descriptor, with what a bind needs to know of it.
type Source struct {
	fd   int
	name string // the path it was resolved to
	st   unix.Stat_t
}

// OpenBindSource opens source as OpenSource(source, O_PATH, links) does,
// for CloneSource: no os.File (a finalizer and the runtime poller's
// checks for each of a view's binds), and the file's type from the same
// fstat that checked it. Close it once cloned.
func OpenBindSource(source string, links Links) (Source, error) {
	fd, name, st, err := openSource(source, unix.O_PATH, links)
	if err != nil {
		return Source{fd: -1}, err
	}
	return Source{fd: fd, name: name, st: st}, nil
}

// Kind is the mountpoint a bind of s needs: a directory or a file.
func (s Source) Kind() Kind {
	if s.st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return Directory
	}
	return RegularFile
}

// Name is the path the source was resolved to (OpenSource's File.Name).
func (s Source) Name() string { return s.name }

// Stat is the source's fstat, taken when it was opened.
func (s Source) Stat() unix.Stat_t { return s.st }

// Close closes the source's descriptor.
func (s Source) Close() {
	if s.fd >= 0 {
		unix.Close(s.fd)
	}
}

// openSource is OpenSource on raw descriptors: the fd, the path it was
// resolved to and the fd's stat.
//
// Most sources contain no symlink at all; for those one openat2 with
// RESOLVE_NO_SYMLINKS resolves the whole path at once, with the same
// guarantee as the walk below (no link followed, anywhere) made by the
// kernel in a single lookup. Anything else (a link on the way, which
// openat2 refuses, or at the end, which O_PATH|O_NOFOLLOW returns as
// itself; a kernel without openat2; any error, so its message stays the
// walk's) takes the walk, one component at a time, which applies links.
func openSource(source string, flags int, links Links) (int, string, unix.Stat_t, error) {
	var st unix.Stat_t
	if !path.IsAbs(source) {
		return -1, "", st, &os.PathError{Op: "open source", Path: source, Err: unix.EINVAL}
	}
	if flags == unix.O_PATH {
		fd, err := unix.Openat2(unix.AT_FDCWD, source, &unix.OpenHow{
			Flags:   unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC,
			Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
		})
		if err == nil {
			if err := unix.Fstat(fd, &st); err == nil && st.Mode&unix.S_IFMT != unix.S_IFLNK {
				return fd, path.Clean(source), st, nil
			}
			unix.Close(fd)
		}
	}
	fd, name, err := walkSource(source, flags, links)
	if err != nil {
		return -1, "", st, err
	}
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, "", st, &os.PathError{Op: "stat", Path: name, Err: err}
	}
	return fd, name, st, nil
}

// walkSource resolves source one component at a time from "/" (see
// OpenSource) and returns the fd and the path it led to.
func walkSource(source string, flags int, links Links) (int, string, error) {
	fd, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, "", &os.PathError{Op: "open", Path: "/", Err: err}
	}
	rest := components(source)
	at := "" // the path resolved so far, for messages
	for followed := 0; len(rest) > 0; {
		name := rest[0]
		rest = rest[1:]
		next, err := unix.Openat(fd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			unix.Close(fd)
			return -1, "", &os.PathError{Op: "open source", Path: source, Err: err}
		}
		var st unix.Stat_t
		if err := unix.Fstat(next, &st); err != nil {
			unix.Close(fd)
			unix.Close(next)
			return -1, "", &os.PathError{Op: "stat", Path: at + "/" + name, Err: err}
		}
		if st.Mode&unix.S_IFMT != unix.S_IFLNK {
			if len(rest) == 0 && flags != unix.O_PATH {
				next, err = reopen(fd, next, name, &st, flags)
				if err != nil {
					unix.Close(fd)
					return -1, "", &os.PathError{Op: "open source", Path: source, Err: err}
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
		var target string
		switch {
		case links.All:
			target, err = readLink(next, at+"/"+name)
		case !links.Last || len(rest) > 0:
			err = literalLink(next, at+"/"+name, links.Last)
		default:
			target, err = trustedLink(fd, next, &st, at, name, links.Owners)
		}
		unix.Close(next)
		if err == nil && followed >= maxSourceLinks {
			err = fmt.Errorf("%s: more than %d symlinks: %w", source, maxSourceLinks, unix.ELOOP)
		}
		if err != nil {
			unix.Close(fd)
			return -1, "", fmt.Errorf("source %s: %w", source, err)
		}
		followed++
		rest = append(components(target), rest...)
		if path.IsAbs(target) {
			unix.Close(fd)
			if fd, err = unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
				return -1, "", &os.PathError{Op: "open", Path: "/", Err: err}
			}
			at = ""
		}
	}
	if at == "" {
		at = "/"
	}
	return fd, at, nil
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
	dirOpen := dst.Mode&0o022 != 0 && dst.Mode&unix.S_ISVTX == 0
	if !owned(st.Uid) || !owned(dst.Uid) || dirOpen {
		why := fmt.Sprintf("the link is owned by uid %d", st.Uid)
		if owned(st.Uid) {
			why = fmt.Sprintf("its directory %s is owned by uid %d (mode %04o)", displayDir(at), dst.Uid, dst.Mode&0o7777)
		}
		return "", &linkError{fmt.Sprintf("%s is a symlink that someone other than root could have placed (%s): fsviews does not follow it, since a jail or user writing there could point a bind or a copy at any file; write the path it should lead to in the profile", where, why)}
	}
	return readLink(link, where)
}

// literalLink is the error for a symlink at where, in a source fsviews
// takes literally: intermediate (follow = true covers only the last
// component) or not followed at all.
func literalLink(link int, where string, follow bool) error {
	to, err := readLink(link, where)
	if err != nil {
		return err
	}
	fix := "write the real path in the profile, or follow = true when the last component is a link the system placed (/etc/localtime)"
	if follow {
		fix = "follow = true follows only the last component: write the real path of this one in the profile"
	}
	return &linkError{fmt.Sprintf("%s is a symlink (to %s): fsviews follows no symlink in a source, since whoever can write where it lies (a jail's read-write bind, even one running as root, or a user) could point it at any file before the next start; %s", where, to, fix)}
}

// readLink returns the target of the symlink the O_PATH fd link names.
func readLink(link int, where string) (string, error) {
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
