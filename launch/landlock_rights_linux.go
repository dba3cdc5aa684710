package launch

import (
	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/views"
)

// The Landlock rights fsviews asks for, as plain bit sets: which rights a
// ruleset handles on a given kernel, and which each rule of the plan
// grants. No syscalls here; landlock_linux.go makes them.

const (
	// landlockRead is what "ro" grants: read files, list directories,
	// execute.
	landlockRead = unix.LANDLOCK_ACCESS_FS_EXECUTE | unix.LANDLOCK_ACCESS_FS_READ_FILE | unix.LANDLOCK_ACCESS_FS_READ_DIR
	// landlockWrite is what "rw" adds: write, truncate, create and remove
	// every kind of file. Refer (rename and link across directories)
	// comes on top for directories, ioctl_dev for "dev".
	landlockWrite = unix.LANDLOCK_ACCESS_FS_WRITE_FILE | unix.LANDLOCK_ACCESS_FS_TRUNCATE | unix.LANDLOCK_ACCESS_FS_REMOVE_DIR |
		unix.LANDLOCK_ACCESS_FS_REMOVE_FILE | unix.LANDLOCK_ACCESS_FS_MAKE_CHAR | unix.LANDLOCK_ACCESS_FS_MAKE_DIR | unix.LANDLOCK_ACCESS_FS_MAKE_REG |
		unix.LANDLOCK_ACCESS_FS_MAKE_SOCK | unix.LANDLOCK_ACCESS_FS_MAKE_FIFO | unix.LANDLOCK_ACCESS_FS_MAKE_BLOCK | unix.LANDLOCK_ACCESS_FS_MAKE_SYM
	// landlockFileRights are the rights that mean something on a file
	// rather than a directory: the kernel refuses any other right in a
	// rule on a file with EINVAL.
	landlockFileRights = unix.LANDLOCK_ACCESS_FS_EXECUTE | unix.LANDLOCK_ACCESS_FS_WRITE_FILE | unix.LANDLOCK_ACCESS_FS_READ_FILE |
		unix.LANDLOCK_ACCESS_FS_TRUNCATE | unix.LANDLOCK_ACCESS_FS_IOCTL_DEV
)

// landlockHandled returns the filesystem rights a ruleset handles on a
// kernel with Landlock ABI abi: every right it refuses unless a rule
// grants it.
func landlockHandled(abi int) uint64 {
	if abi < 1 {
		return 0
	}
	handled := uint64(landlockRead | landlockWrite&^unix.LANDLOCK_ACCESS_FS_TRUNCATE) // ABI 1
	if abi >= 2 {
		handled |= unix.LANDLOCK_ACCESS_FS_REFER
	}
	if abi >= 3 {
		handled |= unix.LANDLOCK_ACCESS_FS_TRUNCATE
	}
	// ABI 4 adds network rights and 6 scopes: not filesystem rights.
	if abi >= 5 {
		handled |= unix.LANDLOCK_ACCESS_FS_IOCTL_DEV
	}
	// resolve_unix (ABI 9) stays unhandled: handled, it would refuse
	// connect(2) on the view's unix sockets (/dev/log,
	// /run/systemd/notify, a database's socket), which the view lets
	// through and no profile key grants.
	return handled
}

// landlockAllowed returns the rights a rule with access grants below a
// directory (dir) or on a file, out of handled.
func landlockAllowed(access views.LandlockAccess, dir bool, handled uint64) uint64 {
	allowed := uint64(landlockRead)
	if access == views.LandlockRW || access == views.LandlockDev {
		allowed |= landlockWrite
		if dir {
			// Refer lets the daemon rename and link between its
			// writable directories, as it could without Landlock.
			allowed |= unix.LANDLOCK_ACCESS_FS_REFER
		}
	}
	if access == views.LandlockDev {
		allowed |= unix.LANDLOCK_ACCESS_FS_IOCTL_DEV
	}
	if !dir {
		allowed &= landlockFileRights
	}
	return allowed & handled
}
