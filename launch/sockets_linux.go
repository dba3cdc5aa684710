package launch

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/mounts"
	"github.com/fsviews/fsviews/views"
)

// bindSocket binds one host unix socket onto a file in the view. The
// source must be a socket: binding whatever a path names would let a
// replaced /dev/log (a directory, a regular file) widen the view. The
// bind is read-write, as connect(2) needs write permission on the
// socket, and nosuid,nodev like every view mount.
func bindSocket(root *mounts.Root, plan *views.Plan, op views.Op) error {
	src, err := mounts.OpenSource(op.Source, unix.O_PATH, sourceOwners(plan)...)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	if fi.Mode().Type() != os.ModeSocket {
		return fmt.Errorf("source %s is a %s, not a unix socket", op.Source, fileType(fi.Mode()))
	}
	tree, err := mounts.CloneTree(src, mounts.NoSuid|mounts.NoDev)
	if err != nil {
		return err
	}
	return root.Attach(tree, op.Target, mounts.RegularFile)
}

func fileType(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m.IsRegular():
		return "regular file"
	case m&os.ModeSymlink != 0:
		return "symlink"
	case m&os.ModeDevice != 0:
		return "device"
	case m&os.ModeNamedPipe != 0:
		return "named pipe"
	}
	return "special file"
}
