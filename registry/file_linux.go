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

// writeAtomic writes data as the file name in the directory dirfd through
// a temp file (0600, O_EXCL|O_NOFOLLOW: a name planted there is never
// followed) and renameat, which replaces the final name itself (a symlink
// planted there is replaced, not followed): a reader sees the old record or
// the new one, never half of one. Nothing is fsync'ed: a record describes
// a running process, and after a crash that could lose it (a power cut, a
// kernel panic) the process is gone too, so the record would only be
// stale; the default registry is on /run, a tmpfs, where fsync does
// nothing anyway. Raw descriptors, not os.File: fsviews run writes the
// record on its start path, and an os.File registers with the runtime's
// poller (epoll_ctl) for nothing. dir is for messages.
func writeAtomic(dirfd int, dir, name string, data []byte) error {
	// Callers hold the registry's lock, so the PID names the temp file
	// well enough; one left by a crashed process of the same PID goes.
	tmp := fmt.Sprintf(".%s.tmp-%d", name, os.Getpid())
	unix.Unlinkat(dirfd, tmp, 0)
	fd, err := unix.Openat(dirfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return &os.PathError{Op: "create", Path: dir + "/" + tmp, Err: err}
	}
	for len(data) > 0 && err == nil {
		var n int
		n, err = unix.Write(fd, data)
		data = data[n:]
	}
	if closeErr := unix.Close(fd); err == nil {
		err = closeErr
	}
	if err == nil {
		err = unix.Renameat(dirfd, tmp, dirfd, name)
	}
	if err != nil {
		unix.Unlinkat(dirfd, tmp, 0)
		return &os.PathError{Op: "write", Path: dir + "/" + name, Err: err}
	}
	return nil
}
