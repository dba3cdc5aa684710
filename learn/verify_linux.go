package learn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsviews/fsviews/seccomp"
)

// VerifyOptions says which learned profile to verify and how long.
type VerifyOptions struct {
	Self    string // the fsviews binary
	Profile string // the learned profile's path
	Name    string // the jail's name
	// Duration bounds the run as for Observe; 0: until the daemon exits
	// or the caller gets SIGINT or SIGTERM. Either ends it with
	// StopSignal (default SIGTERM).
	Duration   time.Duration
	StopSignal syscall.Signal
	Out        io.Writer // the run's stdout and stderr
}

// Verdict is what a verifying run saw.
type Verdict struct {
	// Exit is how fsviews run ended: nil for status 0.
	Exit error
	// Code is its exit status, -1 when killed by a signal.
	Code int
	// Stopped is true when the run ended because Verify passed on a
	// signal or the duration ran out, not by itself.
	Stopped bool
	// Records are the kernel's seccomp log lines of the jail's processes:
	// each is a syscall the profile's filter would have refused.
	Records []string
}

// Verify runs the learned profile for real with fsviews run
// --seccomp-log: every layer enforced but the syscall filter, which logs
// what it would refuse to the kernel log (read from /dev/kmsg) and lets
// it run. State dirs go to a temporary state root, removed afterwards, so
// that the verifying run leaves nothing on the host.
func Verify(opt VerifyOptions) (*Verdict, error) {
	kmsg, err := os.OpenFile("/dev/kmsg", os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("verify: read the kernel log: %w", err)
	}
	defer kmsg.Close()
	// Only records from now on.
	if _, err := kmsg.Seek(0, io.SeekEnd); err != nil {
		return nil, fmt.Errorf("verify: seek to the end of /dev/kmsg: %w", err)
	}
	state, err := os.MkdirTemp("", "fsviews-verify-")
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	defer os.RemoveAll(state)

	cmd := exec.Command(opt.Self, "run", "--seccomp-log", "--state-dir", state, "--name", opt.Name, opt.Profile)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, opt.Out, opt.Out
	// Its own process group: Ctrl-C reaches fsviews learn alone, and the
	// daemon gets the stop signal only. So a kill of the caller's group
	// misses it: it dies with fsviews learn instead, even by SIGKILL (and
	// the jail with it, by the supervisor's own parent-death signal).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	// The parent-death signal fires when the thread that forked ends:
	// this one stays until the run is over.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("verify: start fsviews run: %w", err)
	}
	root := cmd.Process.Pid

	var mu sync.Mutex
	var records []string
	// Processes of the jail seen so far: a record read after its process
	// exited is still attributed if the process lived long enough to be
	// seen here.
	seen := map[int]bool{}
	scanDone := make(chan struct{})
	go func() {
		for {
			pids := descendants(root)
			mu.Lock()
			for _, p := range pids {
				seen[p] = true
			}
			mu.Unlock()
			select {
			case <-scanDone:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	defer close(scanDone)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 16<<10)
		for {
			n, err := kmsg.Read(buf)
			if errors.Is(err, syscall.EPIPE) {
				continue // records were overwritten before we read them
			}
			if err != nil {
				return
			}
			line := string(buf[:n])
			if _, msg, ok := strings.Cut(line, ";"); ok {
				line = strings.TrimRight(msg, "\n")
			}
			r, ok := seccomp.ParseLogRecord(line)
			if !ok {
				continue
			}
			mine := descends(r.PID, root)
			mu.Lock()
			if mine || seen[r.PID] {
				records = append(records, line)
			}
			mu.Unlock()
		}
	}()

	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	var timeout <-chan time.Time
	if opt.Duration > 0 {
		timeout = time.After(opt.Duration)
	}
	stop := opt.StopSignal
	if stop == 0 {
		stop = syscall.SIGTERM
	}
	stopped := false
wait:
	for {
		select {
		case <-exited:
			break wait
		case <-sigs:
			// As while learning: the daemon gets its stop signal.
			stopped = true
			cmd.Process.Signal(stop)
		case <-timeout:
			stopped = true
			cmd.Process.Signal(stop)
		}
	}
	// The kernel writes a record as the syscall is made; let the reader
	// take what is queued, then stop it.
	kmsg.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	<-readDone
	mu.Lock()
	v := &Verdict{Exit: waitErr, Records: records, Stopped: stopped}
	mu.Unlock()
	var ee *exec.ExitError
	if errors.As(waitErr, &ee) {
		v.Code = ee.ExitCode()
	}
	return v, nil
}

// descendants lists the processes below root, from the parent links in
// /proc, read once.
func descendants(root int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			if pp := ppid(pid); pp > 0 {
				children[pp] = append(children[pp], pid)
			}
		}
	}
	var out []int
	for queue := []int{root}; len(queue) > 0; queue = queue[1:] {
		out = append(out, children[queue[0]]...)
		queue = append(queue, children[queue[0]]...)
	}
	return out
}

// ppid is a process's parent, 0 when it has exited.
func ppid(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 2 {
		return 0
	}
	p, _ := strconv.Atoi(f[1])
	return p
}

// descends reports whether pid is root or below it. A process that has
// exited by now is not.
func descends(pid, root int) bool {
	for i := 0; i < 64 && pid > 1; i++ {
		if pid == root {
			return true
		}
		pid = ppid(pid)
	}
	return false
}
