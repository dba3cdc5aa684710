package mounts

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Attr is a set of MOUNT_ATTR_* flags.
type Attr uint64

const (
	ReadOnly Attr = unix.MOUNT_ATTR_RDONLY
	NoSuid   Attr = unix.MOUNT_ATTR_NOSUID
	NoDev    Attr = unix.MOUNT_ATTR_NODEV
	NoExec   Attr = unix.MOUNT_ATTR_NOEXEC
)

func (a Attr) String() string {
	s := ""
	for _, f := range []struct {
		bit  Attr
		name string
	}{{ReadOnly, "ro"}, {NoSuid, "nosuid"}, {NoDev, "nodev"}, {NoExec, "noexec"}} {
		if a&f.bit != 0 {
			if s != "" {
				s += ","
			}
			s += f.name
		}
	}
	return s
}

// MakePrivate stops mount events from propagating between this mount
// namespace and the host's, in both directions. It must run right after
// unshare(CLONE_NEWNS) and before any mount: with a shared "/" (systemd's
// default) every mount below would otherwise appear on the host too.
func MakePrivate() error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return &os.PathError{Op: "make mounts private (mount MS_REC|MS_PRIVATE)", Path: "/", Err: err}
	}
	return nil
}

// Tree is a detached mount tree, ready to be moved into the view.
type Tree struct {
	fd   int
	what string // for messages
}

// Close releases a tree that was not attached; an attached tree's fd is
// closed by Attach.
func (t *Tree) Close() error { return unix.Close(t.fd) }

// Clone makes a detached copy of the host tree at source, submounts
// included, and applies attrs to every mount in it. The copy is private:
// later host mounts below source do not appear in it.
func Clone(source string, attrs Attr) (*Tree, error) {
	return cloneWithAttrs(unix.AT_FDCWD, source, source, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE, attrs)
}

// CloneTree is Clone for a source already opened safely (OpenSource):
// the tree at f, submounts included.
func CloneTree(f *os.File, attrs Attr) (*Tree, error) {
	fd, err := unix.OpenTree(int(f.Fd()), "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH|unix.AT_RECURSIVE)
	if err != nil {
		return nil, &os.PathError{Op: "open_tree (clone)", Path: f.Name(), Err: err}
	}
	return setAttrs(fd, f.Name(), attrs)
}

// CloneSource is Clone for a bind source opened with OpenBindSource: the
// tree at src, submounts included, made attrs (and private) before it is
// returned, so it is never attached with other attributes. src stays
// open.
func CloneSource(src Source, attrs Attr) (*Tree, error) {
	return cloneWithAttrs(src.fd, "", src.name, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, attrs)
}

// noOpenTreeAttr is set once the kernel said it has no open_tree_attr.
var noOpenTreeAttr atomic.Bool

// cloneWithAttrs clones the tree at dfd and name (open_tree with flags)
// and sets attrs on it, recursively when flags hold AT_RECURSIVE: in one
// open_tree_attr(2) (Linux 6.15), which does both in the kernel before
// the fd is returned, else open_tree and mount_setattr as setAttrs does.
// Either way the tree is private and has attrs before anyone can attach
// it. what names it in messages.
func cloneWithAttrs(dfd int, name, what string, flags int, attrs Attr) (*Tree, error) {
	if !noOpenTreeAttr.Load() {
		p, err := unix.BytePtrFromString(name)
		if err != nil {
			return nil, &os.PathError{Op: "open_tree (clone)", Path: what, Err: err}
		}
		attr := unix.MountAttr{Attr_set: uint64(attrs), Propagation: unix.MS_PRIVATE}
		tfd, _, e := unix.Syscall6(unix.SYS_OPEN_TREE_ATTR, uintptr(dfd), uintptr(unsafe.Pointer(p)),
			uintptr(flags), uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr), 0)
		if e == 0 {
			return &Tree{fd: int(tfd), what: what}, nil
		}
		if e == unix.ENOSYS {
			noOpenTreeAttr.Store(true)
		}
		// Any other error: the two calls below say which step failed.
	}
	tfd, err := unix.OpenTree(dfd, name, uint(flags))
	if err != nil {
		return nil, &os.PathError{Op: "open_tree (clone)", Path: what, Err: err}
	}
	return setAttrsFlags(tfd, what, attrs, flags&unix.AT_RECURSIVE != 0)
}

// CloneFD is Clone for a directory already opened safely, such as a state
// dir that was resolved without following symlinks.
func CloneFD(dir *os.File, attrs Attr) (*Tree, error) {
	fd, err := unix.OpenTree(int(dir.Fd()), "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH)
	if err != nil {
		return nil, &os.PathError{Op: "open_tree (clone)", Path: dir.Name(), Err: err}
	}
	return setAttrs(fd, dir.Name(), attrs)
}

func setAttrs(fd int, what string, attrs Attr) (*Tree, error) {
	return setAttrsFlags(fd, what, attrs, true)
}

func setAttrsFlags(fd int, what string, attrs Attr, recursive bool) (*Tree, error) {
	attr := &unix.MountAttr{Attr_set: uint64(attrs), Propagation: unix.MS_PRIVATE}
	flags, op := uint(unix.AT_EMPTY_PATH), "mount_setattr "+attrs.String()
	if recursive {
		flags |= unix.AT_RECURSIVE
		op += " (recursive)"
	}
	if err := unix.MountSetattr(fd, "", flags, attr); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: op, Path: what, Err: err}
	}
	return &Tree{fd: fd, what: what}, nil
}

// NewFS creates a detached mount of a new file system instance (tmpfs,
// proc, devpts) with the given fsconfig string options.
func NewFS(fstype string, options map[string]string, attrs Attr) (*Tree, error) {
	fsfd, err := unix.Fsopen(fstype, unix.FSOPEN_CLOEXEC)
	if err != nil {
		return nil, &os.PathError{Op: "fsopen", Path: fstype, Err: err}
	}
	defer unix.Close(fsfd)
	for key, value := range options {
		if err := unix.FsconfigSetString(fsfd, key, value); err != nil {
			return nil, fmt.Errorf("fsconfig %s %s=%s: %w", fstype, key, value, err)
		}
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return nil, fmt.Errorf("fsconfig create %s: %w", fstype, err)
	}
	fd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, int(attrs))
	if err != nil {
		return nil, fmt.Errorf("fsmount %s (%s): %w", fstype, attrs, err)
	}
	return &Tree{fd: fd, what: fstype}, nil
}

// TmpfsOptions are the fsconfig options of a tmpfs of size bytes (0: the
// kernel default) and permission mode.
func TmpfsOptions(size int64, mode uint32) map[string]string {
	opts := map[string]string{"mode": strconv.FormatUint(uint64(mode), 8)}
	if size > 0 {
		opts["size"] = strconv.FormatInt(size, 10)
	}
	return opts
}

// OwnedTmpfsOptions are TmpfsOptions with the tmpfs's root owned by uid
// and gid. 0 or a negative one leaves the mounter's, which is all a
// rootless jail can name (its user namespace maps no other id).
func OwnedTmpfsOptions(size int64, mode uint32, uid, gid int) map[string]string {
	opts := TmpfsOptions(size, mode)
	if uid > 0 {
		opts["uid"] = strconv.Itoa(uid)
	}
	if gid > 0 {
		opts["gid"] = strconv.Itoa(gid)
	}
	return opts
}

// errnoHint adds what the user can do about the commonest errors.
func errnoHint(err error) string {
	switch {
	case errors.Is(err, unix.ELOOP):
		return ": a path component is a symlink inside the view; fsviews never follows links while building a view (was it planted in a state dir or rw bind?)"
	case errors.Is(err, unix.EROFS):
		return ": it lies inside a read-only bind; create the mountpoint on the host first"
	case errors.Is(err, unix.ENXIO):
		return ": it is a FIFO or socket, not a regular file (left in a state dir?); remove it"
	case errors.Is(err, unix.ENOTDIR):
		return ": a path component is not a directory"
	}
	return ""
}
