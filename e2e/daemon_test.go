package e2e

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	osuser "os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fsviews/fsviews/caps"
)

// Bounds for the library tests: generous for a loaded 2-core CI machine,
// and still short enough that a hung daemon fails the test instead of the
// whole suite.
const (
	readyTimeout = 60 * time.Second
	stopTimeout  = 30 * time.Second
)

// lockedBuffer collects a daemon's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// daemon is one `fsviews run` in the background. fsviews execs the daemon
// in place, so the process started is the daemon (or, with a PID
// namespace, the supervisor above it); it leads its own process group,
// which holds the workers it forks and nothing else.
type daemon struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	err  error // cmd.Wait's, once done is closed
}

// startDaemon runs `fsviews run --state-dir STATE PROFILE [-- CMD...]`.
// Cleanup kills the process group if the test did not stop it.
func startDaemon(t *testing.T, stateDir, profile string, command ...string) *daemon {
	t.Helper()
	args := bundled("run", "--state-dir", stateDir, profile)
	if len(command) > 0 {
		args = append(append(args, "--"), command...)
	}
	return startBackground(t, filepath.Base(profile), args)
}

// startBackground runs fsviews with args in the background, as a daemon
// the test stops (startDaemon, startLearn).
func startBackground(t *testing.T, name string, args []string) *daemon {
	t.Helper()
	d := &daemon{t: t, name: name, cmd: exec.Command(fsviews(t), args...), out: &lockedBuffer{}, done: make(chan struct{})}
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A process that left the group and still holds the output (a bug
	// under test) fails its test instead of hanging the suite in Wait.
	d.cmd.WaitDelay = 10 * time.Second
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.err = d.cmd.Wait(); close(d.done) }()
	t.Cleanup(func() {
		select {
		case <-d.done:
		default:
			d.kill()
			<-d.done
		}
	})
	return d
}

// exited says whether the daemon has stopped.
func (d *daemon) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// waitTCP waits until the daemon accepts connections on 127.0.0.1:port,
// failing at once when it exits, or after readyTimeout.
func (d *daemon) waitTCP(port int) {
	d.t.Helper()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(readyTimeout)
	for {
		if d.exited() {
			d.t.Fatalf("%s exited before listening on %s: %v\n%s", d.name, addr, d.err, d.out)
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("%s does not listen on %s after %v: %v\n%s", d.name, addr, readyTimeout, err, d.out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends sig to the daemon and waits for it and its workers to exit.
// It returns the daemon's output so far.
func (d *daemon) stop(sig syscall.Signal) string {
	d.t.Helper()
	if d.exited() {
		d.t.Fatalf("%s exited before it was stopped: %v\n%s", d.name, d.err, d.out)
	}
	tree := d.tree()
	d.cmd.Process.Signal(sig)
	select {
	case <-d.done:
	case <-time.After(stopTimeout):
		d.kill()
		<-d.done
		d.t.Fatalf("%s did not exit within %v of %v; killed\n%s", d.name, stopTimeout, sig, d.out)
	}
	// Workers that outlive their master would keep the port and the
	// state dir busy for the restart.
	deadline := time.Now().Add(stopTimeout)
	for slices.ContainsFunc(tree, func(pid int) bool { return syscall.Kill(pid, 0) == nil }) || syscall.Kill(-d.cmd.Process.Pid, 0) == nil {
		if time.Now().After(deadline) {
			d.kill(tree...)
			d.t.Fatalf("%s: processes it started outlived it by %v; killed", d.name, stopTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return d.out.String()
}

// kill sends SIGKILL to the daemon's process group, to every process
// below it now, and to the given pids: all of them processes the test
// started. (With a PID namespace the daemon is not in the group fsviews
// leads.)
func (d *daemon) kill(pids ...int) {
	syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
	for _, pid := range append(d.tree(), pids...) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// tree lists the started process and all its live descendants, from the
// parent links in the host's /proc.
func (d *daemon) tree() []int {
	parent := map[int]int{}
	dirs, _ := os.ReadDir("/proc")
	for _, e := range dirs {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // exited meanwhile
		}
		// "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses.
		rest := string(b[bytes.LastIndexByte(b, ')')+1:])
		if f := strings.Fields(rest); len(f) > 1 {
			parent[pid], _ = strconv.Atoi(f[1])
		}
	}
	tree := []int{d.cmd.Process.Pid}
	for i := 0; i < len(tree); i++ {
		for pid, ppid := range parent {
			if ppid == tree[i] {
				tree = append(tree, pid)
			}
		}
	}
	return tree
}

// bundled prefixes fsviews arguments with a search path that does not
// exist, so that bare names are the bundled profiles even on a host with
// its own /etc/fsviews/NAME.toml. (/nonexistent is the home of Debian's
// nobody, and by policy never exists.)
func bundled(args ...string) []string {
	return append([]string{"--search-path", "/nonexistent/fsviews-e2e"}, args...)
}

// proc is one process of a daemon's process group, as the host sees it.
type proc struct {
	pid     int
	comm    string
	uid     int      // real uid
	caps    []string // effective capabilities, by name
	seccomp int      // 0 none, 2 a filter (SECCOMP_MODE_FILTER)
}

// procs lists the live processes the daemon's run started: fsviews (or,
// where it stays as a supervisor, that and its init), the daemon and its
// workers, read from the host's /proc.
func (d *daemon) procs() []proc {
	d.t.Helper()
	var out []proc
	for _, pid := range d.tree() {
		status, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
		if err != nil {
			continue // exited meanwhile
		}
		p := proc{pid: pid}
		for _, line := range strings.Split(string(status), "\n") {
			k, v, _ := strings.Cut(line, ":")
			f := strings.Fields(v)
			switch {
			case k == "Name" && len(f) > 0:
				p.comm = f[0]
			case k == "Uid" && len(f) > 0:
				p.uid, _ = strconv.Atoi(f[0])
			case k == "Seccomp" && len(f) > 0:
				p.seccomp, _ = strconv.Atoi(f[0])
			case k == "CapEff" && len(f) > 0:
				mask, _ := strconv.ParseUint(f[0], 16, 64)
				for n := 0; n < 64; n++ {
					if mask&(1<<n) != 0 {
						p.caps = append(p.caps, caps.Name(n))
					}
				}
			}
		}
		out = append(out, p)
	}
	return out
}

// runsAs fails unless every process of the daemon named comm running as
// user has exactly the capabilities want (names with CAP_) and a seccomp
// filter, and at least one such process runs.
func (d *daemon) runsAs(comm, user string, want ...string) {
	d.t.Helper()
	u, err := osuser.Lookup(user)
	if err != nil {
		d.t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	slices.Sort(want)
	seen := 0
	for _, p := range d.procs() {
		if p.comm != comm || p.uid != uid {
			continue
		}
		seen++
		slices.Sort(p.caps)
		if !slices.Equal(p.caps, want) {
			d.t.Errorf("%s (pid %d, uid %d) has capabilities %v, want %v", comm, p.pid, p.uid, p.caps, want)
		}
		// Every library profile sets a [seccomp] preset.
		if p.seccomp != 2 {
			d.t.Errorf("%s (pid %d) runs with Seccomp: %d, want 2 (a filter)", comm, p.pid, p.seccomp)
		}
		// Every daemon profile has pid = true: its own PID namespace.
		own, err1 := os.Readlink(filepath.Join("/proc", strconv.Itoa(p.pid), "ns", "pid"))
		host, err2 := os.Readlink("/proc/self/ns/pid")
		if err1 == nil && err2 == nil && own == host {
			d.t.Errorf("%s (pid %d) runs in the host's PID namespace (%s), want its own", comm, p.pid, own)
		}
	}
	if seen == 0 {
		d.t.Errorf("no %s process runs as uid %d; the daemon's processes: %+v", comm, uid, d.procs())
	}
}

// freePort returns a TCP port on 127.0.0.1 that nothing listens on now,
// so that tests run beside daemons on their usual ports.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// requireTools skips (outside CI) or fails (in CI, which installs them)
// when a host program the test needs is missing.
func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed; .ci/run installs it: %v", tool, err)
			}
			t.Skipf("%s is not installed (sudo .ci/run installs the daemons and clients): %v", tool, err)
		}
	}
}

// client runs a host program with a bounded time and returns its output;
// it fails the test when the program fails.
func client(t *testing.T, stdin string, argv ...string) string {
	t.Helper()
	out, err := clientErr(stdin, argv...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return out
}

func clientErr(stdin string, argv ...string) (string, error) {
	cmd := exec.Command("timeout", append([]string{"30"}, argv...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// retry calls f until it succeeds or readyTimeout passes, for clients
// that connect while a daemon finishes starting (postgres accepts
// connections before it accepts queries).
func retry(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(readyTimeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after %v: %v", what, readyTimeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// confined runs a shell inside the view of profile (its user, its
// capabilities) and fails when any of the paths can be reached there.
// stateDir is the state root the daemon uses; it is on the list too.
func confined(t *testing.T, profile, stateDir string, paths ...string) {
	t.Helper()
	script := `for p in "$@"; do
  if ls -d "$p" >/dev/null 2>&1 || cat "$p" >/dev/null 2>&1; then echo "REACHABLE $p"; fi
done
echo checked $#`
	argv := append(bundled("run", "--state-dir", stateDir, profile, "--", "/bin/sh", "-c", script, "sh"), paths...)
	argv = append(argv, stateDir)
	r := run(t, argv...)
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("checked %d", len(paths)+1)) {
		t.Fatalf("the confinement probe did not run: %v", r)
	}
	if strings.Contains(r.stdout, "REACHABLE") {
		t.Errorf("%s: host paths reachable from inside the view:\n%s", filepath.Base(profile), r.stdout)
	}
}

// hostSecrets are host paths no library profile may show: a canary file
// made for the test, the password hashes, root's and users' homes, the
// host's ssh keys, and the data of the host's own daemons.
func hostSecrets(t *testing.T, canary string) []string {
	return []string{
		canary, "/etc/shadow", "/etc/gshadow", "/root", "/home", "/etc/ssh/ssh_host_ed25519_key",
		"/etc/ssl/private", "/var/lib/fsviews", "/proc/1/root/etc/shadow",
	}
}

// otherData is where the host's daemons keep their data; a profile may
// show its own (as a state dir of its own, not the host's).
func otherData(own ...string) []string {
	var out []string
	for _, p := range []string{
		"/var/lib/redis", "/var/lib/postgresql", "/var/lib/mosquitto", "/var/lib/nginx",
		"/var/lib/memcached", "/var/lib/sshd", "/var/lib/misc", "/var/log", "/etc/redis",
		"/etc/nginx", "/etc/mosquitto", "/etc/postgresql", "/etc/ssh/sshd_config",
	} {
		mine := false
		for _, o := range own {
			if p == o || strings.HasPrefix(p, o+"/") || strings.HasPrefix(o, p+"/") {
				mine = true
			}
		}
		if !mine {
			out = append(out, p)
		}
	}
	return out
}

// canary makes a host file that no view may show.
func canary(t *testing.T) string {
	t.Helper()
	p := filepath.Join(hostDir(t), "canary")
	mustWrite(t, p, "host secret\n")
	return p
}

// exists fails the test unless the host path exists.
func exists(t *testing.T, p string) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatalf("expected on the host: %v", err)
	}
	return fi
}
