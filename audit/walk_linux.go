package audit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// WalkOptions tune Walk and WalkFD. The zero value is the safe default.
type WalkOptions struct {
	// CrossMounts descends into directories on another device than the
	// root. By default they are recorded with MountBoundary set and not
	// walked: a mount inside a state dir is not part of the jail's state.
	CrossMounts bool
	// Workers is the number of goroutines hashing file contents; 0 means
	// runtime.GOMAXPROCS(0). Directory walking runs beside them.
	Workers int
	// MaxOpenDirs bounds the directory fds held open at once; 0 means 256.
	// Deeper trees close their shallowest open ancestors and reopen them
	// through ".." of the child on the way back.
	MaxOpenDirs int

	// The limits below bound the work a hostile tree can cause; 0 means
	// the default, a negative value no limit. An entry where the walk
	// stopped has Entry.Limit set, and the walk goes on with the rest:
	// the root is then incomplete, which the caller must report.
	//
	// MaxDepth: directories this many levels below the root are recorded
	// but not read (default DefaultMaxDepth).
	MaxDepth int
	// MaxEntries: the walk records at most this many entries, the root
	// included (default DefaultMaxEntries).
	MaxEntries int
	// MaxHashBytes: the walk reads at most this many bytes of file
	// content (default DefaultMaxHashBytes). Holes of sparse files are
	// not read and do not count.
	MaxHashBytes int64

	// beforeDescend, when set (by tests), runs after a child directory was
	// lstat'ed and before it is opened: the window a hostile jail races.
	beforeDescend func(rel string)
}

// The default walk limits. A state dir deeper than 256 levels is no
// daemon's doing (PATH_MAX alone stops most tools at a few dozen); a
// million entries cost some 300 MiB of memory; 16 GiB take about a minute
// to hash on one core.
const (
	DefaultMaxDepth     = 256
	DefaultMaxEntries   = 1_000_000
	DefaultMaxHashBytes = 16 << 30
)

// limitOr returns v, def when v is 0, or the largest value (no limit) when
// v is negative.
func limitOr[T int | int64](v, def, max T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return max
	}
	return v
}

const (
	defaultMaxOpenDirs = 256
	direntBufSize      = 32 << 10
	// cancelCheckEvery is how many entries the walker handles between
	// looks at the context.
	cancelCheckEvery = 256
)

// OpenViewPath opens the directory viewPath as the process pid sees it,
// through /proc/PID/root, without following any symlink below that root.
//
// The unsafe recipe is os.Open("/proc/PID/root" + viewPath): the kernel
// resolves the jail's own symlinks on the way, so a jail that turns /tmp into
// a link to / points the audit at the whole jail (or, with an absolute link
// resolved in the wrong root, at the host). Instead /proc/PID/root, a magic
// link that must be followed, is opened alone as O_PATH, and viewPath is
// resolved beneath it with openat2 RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS|
// RESOLVE_NO_MAGICLINKS: ".." cannot climb out and no link is followed.
//
// The caller must check after this returns that pid is still the jail (its
// start time, see the registry package): if it is, the fd belongs to the jail,
// even if the process exits later.
func OpenViewPath(pid int, viewPath string) (*os.File, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("open view path %q: invalid pid %d", viewPath, pid)
	}
	if !strings.HasPrefix(viewPath, "/") {
		return nil, fmt.Errorf("open view path %q of process %d: not absolute", viewPath, pid)
	}
	procRoot := "/proc/" + strconv.Itoa(pid) + "/root"
	rootFd, err := unix.Open(procRoot, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH) {
			return nil, fmt.Errorf("open root of process %d: process is gone: %w", pid, err)
		}
		return nil, &os.PathError{Op: "open", Path: procRoot, Err: err}
	}
	defer unix.Close(rootFd)
	how := unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	fd, err := openat2Retry(rootFd, viewPath, &how)
	if err != nil {
		switch {
		case errors.Is(err, unix.ELOOP):
			err = fmt.Errorf("a symlink is in the way: %w", err)
		case errors.Is(err, unix.ESRCH):
			err = fmt.Errorf("process is gone: %w", err)
		case errors.Is(err, unix.ENOSYS):
			// Fail closed: without openat2 the walk could be redirected.
			err = fmt.Errorf("openat2 unavailable (Linux 5.6 or later needed): %w", err)
		}
		return nil, fmt.Errorf("open %q beneath %s: %w", viewPath, procRoot, err)
	}
	return os.NewFile(uintptr(fd), procRoot+viewPath), nil
}

// openat2Retry retries EAGAIN, which openat2 returns with RESOLVE_IN_ROOT
// when a rename elsewhere raced the lookup (it cannot then vouch for "..").
func openat2Retry(dirfd int, path string, how *unix.OpenHow) (int, error) {
	var err error
	for range 16 {
		var fd int
		fd, err = unix.Openat2(dirfd, path, how)
		if err != unix.EAGAIN && err != unix.EINTR {
			return fd, err
		}
	}
	return -1, err
}

// procRootPath splits "/proc/PID/root/VIEW" into PID and "/VIEW".
func procRootPath(hostPath string) (int, string, bool) {
	rest, ok := strings.CutPrefix(hostPath, "/proc/")
	if !ok {
		return 0, "", false
	}
	pidStr, view, _ := strings.Cut(rest, "/")
	pid, err := strconv.Atoi(pidStr)
	if err != nil || pid <= 0 {
		return 0, "", false
	}
	view, ok = strings.CutPrefix(view, "root")
	if !ok || (view != "" && view[0] != '/') {
		return 0, "", false
	}
	if view == "" {
		view = "/"
	}
	return pid, view, true
}

// Walk reads the tree at hostPath into a Root named rootName.
//
// hostPath is either a host directory (a state dir, the source of a rw bind)
// or "/proc/PID/root/VIEW" for a directory inside a running jail, which is
// opened with OpenViewPath. A host path's own components are the admin's and
// are resolved normally, except that the last one must not be a symlink;
// nothing below it is ever followed.
func Walk(ctx context.Context, rootName, hostPath string, opt WalkOptions) (Root, error) {
	var dir *os.File
	if pid, view, ok := procRootPath(hostPath); ok {
		f, err := OpenViewPath(pid, view)
		if err != nil {
			return Root{}, fmt.Errorf("walk %q: %w", rootName, err)
		}
		dir = f
	} else {
		fd, err := unix.Open(hostPath, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return Root{}, fmt.Errorf("walk %q: %w", rootName, &os.PathError{Op: "open", Path: hostPath, Err: err})
		}
		dir = os.NewFile(uintptr(fd), hostPath)
	}
	defer dir.Close()
	r, err := WalkFD(ctx, rootName, dir, opt)
	r.HostPath = hostPath
	return r, err
}

// frame is one directory on the walker's explicit stack. It holds the
// index of its entry, not its path: a stack thousands of levels deep would
// otherwise hold depth² bytes of paths.
type frame struct {
	fd       int // -1 while closed to bound the open fds
	idx      int // the directory's index in walker.entries
	depth    int // levels below the root
	dev, ino uint64
	names    []string // children not yet visited, last one first
}

// walker holds the state of one walk; it lives on one goroutine.
type walker struct {
	ctx     context.Context
	opt     WalkOptions
	name    string // for errors
	rootDev uint64
	stack   []*frame
	open    int // frames with fd >= 0
	lowOpen int // lowest stack index that may still hold an fd
	buf     []byte
	entries []*Entry
	hasher  *hasher
	// maxDepth and maxEntries are opt's limits with defaults applied.
	maxDepth, maxEntries int
	// pending counts the names listed in the stack's frames, not visited.
	pending int
}

// WalkFD reads the tree under the open directory dir into a Root named
// rootName; see Walk. dir stays open and owned by the caller.
func WalkFD(ctx context.Context, rootName string, dir *os.File, opt WalkOptions) (Root, error) {
	r := Root{Name: rootName, HostPath: dir.Name()}
	sc, err := dir.SyscallConn()
	if err != nil {
		return r, fmt.Errorf("walk %q: %w", rootName, err)
	}
	// A private duplicate: the walk may close and reopen its frames' fds.
	fd := -1
	var dupErr error
	if err := sc.Control(func(raw uintptr) {
		fd, dupErr = unix.FcntlInt(raw, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return r, fmt.Errorf("walk %q: %w", rootName, err)
	}
	if dupErr != nil {
		return r, fmt.Errorf("walk %q: dup: %w", rootName, dupErr)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return r, fmt.Errorf("walk %q: %w", rootName, &os.PathError{Op: "fstat", Path: dir.Name(), Err: err})
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		unix.Close(fd)
		return r, fmt.Errorf("walk %q: %s is not a directory", rootName, dir.Name())
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if opt.MaxOpenDirs <= 0 {
		opt.MaxOpenDirs = defaultMaxOpenDirs
	}
	w := &walker{
		ctx: ctx, opt: opt, name: rootName, rootDev: st.Dev,
		buf:        make([]byte, direntBufSize),
		maxDepth:   limitOr(opt.MaxDepth, DefaultMaxDepth, math.MaxInt),
		maxEntries: limitOr(opt.MaxEntries, DefaultMaxEntries, math.MaxInt),
	}
	w.hasher = startHasher(ctx, opt.Workers, limitOr(opt.MaxHashBytes, DefaultMaxHashBytes, math.MaxInt64))
	rootEntry := entryFromStat(-1, ".", &st)
	w.entries = append(w.entries, rootEntry)

	walkErr := w.run(fd, &st)
	if walkErr != nil {
		cancel() // stop hashing early; the result is discarded anyway
	}
	w.closeAll()
	hashErr := w.hasher.wait()
	if walkErr == nil {
		walkErr = hashErr
	}
	if walkErr == nil {
		walkErr = ctx.Err()
	}
	if walkErr != nil {
		return r, fmt.Errorf("walk %q (%s): %w", rootName, dir.Name(), walkErr)
	}
	// Each directory's children were visited sorted by name, depth first,
	// so the entries are already in path order.
	r.Entries = make([]Entry, len(w.entries))
	for i, e := range w.entries {
		r.Entries[i] = *e
		w.entries[i] = nil // let the copy replace the original as it goes
	}
	return r, nil
}

// path returns the path of entry i, for errors and tests.
func (w *walker) path(i int) string {
	return buildPath(i, func(j int) *Entry { return w.entries[j] })
}

func (w *walker) run(rootFd int, st *unix.Stat_t) error {
	names, err := w.listDir(rootFd, 0)
	if err != nil {
		unix.Close(rootFd)
		return fmt.Errorf("read root directory: %w", err)
	}
	w.push(&frame{fd: rootFd, idx: 0, dev: st.Dev, ino: st.Ino, names: names})
	count := 0
	for len(w.stack) > 0 {
		top := w.stack[len(w.stack)-1]
		if len(top.names) == 0 {
			if err := w.pop(); err != nil {
				return err
			}
			continue
		}
		if len(w.entries) >= w.maxEntries {
			// listDir keeps this from happening; should it, every
			// directory still being listed is incomplete.
			for _, f := range w.stack {
				if len(f.names) > 0 {
					w.entries[f.idx].Limit = LimitEntries
				}
			}
			return nil
		}
		name := top.names[len(top.names)-1]
		top.names = top.names[:len(top.names)-1]
		w.pending--
		if count++; count%cancelCheckEvery == 0 {
			if err := w.ctx.Err(); err != nil {
				return err
			}
		}
		if err := w.visit(top, name); err != nil {
			return err
		}
	}
	return nil
}

// listDir lists the directory fd, entry idx, keeping no more names than the
// entry limit leaves room for, counting the names listed but not visited
// yet: recorded plus pending entries never exceed MaxEntries, and a
// directory of millions of names costs no more than the limit. A listing
// cut short marks its directory with LimitEntries.
func (w *walker) listDir(fd, idx int) ([]string, error) {
	room := math.MaxInt - 1
	if w.maxEntries != math.MaxInt {
		room = max(w.maxEntries-len(w.entries)-w.pending, 0)
	}
	names, err := w.readNames(fd, room+1)
	if err != nil {
		return nil, err
	}
	if len(names) > room {
		w.entries[idx].Limit = LimitEntries
		names = names[1:] // the last in order; names are reversed
	}
	w.pending += len(names)
	return names, nil
}

// forget drops the entry just appended, idx, for a name that vanished
// between listing and reading.
func (w *walker) forget(idx int) {
	w.entries[idx] = nil
	w.entries = w.entries[:idx]
}

// visit records the child name of dir and queues or descends into it.
func (w *walker) visit(dir *frame, name string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(dir.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT {
			return nil // removed since it was listed
		}
		return &os.PathError{Op: "fstatat", Path: w.path(dir.idx) + "/" + name, Err: err}
	}
	e := entryFromStat(dir.idx, name, &st)
	idx := len(w.entries)
	w.entries = append(w.entries, e)
	switch e.Type {
	case TypeSymlink:
		link, err := readlinkat(dir.fd, name, st.Size)
		switch {
		case err == unix.ENOENT:
			w.forget(idx)
		case err != nil:
			e.Err = "changed during walk: readlink: " + err.Error()
		default:
			e.Link = link
		}
	case TypeFile:
		if st.Dev != w.rootDev && !w.opt.CrossMounts {
			// A file mounted over from elsewhere (possible inside a jail).
			e.MountBoundary = true
			break
		}
		// O_PATH opens nothing: no device open side effect, no FIFO block,
		// and with O_NOFOLLOW a symlink swapped in is opened as itself.
		fd, err := unix.Openat(dir.fd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err == unix.ENOENT {
			w.forget(idx)
			break
		}
		if err != nil {
			e.Err = "open: " + err.Error()
			break
		}
		if err := w.hasher.submit(hashJob{pathFd: fd, dev: st.Dev, e: e}); err != nil {
			unix.Close(fd)
			return err
		}
	case TypeDir:
		if st.Dev != w.rootDev && !w.opt.CrossMounts {
			e.MountBoundary = true
			break
		}
		if w.opt.beforeDescend != nil {
			w.opt.beforeDescend(w.path(idx))
		}
		if err := w.descend(dir, name, idx, &st); err != nil {
			return err
		}
	}
	return nil
}

// descend opens the child directory name of dir, entry idx, and pushes it,
// unless it is no longer the directory that was lstat'ed, which is recorded
// in its Err. At the depth limit it is only looked into: a directory with
// entries there gets Limit set and is not pushed.
func (w *walker) descend(dir *frame, name string, idx int, st *unix.Stat_t) error {
	e := w.entries[idx]
	fd, err := unix.Openat(dir.fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		// ELOOP or ENOTDIR: the jail swapped it for a symlink or a file.
		e.Err = "changed during walk: open directory: " + err.Error()
		return nil
	}
	var now unix.Stat_t
	if err := unix.Fstat(fd, &now); err != nil || now.Dev != st.Dev || now.Ino != st.Ino {
		unix.Close(fd)
		e.Err = "changed during walk: directory replaced"
		return nil
	}
	depth := dir.depth + 1
	if depth >= w.maxDepth {
		// Not read: only looked into, so that an empty directory at
		// the limit is not reported as cut.
		names, err := w.readNames(fd, 1)
		unix.Close(fd)
		switch {
		case err != nil:
			e.Err = "read directory: " + err.Error()
		case len(names) > 0:
			e.Limit = LimitDepth
		}
		return nil
	}
	names, err := w.listDir(fd, idx)
	if err != nil {
		unix.Close(fd)
		e.Err = "read directory: " + err.Error()
		return nil
	}
	w.push(&frame{fd: fd, idx: idx, depth: depth, dev: st.Dev, ino: st.Ino, names: names})
	return nil
}

// push adds f on top of the stack and, past MaxOpenDirs, closes the
// shallowest open ancestor: deep trees (thousands of levels) then cost a
// bounded number of fds instead of one per level.
func (w *walker) push(f *frame) {
	w.stack = append(w.stack, f)
	w.open++
	for w.open > w.opt.MaxOpenDirs && w.lowOpen < len(w.stack)-1 {
		if a := w.stack[w.lowOpen]; a.fd >= 0 {
			unix.Close(a.fd)
			a.fd = -1
			w.open--
		}
		w.lowOpen++
	}
}

// pop closes the top frame, first reopening its parent through ".." when
// push closed it. The reopened fd is accepted only if it is the directory
// recorded on the way down: if the jail moved the subtree meanwhile, ".."
// leads elsewhere and the walk stops rather than read the wrong directory.
func (w *walker) pop() error {
	top := w.stack[len(w.stack)-1]
	w.stack = w.stack[:len(w.stack)-1]
	defer func() {
		unix.Close(top.fd)
		w.open--
	}()
	if len(w.stack) == 0 {
		return nil
	}
	parent := w.stack[len(w.stack)-1]
	if parent.fd >= 0 {
		return nil
	}
	fd, err := unix.Openat(top.fd, "..", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "reopen", Path: w.path(parent.idx), Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Dev != parent.dev || st.Ino != parent.ino {
		unix.Close(fd)
		return fmt.Errorf("directory %s moved during the walk; take the checkpoint again", quoteName(w.path(top.idx)))
	}
	parent.fd = fd
	w.open++
	w.lowOpen = len(w.stack) - 1
	return nil
}

// closeAll releases the fds of frames left by an early return.
func (w *walker) closeAll() {
	for _, f := range w.stack {
		if f.fd >= 0 {
			unix.Close(f.fd)
		}
	}
	w.stack = nil
	w.open = 0
}

// readNames lists a directory with getdents on its fd, at most limit
// names. The names are sorted in reverse, so that the walker pops them in
// order and records the tree sorted by path.
func (w *walker) readNames(fd int, limit int) ([]string, error) {
	var names []string
	for len(names) < limit {
		n, err := unix.Getdents(fd, w.buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			break
		}
		_, _, names = unix.ParseDirent(w.buf[:n], limit-len(names), names)
	}
	slices.Sort(names)
	slices.Reverse(names)
	return names, nil
}

// readlinkat reads a link target of any length the kernel allows.
func readlinkat(dirfd int, name string, size int64) (string, error) {
	n := max(int(size)+1, 256)
	for {
		buf := make([]byte, n)
		m, err := unix.Readlinkat(dirfd, name, buf)
		if err != nil {
			return "", err
		}
		if m < n {
			return string(buf[:m]), nil
		}
		if n > 1<<20 {
			return "", unix.ENAMETOOLONG
		}
		n *= 2
	}
}

func entryFromStat(parent int, name string, st *unix.Stat_t) *Entry {
	e := &Entry{
		Parent: parent, Name: name, Mode: st.Mode & 0o7777, UID: st.Uid, GID: st.Gid,
		Size: st.Size, MtimeNs: st.Mtim.Nano(), Ctime: st.Ctim.Nano(), Inode: st.Ino,
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		e.Type = TypeFile
	case unix.S_IFDIR:
		e.Type = TypeDir
	case unix.S_IFLNK:
		e.Type = TypeSymlink
	case unix.S_IFCHR:
		e.Type, e.Rdev = TypeChar, st.Rdev
	case unix.S_IFBLK:
		e.Type, e.Rdev = TypeBlock, st.Rdev
	case unix.S_IFIFO:
		e.Type = TypeFIFO
	case unix.S_IFSOCK:
		e.Type = TypeSocket
	}
	return e
}

func workers(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}
