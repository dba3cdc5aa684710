package mounts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// OpenState opens the host side of a state dir, jailDir/rel, creating it
// on first use: jailDir and the directories leading to the state dir
// root-only (0700), the state dir itself with mode and owned by uid:gid.
//
// The jail writes into its state dirs, so below jailDir nothing is
// resolved by path: each component is created and opened relative to its
// parent's fd with O_NOFOLLOW, and a symlink is an error. An existing state
// dir keeps its owner and mode: they may have been changed on purpose.
func OpenState(jailDir, rel string, mode uint32, uid, gid int) (*os.File, error) {
	if err := os.MkdirAll(jailDir, 0o700); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	dirfd, err := unix.Open(jailDir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open state directory", Path: jailDir, Err: err}
	}
	parts := strings.Split(strings.Trim(rel, "/"), "/")
	host := jailDir
	for i, part := range parts {
		host = filepath.Join(host, part)
		leaf := i == len(parts)-1
		perm := uint32(0o700)
		if leaf {
			perm = mode & 0o7777
		}
		created := true
		if err := unix.Mkdirat(dirfd, part, perm); errors.Is(err, unix.EEXIST) {
			created = false
		} else if err != nil {
			unix.Close(dirfd)
			return nil, &os.PathError{Op: "mkdir", Path: host, Err: err}
		}
		flags := unix.O_PATH
		if leaf {
			flags = unix.O_RDONLY
		}
		next, err := unix.Openat(dirfd, part, flags|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(dirfd)
		if err != nil {
			if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
				return nil, fmt.Errorf("state dir %s: %s is not a directory (a symlink planted by the jail?): fsviews does not follow it; inspect and remove it", rel, host)
			}
			return nil, &os.PathError{Op: "open", Path: host, Err: err}
		}
		dirfd = next
		if leaf && created {
			// mkdirat applied the umask; set the mode and owner exactly.
			if err := unix.Fchmod(dirfd, perm); err != nil {
				unix.Close(dirfd)
				return nil, &os.PathError{Op: "chmod", Path: host, Err: err}
			}
			if err := unix.Fchown(dirfd, uid, gid); err != nil {
				unix.Close(dirfd)
				return nil, &os.PathError{Op: "chown", Path: host, Err: err}
			}
		}
	}
	return os.NewFile(uintptr(dirfd), host), nil
}
