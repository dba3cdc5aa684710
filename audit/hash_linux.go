package audit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
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
	ctx  context.Context
	jobs chan hashJob
	wg   sync.WaitGroup
	// budget is how many more bytes of content the walk may read
	// (WalkOptions.MaxHashBytes), shared by the workers.
	budget atomic.Int64
}

const hashBufSize = 256 << 10

func startHasher(ctx context.Context, n int, maxBytes int64) *hasher {
	n = workers(n)
	h := &hasher{ctx: ctx, jobs: make(chan hashJob, 4*n)}
	h.budget.Store(maxBytes)
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
			h.hashOne(j, buf, sum)
		}
		unix.Close(j.pathFd)
	}
}

// take reserves n bytes of the read budget, or says the budget is spent.
func (h *hasher) take(n int64) bool {
	if h.budget.Add(-n) >= 0 {
		return true
	}
	h.budget.Store(-1) // stays spent: a later small file is not hashed either
	return false
}

// errShrank, errBudget and errCancelled end hashing a file early.
var (
	errShrank    = errors.New("changed during walk: the file shrank while it was read")
	errBudget    = errors.New("hash byte limit reached")
	errCancelled = errors.New("cancelled")
)

// hashOne checks that j.pathFd is still the regular file the walker lstat'ed
// and hashes it. The content is read through a second fd opened from
// /proc/self/fd/N of the O_PATH fd: that reopens the very same inode (no
// path lookup the jail could race) and happens only after fstat said it is a
// regular file, so a device node or FIFO swapped in is never opened for
// reading at all.
//
// Only the first Size bytes (as listed) are read: a file the jail keeps
// growing cannot keep the walk busy. A file without holes gets the SHA-256
// of those bytes, as in manifest version 1. A file with holes is hashed by
// hashSparse without reading the holes, and marked Sparse.
func (h *hasher) hashOne(j hashJob, buf []byte, sum hash.Hash) {
	var st unix.Stat_t
	if err := unix.Fstat(j.pathFd, &st); err != nil {
		j.e.Err = "fstat: " + err.Error()
		return
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Dev != j.dev || st.Ino != j.e.Inode {
		j.e.Err = "changed during walk: no longer the file listed"
		return
	}
	fd, err := reopen(j.pathFd)
	if err != nil {
		j.e.Err = "open: " + err.Error()
		return
	}
	defer unix.Close(fd)
	size := j.e.Size
	sum.Reset()
	// SEEK_HOLE answers the size for a file without holes, and fails on
	// an empty file (ENXIO) or where the file system cannot tell
	// (EINVAL): all read in full.
	hole, err := unix.Seek(fd, 0, unix.SEEK_HOLE)
	sparse := err == nil && hole < size
	if sparse {
		err = h.hashSparse(fd, size, buf, sum)
	} else {
		err = h.hashRange(fd, 0, size, buf, sum)
	}
	switch {
	case err == errBudget:
		j.e.Limit = LimitHashBytes
	case err == errCancelled:
		// The walk is discarded.
	case err != nil:
		j.e.Err = err.Error()
	default:
		j.e.SHA256 = hex.EncodeToString(sum.Sum(buf[:0]))
		j.e.Sparse = sparse
	}
}

// hashSparse hashes a file with holes by its data extents, found with
// SEEK_DATA and SEEK_HOLE: for each extent, its offset and length (8 bytes
// each, big-endian) and then its bytes; last, the size. Holes are neither
// read nor hashed byte by byte, so an 8 EiB file with nothing in it hashes
// at once, and the digest depends on the content and on where the holes
// are: the same bytes written out as zeros hash differently (Diff reports
// such a change of layout as a content change, since Sparse differs too).
func (h *hasher) hashSparse(fd int, size int64, buf []byte, sum hash.Hash) error {
	var hdr [16]byte
	for off := int64(0); off < size; {
		if h.ctx.Err() != nil {
			return errCancelled
		}
		data, err := unix.Seek(fd, off, unix.SEEK_DATA)
		if err == unix.ENXIO {
			break // only a hole from off on
		}
		if err != nil {
			return fmt.Errorf("seek data: %w", err)
		}
		if data >= size {
			break
		}
		end, err := unix.Seek(fd, data, unix.SEEK_HOLE)
		if err != nil {
			return fmt.Errorf("seek hole: %w", err)
		}
		if end <= data || end > size {
			end = size
		}
		binary.BigEndian.PutUint64(hdr[:8], uint64(data))
		binary.BigEndian.PutUint64(hdr[8:], uint64(end-data))
		sum.Write(hdr[:])
		if err := h.hashRange(fd, data, end, buf, sum); err != nil {
			return err
		}
		off = end
	}
	binary.BigEndian.PutUint64(hdr[:8], uint64(size))
	sum.Write(hdr[:8])
	return nil
}

// hashRange hashes bytes [off, end) of fd, charging them to the budget.
func (h *hasher) hashRange(fd int, off, end int64, buf []byte, sum hash.Hash) error {
	for chunks := 0; off < end; chunks++ {
		n := int(min(int64(len(buf)), end-off))
		m, err := unix.Pread(fd, buf[:n], off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		if m == 0 {
			return errShrank
		}
		// Charged once read: each worker may overshoot by one buffer.
		if !h.take(int64(m)) {
			return errBudget
		}
		sum.Write(buf[:m])
		off += int64(m)
		// A large file takes a while; let cancellation cut in.
		if chunks%64 == 63 && h.ctx.Err() != nil {
			return errCancelled
		}
	}
	return nil
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
