package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// hashJob is one regular file to hash: an O_PATH fd the walker opened and
// the entry (with the lstat data) that receives the digest. Only the worker
// that took the job writes e.SHA256 and e.Err.
type hashJob struct {
	pathFd int
	dev    uint64
	e      *Entry
}

// hasher is a pool of goroutines hashing file contents while the walker
// goes on listing directories. The queue is short, so at most a few fds per
// worker are open at once, however many files the tree holds.
type hasher struct {
	ctx      context.Context
	jobs     chan hashJob
	wg       sync.WaitGroup
	maxBytes int64       // data bytes hashed per file (WalkOptions.MaxFileBytes)
	limited  atomic.Bool // some file was larger
}

const hashBufSize = 256 << 10

func startHasher(ctx context.Context, n int, maxBytes int64) *hasher {
	n = workers(n)
	h := &hasher{ctx: ctx, jobs: make(chan hashJob, 4*n), maxBytes: maxBytes}
	h.wg.Add(n)
	for range n {
		go h.work()
	}
	return h
}

// submit queues j, or gives up when the walk is cancelled.
func (h *hasher) submit(j hashJob) error {
	select {
	case h.jobs <- j:
		return nil
	case <-h.ctx.Done():
		return h.ctx.Err()
	}
}

// wait closes the queue and waits for the workers to finish it.
func (h *hasher) wait() error {
	close(h.jobs)
	h.wg.Wait()
	return h.ctx.Err()
}

func (h *hasher) work() {
	defer h.wg.Done()
	buf := make([]byte, hashBufSize)
	sum := sha256.New()
	for j := range h.jobs {
		if h.ctx.Err() == nil {
			if !hashOne(h.ctx, j, buf, sum, h.maxBytes) {
				h.limited.Store(true)
			}
		}
		unix.Close(j.pathFd)
	}
}

// hashOne checks that j.pathFd is still the regular file the walker lstat'ed
// and hashes it. The content is read through a second fd opened from
// /proc/self/fd/N of the O_PATH fd: that reopens the very same inode (no
// path lookup the jail could race) and happens only after fstat said it is a
// regular file, so a device node or FIFO swapped in is never opened for
// reading at all.
//
// A file without holes hashes as its bytes (sha256sum's digest). A file with
// holes is hashed by its data only, found with SEEK_DATA and SEEK_HOLE:
// sha256 of "sparse", the size, then each data extent's offset, length and
// bytes; an 8 EiB file of holes in a small tmpfs then costs nothing. Such a
// digest differs from the same content written out densely, which diff
// shows as a change. It reports false, with e.Err set, for a file with more
// data than maxBytes.
func hashOne(ctx context.Context, j hashJob, buf []byte, sum hash.Hash, maxBytes int64) bool {
	var st unix.Stat_t
	if err := unix.Fstat(j.pathFd, &st); err != nil {
		j.e.Err = "fstat: " + err.Error()
		return true
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Dev != j.dev || st.Ino != j.e.Inode {
		j.e.Err = "changed during walk: no longer the file listed"
		return true
	}
	fd, err := reopen(j.pathFd)
	if err != nil {
		j.e.Err = "open: " + err.Error()
		return true
	}
	defer unix.Close(fd)
	sum.Reset()
	firstHole, err := unix.Seek(fd, 0, unix.SEEK_HOLE)
	if err != nil || firstHole >= st.Size {
		// Dense (or a file system without SEEK_HOLE): one extent.
		if st.Size > maxBytes {
			j.e.Err = fmt.Sprintf("walk limit: %d bytes, more than %d, not hashed", st.Size, maxBytes)
			return false
		}
		if !hashRange(ctx, j, fd, 0, -1, buf, sum) {
			return true
		}
		j.e.SHA256 = hex.EncodeToString(sum.Sum(buf[:0]))
		return true
	}
	fmt.Fprintf(sum, "sparse\x00%d\x00", st.Size)
	var data int64
	for pos := int64(0); pos < st.Size; {
		start, err := unix.Seek(fd, pos, unix.SEEK_DATA)
		if err == unix.ENXIO {
			break // only a hole up to the end
		}
		if err != nil {
			j.e.Err = "seek data: " + err.Error()
			return true
		}
		end, err := unix.Seek(fd, start, unix.SEEK_HOLE)
		if err != nil {
			j.e.Err = "seek hole: " + err.Error()
			return true
		}
		if data += end - start; data > maxBytes {
			j.e.Err = fmt.Sprintf("walk limit: more than %d bytes of data, not hashed", maxBytes)
			return false
		}
		fmt.Fprintf(sum, "%d\x00%d\x00", start, end-start)
		if !hashRange(ctx, j, fd, start, end-start, buf, sum) {
			return true
		}
		pos = end
	}
	j.e.SHA256 = hex.EncodeToString(sum.Sum(buf[:0]))
	return true
}

// hashRange feeds n bytes of fd from off (n < 0: to the end) into sum. It
// returns false, with j.e.Err set, on a read error or cancellation.
func hashRange(ctx context.Context, j hashJob, fd int, off, n int64, buf []byte, sum hash.Hash) bool {
	for chunks := 0; n != 0; chunks++ {
		want := buf
		if n > 0 && n < int64(len(want)) {
			want = want[:n]
		}
		got, err := unix.Pread(fd, want, off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			j.e.Err = "read: " + err.Error()
			return false
		}
		if got == 0 {
			return true // the file shrank: what is there is hashed
		}
		sum.Write(want[:got])
		off += int64(got)
		if n > 0 {
			n -= int64(got)
		}
		// A jail can make a file huge; let cancellation cut in.
		if chunks%256 == 255 && ctx.Err() != nil {
			return false
		}
	}
	return true
}

// reopen opens the inode behind an O_PATH fd for reading. O_NOATIME keeps
// the audit from touching the jail's atimes; it needs ownership or
// CAP_FOWNER, so it is dropped when refused.
func reopen(pathFd int) (int, error) {
	p := "/proc/self/fd/" + strconv.Itoa(pathFd)
	flags := unix.O_RDONLY | unix.O_NONBLOCK | unix.O_NOCTTY | unix.O_CLOEXEC
	for {
		fd, err := unix.Open(p, flags|unix.O_NOATIME, 0)
		if err == unix.EPERM {
			fd, err = unix.Open(p, flags, 0)
		}
		if err == unix.EINTR {
			continue
		}
		return fd, err
	}
}
