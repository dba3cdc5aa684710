package registry

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// maxRecordSize bounds what is read of one record: a record holds a plan,
// a few KiB to a few hundred; anything far larger is not one of ours.
const maxRecordSize = 16 << 20

// openDir opens the registry directory dir, creating it (mode 0700, parents
// too) when create is set, and returns its fd. Every record is then read,
// written, renamed and removed relative to that fd, one path component at
// a time, so nothing re-resolves dir between the checks and the use.
//
// The directory must not be a symlink (O_NOFOLLOW), must belong to the
// caller and be writable by nobody else: anyone who can write it can forge
// a record, and a forged record makes fsviews inspect, checkpoint and diff
// read what it names. A jail's state dir or read-write bind never overlaps
// it (fsviews run refuses that), so no jail can.
func openDir(dir string, create bool) (int, error) {
	if dir == "" {
		return -1, errors.New("registry has no directory")
	}
	if create {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return -1, err
		}
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, &os.PathError{Op: "fstat", Path: dir, Err: err}
	}
	if int(st.Uid) != os.Geteuid() || st.Mode&0o022 != 0 {
		unix.Close(fd)
		return -1, fmt.Errorf("registry %s belongs to uid %d with mode %04o: it must belong to uid %d and be writable by no one else, or anyone could forge a jail's record; fix it with chown %d %s && chmod 0700 %s",
			dir, st.Uid, st.Mode&0o7777, os.Geteuid(), os.Geteuid(), dir, dir)
	}
	return fd, nil
}

// readFileAt reads the regular file name (one path component) in the
// directory dirfd without following a symlink: openat2 with
// RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, or, on kernels before 5.6, openat
// with O_NOFOLLOW, which is as strict for a single component. O_NONBLOCK
// keeps a FIFO planted under the name from blocking the open; the fstat
// then refuses anything but a regular file. dir is for messages.
func readFileAt(dirfd int, dir, name string) ([]byte, error) {
	path := dir + "/" + name
	flags := unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC
	fd, err := unix.Openat2(dirfd, name, &unix.OpenHow{Flags: uint64(flags),
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS})
	if errors.Is(err, unix.ENOSYS) {
		fd, err = unix.Openat(dirfd, name, flags, 0)
	}
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			return nil, fmt.Errorf("%s is a symlink, not a record: remove it", path)
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Errorf("%s is not a regular file (mode %o): remove it", path, st.Mode)
	}
	if st.Size > maxRecordSize {
		return nil, fmt.Errorf("%s is %d bytes, more than a record can be (%d)", path, st.Size, maxRecordSize)
	}
	// Read straight into a buffer of the file's size (and one byte more,
	// to see EOF in the same read): no copy through a 64 KiB one, which
	// grew the stack of fsviews run's goroutine at every start.
	data := make([]byte, 0, st.Size+1)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := unix.Read(fd, data[len(data):cap(data)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return data, nil
		}
		if len(data)+n > maxRecordSize {
			return nil, fmt.Errorf("%s grew past %d bytes while read", path, maxRecordSize)
		}
		data = data[:len(data)+n]
	}
}

// writeRecord writes data as the record file name in the directory dirfd,
// overwriting the file in place: the caller holds the registry's
// exclusive lock, and readers take the shared one (see entry), so none
// sees half a record. Not a temp file renamed over the old record, as
// before: on ext4 the rename freed the old file's blocks on the start
// path (~70 µs, with discard) and the new file's were allocated at once
// (its replace-by-rename flush), ~0.25 ms of fsviews run here
// (docs/performance.md); a record overwritten where it is needs neither,
// and on a tmpfs it saves making a file each start. The file is never
// truncated to zero first, which ext4 treats as a replace as well: the
// new bytes go over the old and the file is cut to their length.
//
// Only a regular file with no other link is written: anything else under
// the name (a symlink, a FIFO, a hard link to another file, planted by
// whoever could write the directory) is removed and a new file made, so
// that nothing is written through it, as the rename replaced it. Nothing is
// fsync'ed: a record describes a running process, and after a crash that
// could lose it (a power cut, a kernel panic) the process is gone too,
// so the record would only be stale (or corrupt, which List reports and
// the next Add of its name overwrites); the default registry is on /run,
// a tmpfs, where fsync does nothing anyway. Raw descriptors, not os.File:
// fsviews run writes the record on its start path, and an os.File
// registers with the runtime's poller (epoll_ctl) for nothing. dir is for
// messages.
func writeRecord(dirfd int, dir, name string, data []byte) error {
	path := dir + "/" + name
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil && !isRecordFile(&st) {
		if err := unix.Unlinkat(dirfd, name, 0); err != nil {
			return &os.PathError{Op: "remove", Path: path, Err: err}
		}
	}
	// O_NOFOLLOW and O_NONBLOCK for what may be planted after the check.
	fd, err := unix.Openat(dirfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return &os.PathError{Op: "create", Path: path, Err: err}
	}
	defer unix.Close(fd)
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	if !isRecordFile(&st) {
		return fmt.Errorf("%s changed while it was written (mode %o, %d links): remove it", path, st.Mode, st.Nlink)
	}
	var off int64
	for len(data) > 0 {
		n, err := unix.Pwrite(fd, data, off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "write", Path: path, Err: err}
		}
		data = data[n:]
		off += int64(n)
	}
	if err := unix.Ftruncate(fd, off); err != nil {
		return &os.PathError{Op: "truncate", Path: path, Err: err}
	}
	return nil
}

// isRecordFile reports whether st is what writeRecord writes through: a
// regular file with no other name.
func isRecordFile(st *unix.Stat_t) bool {
	return st.Mode&unix.S_IFMT == unix.S_IFREG && st.Nlink == 1
}
