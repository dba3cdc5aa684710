package audit

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// openStored opens rel ("JAIL" or "JAIL/LABEL.json.gz"), below the store
// directory dir, for reading, with openat2 RESOLVE_BENEATH|
// RESOLVE_NO_SYMLINKS: a symlink planted as a jail's directory or as a
// checkpoint cannot redirect diff to a manifest someone else wrote. dir
// itself is the admin's and resolved normally. A regular file is opened
// O_NONBLOCK, so that a FIFO planted under its name cannot block, and must
// then be a regular file. Without openat2 (Linux before 5.6) it fails
// closed, as the walk does.
func openStored(dir, rel string, isDir bool) (*os.File, error) {
	path := dir + "/" + rel
	dirfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(dirfd)
	// RESOLVE_NO_SYMLINKS refuses a symlink as the last component too
	// (ELOOP); O_NOFOLLOW with O_DIRECTORY would say ENOTDIR instead.
	flags := unix.O_RDONLY | unix.O_CLOEXEC
	if isDir {
		flags |= unix.O_DIRECTORY
	} else {
		flags |= unix.O_NONBLOCK | unix.O_NOFOLLOW
	}
	how := unix.OpenHow{Flags: uint64(flags), Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS}
	fd, err := openat2Retry(dirfd, rel, &how)
	switch {
	case errors.Is(err, unix.ELOOP):
		return nil, fmt.Errorf("open %s: a symlink is in the way, which fsviews never writes there: remove it: %w", path, err)
	case errors.Is(err, unix.ENOSYS):
		return nil, fmt.Errorf("open %s: openat2 unavailable (Linux 5.6 or later needed): %w", path, err)
	case err != nil:
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	if !isDir {
		fi, err := f.Stat()
		if err == nil && !fi.Mode().IsRegular() {
			err = fmt.Errorf("not a regular file (%v): remove it", fi.Mode().Type())
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	return f, nil
}

// readDirStored lists the directory of jail in the store dir, never
// through a symlink (see openStored); a missing store or jail directory
// is fs.ErrNotExist.
func readDirStored(dir, jail string) ([]os.DirEntry, error) {
	d, err := openStored(dir, jail, true)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.ReadDir(-1)
}
