// Package pivot makes a view the process's root directory.
package pivot

import (
	"os"

	"golang.org/x/sys/unix"
)

// Into makes the mount whose root directory is newRoot (an fd) the root,
// and detaches the old root so that no host path stays reachable.
//
// pivot_root(".", ".") needs no directory for the old root: the kernel
// stacks the old root on top of the new one at "/", and the MNT_DETACH
// unmount of "." then removes exactly that top mount (the trick runc
// uses). MNT_DETACH because host files stay open in this process (the
// binary, libraries); they keep their mount alive, but nothing can reach
// it by path any more. The namespace is already rprivate, so the unmount
// does not propagate to the host.
func Into(newRoot int) error {
	if err := unix.Fchdir(newRoot); err != nil {
		return &os.PathError{Op: "fchdir", Path: "new root", Err: err}
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return &os.PathError{Op: "pivot_root", Path: ".", Err: err}
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return &os.PathError{Op: "umount2 MNT_DETACH (old root)", Path: ".", Err: err}
	}
	if err := unix.Chdir("/"); err != nil {
		return &os.PathError{Op: "chdir", Path: "/", Err: err}
	}
	return nil
}
