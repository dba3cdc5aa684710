package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strconv"
	"sync"

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
}

const hashBufSize = 256 << 10

func startHasher(ctx context.Context, n int) *hasher {
	n = workers(n)
	h := &hasher{ctx: ctx, jobs: make(chan hashJob, 4*n)}
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
			hashOne(h.ctx, j, buf, sum)
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
func hashOne(ctx context.Context, j hashJob, buf []byte, sum hash.Hash) {
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
	sum.Reset()
	for chunks := 0; ; chunks++ {
		n, err := unix.Read(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			j.e.Err = "read: " + err.Error()
			return
		}
		if n == 0 {
			break
		}
		sum.Write(buf[:n])
		// A jail can make a file huge; let cancellation cut in.
		if chunks%256 == 255 && ctx.Err() != nil {
			return
		}
	}
	j.e.SHA256 = hex.EncodeToString(sum.Sum(buf[:0]))
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
