package learn

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/seccomp"
)

// watcher gathers what the two event sources report.
type watcher struct {
	mu      sync.Mutex
	main    int    // the exec stage's pid, the daemon's once it execs
	self    string // fsviews' own executable, which the exec stage runs
	started bool   // the exec stage called execve: what follows is the daemon's
	files   map[string]Use
	sys     map[string]bool
	fams    map[string]bool
	binds   map[Bind]bool
	setIDs  map[string]bool
	chown   bool
	chroot  bool
	kill    bool
	procs   []Process
	end     string
}

func newWatcher(main int) *watcher {
	self, _ := os.Readlink("/proc/self/exe")
	return &watcher{main: main, self: self, files: map[string]Use{}, sys: map[string]bool{}, fams: map[string]bool{},
		binds: map[Bind]bool{}, setIDs: map[string]bool{}}
}

// didStart reports whether the exec stage reached the daemon's execve.
func (w *watcher) didStart() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.started
}

func (w *watcher) ended(why string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.end == "" {
		w.end = why
	}
}

// seccompData, seccompNotif and seccompResp are the kernel's struct
// seccomp_data, seccomp_notif and seccomp_notif_resp (linux/seccomp.h).
type seccompData struct {
	Nr   int32
	Arch uint32
	IP   uint64
	Args [6]uint64
}

type seccompNotif struct {
	ID    uint64
	PID   uint32
	Flags uint32
	Data  seccompData
}

type seccompResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

// watchSyscalls answers every notification with CONTINUE after noting it,
// until done is closed and no notification is pending.
func (w *watcher) watchSyscalls(listener int, done <-chan struct{}) {
	for {
		fds := []unix.PollFd{{Fd: int32(listener), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 100)
		if err == unix.EINTR {
			continue
		}
		if n == 0 || fds[0].Revents&(unix.POLLHUP|unix.POLLERR) != 0 {
			select {
			case <-done:
				return
			default:
			}
			if fds[0].Revents&unix.POLLHUP != 0 {
				// No task is left under the filter.
				<-done
				return
			}
			continue
		}
		var req seccompNotif
		if err := ioctl(listener, unix.SECCOMP_IOCTL_NOTIF_RECV, unsafe.Pointer(&req)); err != nil {
			continue // the task died (ENOENT) or a signal interrupted
		}
		w.note(&req)
		resp := seccompResp{ID: req.ID, Flags: unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE}
		// ENOENT: the task died meanwhile; nothing to answer.
		ioctl(listener, unix.SECCOMP_IOCTL_NOTIF_SEND, unsafe.Pointer(&resp))
	}
}

func ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
	if e != 0 {
		return e
	}
	return nil
}

// setIDCalls are the identity changes, with how many arguments are ids.
var setIDCalls = map[string]int{"setuid": 1, "setgid": 1, "setreuid": 2, "setregid": 2,
	"setresuid": 3, "setresgid": 3, "setfsuid": 1, "setfsgid": 1, "setgroups": 0}

var families = map[uint64]string{unix.AF_UNIX: "unix", unix.AF_INET: "inet", unix.AF_INET6: "inet6",
	unix.AF_NETLINK: "netlink", unix.AF_PACKET: "packet"}

func (w *watcher) note(req *seccompNotif) {
	name, _, ok := seccomp.LogRecord{AuditArch: req.Data.Arch, Nr: uint32(req.Data.Nr)}.Syscall()
	if !ok {
		name = fmt.Sprintf("syscall %d", req.Data.Nr)
	}
	pid := int(req.PID)
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started {
		// The exec stage's own calls between its filter and execve are
		// fsviews', not the daemon's; so are those after an execve that
		// failed. Its first call from another program than fsviews is
		// the daemon's first.
		if pid != w.main {
			return
		}
		if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); exe == w.self || exe == "" {
			return
		}
		w.started = true
		w.sys["execve"] = true
	}
	w.sys[name] = true
	if name == "exit_group" && pid == w.main {
		// The daemon ends by itself: its processes as they are now are
		// the last seen.
		w.procs = processes(w.main)
	}
	a := req.Data.Args
	switch name {
	case "socket":
		if f, ok := families[a[0]&0xffff]; ok {
			w.fams[f] = true
		} else {
			w.fams[strconv.FormatUint(a[0]&0xffff, 10)] = true
		}
	case "bind":
		if b, ok := readSockaddr(pid, a[1], a[2]); ok {
			w.binds[b] = true
		}
	case "chown", "fchown", "lchown", "fchownat":
		owner := a[1]
		if name == "fchownat" {
			owner = a[2]
		}
		if uint32(owner) != ^uint32(0) {
			w.chown = true
		}
	case "chroot":
		w.chroot = true
	case "kill", "tkill", "tgkill":
		target := int32(a[0])
		if name == "tgkill" {
			target = int32(a[1])
		}
		if target > 0 && procUID(int(target)) != procUID(pid) {
			w.kill = true
		}
	}
	if arg, ok := pathCalls[name]; ok {
		dirfd := int64(unix.AT_FDCWD)
		if arg.dirfd >= 0 {
			dirfd = int64(int32(a[arg.dirfd]))
		}
		if p := readPath(pid, dirfd, a[arg.path]); p != "" {
			w.touched(p)
		}
	}
	if n, ok := setIDCalls[name]; ok {
		ids := make([]string, n)
		for i := range n {
			ids[i] = strconv.Itoa(int(int32(a[i])))
		}
		if name == "setgroups" {
			ids = []string{strconv.Itoa(int(a[0])) + " groups"}
		}
		w.setIDs[name+"("+strings.Join(ids, ", ")+")"] = true
	}
}

// pathCalls are the calls that change a path without opening it (nginx
// chowns the temp dirs the host already has, a daemon removes its pid
// file): where the path argument is, and the dirfd argument (-1: none).
var pathCalls = map[string]struct{ dirfd, path int }{
	"mkdir": {-1, 0}, "mkdirat": {0, 1}, "chown": {-1, 0}, "lchown": {-1, 0}, "fchownat": {0, 1},
	"chmod": {-1, 0}, "fchmodat": {0, 1}, "fchmodat2": {0, 1}, "unlink": {-1, 0}, "unlinkat": {0, 1},
	"rmdir": {-1, 0}, "rename": {-1, 1}, "renameat": {2, 3}, "renameat2": {2, 3},
	"symlink": {-1, 1}, "symlinkat": {1, 2}, "link": {-1, 1}, "linkat": {2, 3}, "mknod": {-1, 0}, "mknodat": {0, 1},
}

// touched notes a path the daemon changed without opening it.
func (w *watcher) touched(p string) {
	u := w.files[p]
	u.Write = true
	w.files[p] = u
}

// readPath reads a path argument from the caller's memory and makes it
// absolute in the view, from the caller's cwd or dirfd as the kernel
// would; "" when it cannot.
func readPath(pid int, dirfd int64, addr uint64) string {
	mem, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil {
		return ""
	}
	defer mem.Close()
	b := make([]byte, unix.PathMax)
	n, _ := mem.ReadAt(b, int64(addr))
	b = b[:n]
	i := slices.Index(b, 0)
	if i <= 0 {
		return ""
	}
	p := string(b[:i])
	if !filepath.IsAbs(p) {
		base := fmt.Sprintf("/proc/%d/cwd", pid)
		if dirfd != unix.AT_FDCWD {
			base = fmt.Sprintf("/proc/%d/fd/%d", pid, dirfd)
		}
		dir, err := os.Readlink(base)
		if err != nil || !under(dir, merged) {
			return ""
		}
		p = filepath.Join(strings.TrimPrefix(dir, merged), p)
		if !filepath.IsAbs(p) {
			p = "/" + p
		}
	}
	return filepath.Clean(p)
}

// readSockaddr reads a bind address from the caller's memory.
func readSockaddr(pid int, addr, size uint64) (Bind, bool) {
	if size < 2 || size > 128 {
		return Bind{}, false
	}
	mem, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil {
		return Bind{}, false
	}
	defer mem.Close()
	b := make([]byte, size)
	if _, err := mem.ReadAt(b, int64(addr)); err != nil {
		return Bind{}, false
	}
	switch binary.NativeEndian.Uint16(b) {
	case unix.AF_INET:
		if len(b) < 8 {
			return Bind{}, false
		}
		ip, _ := netip.AddrFromSlice(b[4:8])
		return Bind{Family: "inet", Addr: ip.String(), Port: int(binary.BigEndian.Uint16(b[2:4]))}, true
	case unix.AF_INET6:
		if len(b) < 24 {
			return Bind{}, false
		}
		ip, _ := netip.AddrFromSlice(b[8:24])
		return Bind{Family: "inet6", Addr: ip.String(), Port: int(binary.BigEndian.Uint16(b[2:4]))}, true
	case unix.AF_UNIX:
		path := strings.TrimRight(string(b[2:]), "\x00")
		if i := strings.IndexByte(path, 0); i >= 0 {
			path = path[:i]
		}
		return Bind{Family: "unix", Addr: path}, true
	}
	return Bind{}, false
}

// procUID is the real uid of pid, -1 when unknown.
func procUID(pid int) int {
	uid, _, _ := procIDs(pid)
	return uid
}

// procIDs reads a process's real uid, real gid and name.
func procIDs(pid int) (uid, gid int, comm string) {
	uid, gid = -1, -1
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "Name:":
			comm = f[1]
		case "Uid:":
			uid, _ = strconv.Atoi(f[1])
		case "Gid:":
			gid, _ = strconv.Atoi(f[1])
		}
	}
	return
}

// snapshot records the daemon's processes.
func (w *watcher) snapshot() {
	procs := processes(w.main)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.procs = procs
}

// processes are those of the learning PID namespace but its PID 1, the
// watcher; main is the daemon's first.
func processes(main int) []Process {
	entries, _ := os.ReadDir("/proc")
	var procs []Process
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		uid, gid, comm := procIDs(pid)
		if uid < 0 {
			continue
		}
		procs = append(procs, Process{Comm: comm, UID: uid, GID: gid, Main: pid == main})
	}
	return procs
}

// watchFiles reads fanotify events until done is closed and the queue is
// empty.
func (w *watcher) watchFiles(fan int, done <-chan struct{}) {
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(fan, buf)
		if err == unix.EAGAIN || err == unix.EINTR || n <= 0 {
			select {
			case <-done:
				if err == unix.EAGAIN {
					return
				}
			default:
			}
			unix.Poll([]unix.PollFd{{Fd: int32(fan), Events: unix.POLLIN}}, 100)
			continue
		}
		for off := 0; off+int(unsafe.Sizeof(unix.FanotifyEventMetadata{})) <= n; {
			m := (*unix.FanotifyEventMetadata)(unsafe.Pointer(&buf[off]))
			if m.Event_len == 0 {
				break
			}
			off += int(m.Event_len)
			if m.Fd < 0 {
				continue
			}
			path, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", m.Fd))
			var st unix.Stat_t
			isDir := unix.Fstat(int(m.Fd), &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR
			unix.Close(int(m.Fd))
			if int(m.Pid) == os.Getpid() {
				continue
			}
			w.file(path, m.Mask, isDir)
		}
	}
}

func (w *watcher) file(path string, mask uint64, isDir bool) {
	path = strings.TrimSuffix(path, " (deleted)")
	if path != merged && !strings.HasPrefix(path, merged+"/") {
		return // not in the view (a pipe, a socket, another mount)
	}
	path = strings.TrimPrefix(path, merged)
	if path == "" {
		path = "/"
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	u := w.files[path]
	switch {
	case isDir:
		u.Dir = true
	case mask&unix.FAN_OPEN != 0:
		u.Read = true
	}
	if mask&unix.FAN_OPEN_EXEC != 0 {
		u.Exec = true
	}
	if mask&(unix.FAN_MODIFY|unix.FAN_CLOSE_WRITE) != 0 {
		u.Write = true
	}
	w.files[path] = u
}

func (w *watcher) observations(opt Options, changes []Change) *Observations {
	w.mu.Lock()
	defer w.mu.Unlock()
	o := &Observations{Command: opt.Command, Workdir: opt.Workdir, Files: w.files, Changes: changes,
		Chown: w.chown, Chroot: w.chroot, Kill: w.kill, Processes: w.procs, Ended: w.end}
	o.Syscalls = keys(w.sys)
	o.Families = keys(w.fams)
	o.SetIDs = keys(w.setIDs)
	for b := range w.binds {
		o.Binds = append(o.Binds, b)
	}
	sort.Slice(o.Binds, func(i, j int) bool {
		a, b := o.Binds[i], o.Binds[j]
		if a.Family != b.Family {
			return a.Family < b.Family
		}
		if a.Port != b.Port {
			return a.Port < b.Port
		}
		return a.Addr < b.Addr
	})
	return o
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
