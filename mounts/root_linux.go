package mounts

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// Root is the view under construction.
type Root struct {
	fd int
	// dir and dirFD are the last parent directory openParent resolved,
	// kept for the next op under the same directory (a view's binds
	// often share one): see openParent.
	dir   string
	dirFD int
}

// NewRoot mounts the tmpfs that becomes "/" of the view and attaches it
// on top of the current root directory. Attaching there needs no host
// directory, and paths the caller resolves keep naming the host: a
// process's root is the mount below, and lookups do not descend into
// mounts stacked on the starting point. Everything inside the view is
// reached through the root's fd alone.
func NewRoot(size int64, mode uint32) (*Root, error) {
	t, err := NewFS("tmpfs", TmpfsOptions(size, mode), NoSuid|NoDev)
	if err != nil {
		return nil, fmt.Errorf("root tmpfs: %w", err)
	}
	if err := unix.MoveMount(t.fd, "", unix.AT_FDCWD, "/", unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		t.Close()
		return nil, &os.PathError{Op: "move_mount root tmpfs over", Path: "/", Err: err}
	}
	return &Root{fd: t.fd, dirFD: -1}, nil
}

// FD is the root's file descriptor, for pivot_root.
func (r *Root) FD() int { return r.fd }

// Close closes the root's descriptors, once the view is entered.
func (r *Root) Close() {
	r.forget("/")
	unix.Close(r.fd)
}

// forget drops the kept parent directory if a mount at target may hide
// it: target is that directory or one above it. Mounts below it leave
// what its path resolves to unchanged.
func (r *Root) forget(target string) {
	if r.dirFD < 0 {
		return
	}
	t, dir := path.Clean(target), path.Clean(r.dir)
	if t == dir || t == "/" || strings.HasPrefix(dir, t+"/") {
		unix.Close(r.dirFD)
		r.dir, r.dirFD = "", -1
	}
}

// Kind of object a mountpoint must be.
type Kind int

const (
	Directory Kind = iota
	RegularFile
)

// openParent resolves the directory holding target inside the root. The
// fd belongs to r: callers do not close it.
//
// The directory is kept for the next call under the same one (the binds
// of /b/0, /b/1, ... resolve /b once): an fd names the directory it was
// resolved to, without following links, whatever happens to its path
// later, so using it again is as safe as resolving it again, and it
// resolves to the same directory until something is mounted on it or
// above it, which forget (called by every op that mounts) watches for.
func (r *Root) openParent(target string) (int, string, error) {
	dir, base := path.Split(path.Clean(target))
	if base == "" || base == "." || base == ".." {
		return -1, "", fmt.Errorf("bug: bad view path %q", target)
	}
	if r.dirFD >= 0 && dir == r.dir {
		return r.dirFD, base, nil
	}
	fd, err := unix.Openat2(r.fd, strings.TrimPrefix(dir, "/")+".", &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return -1, "", fmt.Errorf("open %s inside the view: %w%s", dir, err, errnoHint(err))
	}
	if r.dirFD >= 0 {
		unix.Close(r.dirFD)
	}
	r.dir, r.dirFD = dir, fd
	return fd, base, nil
}

// Mkdir creates directory target with mode, or accepts one that exists.
func (r *Root) Mkdir(target string, mode uint32) error {
	parent, base, err := r.openParent(target)
	if err != nil {
		return err
	}
	return mkdirAt(parent, base, target, mode)
}

func mkdirAt(parent int, base, target string, mode uint32) error {
	err := unix.Mkdirat(parent, base, mode)
	if errors.Is(err, unix.EEXIST) {
		return expectType(parent, base, target, Directory)
	}
	if err != nil {
		return fmt.Errorf("mkdir %s: %w%s", target, err, errnoHint(err))
	}
	return nil
}

// expectType checks that an existing entry is of kind k and not a symlink.
func expectType(parent int, base, target string, k Kind) error {
	var st unix.Stat_t
	if err := unix.Fstatat(parent, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("stat %s: %w", target, err)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFLNK:
		return fmt.Errorf("%s is a symlink inside the view: fsviews never mounts or writes through links (was it planted in a state dir or rw bind?); remove it", target)
	case unix.S_IFDIR:
		if k == Directory {
			return nil
		}
		return fmt.Errorf("%s is a directory, but a file is needed there", target)
	default:
		if k == RegularFile {
			return nil
		}
		return fmt.Errorf("%s exists and is not a directory", target)
	}
}

// Symlink creates target pointing to to. An identical link is accepted,
// so links inside state dirs survive restarts.
func (r *Root) Symlink(target, to string) error {
	parent, base, err := r.openParent(target)
	if err != nil {
		return err
	}
	err = unix.Symlinkat(to, parent, base)
	if errors.Is(err, unix.EEXIST) {
		buf := make([]byte, unix.PathMax)
		if n, rerr := unix.Readlinkat(parent, base, buf); rerr == nil && string(buf[:n]) == to {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("symlink %s -> %s: %w%s", target, to, err, errnoHint(err))
	}
	return nil
}

// WriteFile writes content to target, or copies the host file source
// (opened with OpenSource) when it is not nil. An existing file is
// replaced; a symlink is not followed.
func (r *Root) WriteFile(target string, content string, source *os.File, mode uint32) error {
	parent, base, err := r.openParent(target)
	if err != nil {
		return err
	}
	// O_NONBLOCK: a FIFO planted at target fails with ENXIO instead of
	// blocking fsviews until some reader shows up.
	fd, err := unix.Openat(parent, base, unix.O_WRONLY|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, mode)
	if err != nil {
		return fmt.Errorf("create %s: %w%s", target, err, errnoHint(err))
	}
	f := os.NewFile(uintptr(fd), target)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat %s: %w", target, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Errorf("%s exists and is not a regular file: fsviews writes [[file]] targets only over regular files; remove it", target)
	}
	// Truncate only now that it is known to be a regular file.
	if err := f.Truncate(0); err != nil {
		return fmt.Errorf("truncate %s: %w", target, err)
	}
	var in io.Reader = strings.NewReader(content)
	if source != nil {
		in = source
	}
	if _, err := io.Copy(f, in); err != nil {
		return fmt.Errorf("write %s: %w", target, err)
	}
	if err := f.Chmod(os.FileMode(mode & 0o777)); err != nil {
		return fmt.Errorf("chmod %s: %w", target, err)
	}
	return nil
}

// Attach moves tree onto target, creating the mountpoint (a directory, or
// an empty file for kind RegularFile) when it is missing.
func (r *Root) Attach(t *Tree, target string, k Kind) error {
	defer t.Close()
	parent, base, err := r.openParent(target)
	if err != nil {
		return err
	}
	if k == Directory {
		if err := mkdirAt(parent, base, target, 0o755); err != nil {
			return err
		}
	} else {
		// mknodat, not open(O_CREAT): opening whatever a jail left at
		// this path in a state dir (a FIFO) could block fsviews forever.
		err := unix.Mknodat(parent, base, unix.S_IFREG|0o444, 0)
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("create mountpoint %s: %w%s", target, err, errnoHint(err))
		}
		if err := expectType(parent, base, target, RegularFile); err != nil {
			return err
		}
	}
	// Onto base in parent, not following a link there (no
	// MOVE_MOUNT_T_SYMLINKS): what an O_PATH|O_NOFOLLOW open of it
	// would name, without the open.
	r.forget(target)
	if err := unix.MoveMount(t.fd, "", parent, base, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("move_mount %s onto %s: %w%s", t.what, target, err, errnoHint(err))
	}
	return nil
}

// SetReadOnly makes the root tmpfs itself read-only; mounts inside it keep
// their own flags.
func (r *Root) SetReadOnly() error {
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
	if err := unix.MountSetattr(r.fd, "", unix.AT_EMPTY_PATH, attr); err != nil {
		return &os.PathError{Op: "mount_setattr ro", Path: "/", Err: err}
	}
	return nil
}

// openInView opens target inside the view as an O_PATH fd, never
// following a symlink. A missing target is reported as os.ErrNotExist.
func (r *Root) openInView(target string) (int, error) {
	fd, err := unix.Openat2(r.fd, strings.TrimPrefix(path.Clean(target), "/"), &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return -1, &os.PathError{Op: "open inside the view", Path: target, Err: err}
	}
	return fd, nil
}

// Rebind binds target, a path already in the view, onto itself with
// nosuid, nodev, noexec and read-only or read-write, so that it keeps
// that mode whatever the mount it lies in. It reports false, and does
// nothing, when target does not exist.
func (r *Root) Rebind(target string, readOnly bool) (bool, error) {
	mp, err := r.openInView(target)
	if errors.Is(err, unix.ENOENT) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer unix.Close(mp)
	fd, err := unix.OpenTree(mp, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH)
	if err != nil {
		return false, &os.PathError{Op: "open_tree (clone)", Path: target, Err: err}
	}
	defer unix.Close(fd)
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC, Propagation: unix.MS_PRIVATE}
	if readOnly {
		attr.Attr_set |= unix.MOUNT_ATTR_RDONLY
	} else {
		attr.Attr_clr = unix.MOUNT_ATTR_RDONLY
	}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, attr); err != nil {
		return false, &os.PathError{Op: "mount_setattr", Path: target, Err: err}
	}
	r.forget(target)
	if err := unix.MoveMount(fd, "", mp, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return false, fmt.Errorf("move_mount %s onto itself: %w", target, err)
	}
	return true, nil
}

// Mask hides target, a path already in the view: a directory behind an
// empty read-only tmpfs, anything else behind the host's /dev/null, read
// only. It reports false, and does nothing, when target does not exist.
func (r *Root) Mask(target string) (bool, error) {
	mp, err := r.openInView(target)
	if errors.Is(err, unix.ENOENT) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer unix.Close(mp)
	var st unix.Stat_t
	if err := unix.Fstat(mp, &st); err != nil {
		return false, &os.PathError{Op: "stat", Path: target, Err: err}
	}
	var t *Tree
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		t, err = NewFS("tmpfs", map[string]string{"mode": "0555", "size": "4096", "nr_inodes": "1"}, ReadOnly|NoSuid|NoDev|NoExec)
	} else {
		t, err = Clone("/dev/null", ReadOnly|NoSuid|NoExec)
	}
	if err != nil {
		return false, fmt.Errorf("mask %s: %w", target, err)
	}
	defer t.Close()
	r.forget(target)
	if err := unix.MoveMount(t.fd, "", mp, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return false, fmt.Errorf("move_mount %s onto %s: %w", t.what, target, err)
	}
	return true, nil
}
