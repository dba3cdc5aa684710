package registry

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// procStat is what the registry needs from /proc/PID/stat.
type procStat struct {
	State     byte   // field 3: R, S, D, Z, ...
	StartTime uint64 // field 22: clock ticks after boot
}

// parseStat parses the contents of /proc/PID/stat. Field 2, comm, is in
// parentheses and may itself hold spaces and parentheses (a process can
// name itself "x) (y"), so the fields are counted from the LAST ')': comm is
// at most 16 bytes and nothing after it can contain one.
func parseStat(data []byte) (procStat, error) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return procStat{}, errors.New("no ')' after comm")
	}
	// Fields from 3 on, space-separated.
	fields := strings.Fields(string(data[i+1:]))
	const startField = 22 - 3
	if len(fields) <= startField {
		return procStat{}, fmt.Errorf("%d fields after comm, want at least %d", len(fields), startField+1)
	}
	if len(fields[0]) != 1 || fields[0][0] < 'A' || fields[0][0] > 'z' {
		return procStat{}, fmt.Errorf("bad state field %q", fields[0])
	}
	start, err := strconv.ParseUint(fields[startField], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("start time: %w", err)
	}
	return procStat{State: fields[0][0], StartTime: start}, nil
}

func readStat(pid int) (procStat, error) {
	if pid <= 0 {
		return procStat{}, fmt.Errorf("invalid pid %d", pid)
	}
	p := "/proc/" + strconv.Itoa(pid) + "/stat"
	// Raw descriptors, not os.ReadFile: fsviews run reads stats on its
	// start path, and an os.File costs the runtime poller's checks
	// (fcntl, epoll_ctl) for a file that never blocks. The line is a
	// few hundred bytes: 52 numbers and a comm of at most 64.
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return procStat{}, &os.PathError{Op: "open", Path: p, Err: err}
	}
	var buf [4096]byte
	n, err := readFull(fd, buf[:])
	unix.Close(fd)
	if err != nil {
		return procStat{}, &os.PathError{Op: "read", Path: p, Err: err}
	}
	st, err := parseStat(buf[:n])
	if err != nil {
		return procStat{}, fmt.Errorf("parse %s: %w", p, err)
	}
	return st, nil
}

// readFull reads fd into buf until EOF or buf is full.
func readFull(fd int, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := unix.Read(fd, buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	return n, nil
}

// ProcStartTime returns the start time of process pid in clock ticks after
// boot (field 22 of /proc/PID/stat). With the PID it names a process
// uniquely: a reused PID gets a later start time.
func ProcStartTime(pid int) (uint64, error) {
	st, err := readStat(pid)
	if err != nil {
		return 0, err
	}
	return st.StartTime, nil
}

// Namespaces returns the inode of each namespace of process pid, by the
// names of /proc/PID/ns ("mnt", "pid", "net", "pid_for_children", ...).
// Two processes are in the same namespace when the inodes are equal.
func Namespaces(pid int) (map[string]uint64, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("namespaces: invalid pid %d", pid)
	}
	return namespacesIn("/proc/" + strconv.Itoa(pid) + "/ns")
}

// namespacesIn reads the namespace links in dir, a /proc/.../ns directory.
func namespacesIn(dir string) (map[string]uint64, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	ns := make(map[string]uint64, len(des))
	for _, de := range des {
		ino, err := nsInode(dir + "/" + de.Name())
		if err != nil {
			return nil, err
		}
		ns[de.Name()] = ino
	}
	return ns, nil
}

// nsInode reads a namespace link, "mnt:[4026531841]". The link text is
// the kernel's; reading it does not enter or open the namespace.
func nsInode(link string) (uint64, error) {
	target, err := os.Readlink(link)
	if err != nil {
		return 0, err
	}
	_, rest, ok := strings.Cut(target, ":[")
	if !ok || !strings.HasSuffix(rest, "]") {
		return 0, fmt.Errorf("read %s: unexpected link %q", link, target)
	}
	ino, err := strconv.ParseUint(strings.TrimSuffix(rest, "]"), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", link, err)
	}
	return ino, nil
}
