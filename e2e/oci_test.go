package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/sys/mountinfo"

	"github.com/fsviews/fsviews/cgroups"
)

// The bundles `fsviews oci` writes for the library's redis and nginx run
// under runc (and crun where it can run on this host): the same client
// tests as library_test.go pass, with the state kept by fsviews, and the
// daemon's view, privileges, filter and limits match those it has under
// fsviews run of the same profile.

// container is one `RUNTIME run -d` of a bundle, with an id of its own.
type container struct {
	t       *testing.T
	runtime []string // the runtime and its global flags
	id      string
	log     string // the daemon's stdout and stderr
}

var containerSeq int

// startContainer runs the bundle detached; cleanup deletes the container
// (and so kills it) if the test did not.
func startContainer(t *testing.T, runtime []string, bundle, name string) *container {
	t.Helper()
	containerSeq++
	c := &container{t: t, runtime: runtime, id: fmt.Sprintf("fsviews-e2e-%s-%d-%d", name, os.Getpid(), containerSeq), log: filepath.Join(bundle, "..", name+".log")}
	log, err := os.OpenFile(c.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd := exec.Command(runtime[0], append(runtime[1:], "run", "-d", "--bundle", bundle, c.id)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, log, log
	t.Cleanup(func() { exec.Command(runtime[0], append(runtime[1:], "delete", "-f", c.id)...).Run() })
	if err := cmd.Run(); err != nil {
		if why := crunUnusable(c.output()); why != "" {
			t.Skip(why)
		}
		t.Fatalf("%s run %s: %v\n%s", runtime[0], bundle, err, c.output())
	}
	return c
}

func (c *container) output() string {
	b, _ := os.ReadFile(c.log)
	return string(b)
}

func (c *container) cli(args ...string) (string, error) {
	out, err := exec.Command(c.runtime[0], append(c.runtime[1:], args...)...).CombinedOutput()
	return string(out), err
}

// state is the runtime's view of the container: its status and the host
// PID of its process.
func (c *container) state() (status string, pid int) {
	out, err := c.cli("state", c.id)
	if err != nil {
		return "gone", 0
	}
	var s struct {
		Status string `json:"status"`
		Pid    int    `json:"pid"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		c.t.Fatalf("%s state %s: %v: %s", c.runtime[0], c.id, err, out)
	}
	return s.Status, s.Pid
}

func (c *container) pid() int {
	c.t.Helper()
	status, pid := c.state()
	if status != "running" {
		c.t.Fatalf("container %s is %s, not running:\n%s", c.id, status, c.output())
	}
	return pid
}

func (c *container) waitTCP(port int) {
	c.t.Helper()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(readyTimeout)
	for {
		if status, _ := c.state(); status != "running" {
			c.t.Fatalf("container %s is %s before listening on %s:\n%s", c.id, status, addr, c.output())
		}
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("container %s does not listen on %s after %v: %v\n%s", c.id, addr, readyTimeout, err, c.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends sig to the container's process, waits until it has stopped
// and deletes the container.
func (c *container) stop(sig syscall.Signal) {
	c.t.Helper()
	if out, err := c.cli("kill", c.id, strconv.Itoa(int(sig))); err != nil {
		c.t.Fatalf("%s kill %s: %v: %s", c.runtime[0], c.id, err, out)
	}
	deadline := time.Now().Add(stopTimeout)
	for {
		if status, _ := c.state(); status == "stopped" || status == "gone" {
			break
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("container %s still runs %v after signal %v:\n%s", c.id, stopTimeout, sig, c.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if out, err := c.cli("delete", c.id); err != nil {
		c.t.Fatalf("%s delete %s: %v: %s", c.runtime[0], c.id, err, out)
	}
}

// exportBundle runs fsviews oci and returns the bundle directory; the
// lines it printed on stderr are returned too.
func exportBundle(t *testing.T, stateDir, profile string, command ...string) (string, string) {
	t.Helper()
	dir := filepath.Join(hostDir(t), "bundle")
	args := bundled("oci", "--state-dir", stateDir, profile, dir)
	if len(command) > 0 {
		args = append(append(args, "--"), command...)
	}
	r := run(t, args...)
	if r.code != 0 {
		t.Fatalf("fsviews oci %s: %v", profile, r)
	}
	return dir, r.stderr
}

// runtimes are the OCI runtimes the tests use: runc always, crun where
// this host lets it run (crun 1.8 refuses hosts with a hybrid cgroup
// layout).
func runtimes(t *testing.T) map[string][]string {
	t.Helper()
	requireTools(t, "runc")
	rts := map[string][]string{"runc": {"runc"}}
	if _, err := exec.LookPath("crun"); err == nil {
		rts["crun"] = []string{"crun"}
	} else if os.Getenv("CI") != "" {
		t.Fatalf("crun is not installed; .ci/run installs it: %v", err)
	}
	return rts
}

// crunUnusable says why crun cannot run containers on this host, or "".
func crunUnusable(out string) string {
	if strings.Contains(out, "cgroups in hybrid mode not supported") {
		return "crun 1.8 does not support this host's hybrid cgroup layout (v1 controllers beside a v2 hierarchy)"
	}
	return ""
}

// jailFacts are what the comparison looks at in a daemon's process, read
// from the host's /proc/PID: the status lines for identity, capabilities,
// no_new_privs and seccomp; its rlimits; its mounts as it sees them.
type jailFacts struct {
	status map[string]string
	limits string
	mounts []string // "MOUNTPOINT PER-MOUNT-OPTIONS FSTYPE"
}

func readFacts(t *testing.T, pid int) jailFacts {
	t.Helper()
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		t.Fatal(err)
	}
	f := jailFacts{status: map[string]string{}}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		switch k {
		case "Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters":
			f.status[k] = strings.Join(strings.Fields(v), " ")
		}
	}
	limits, err := os.ReadFile(filepath.Join(dir, "limits"))
	if err != nil {
		t.Fatal(err)
	}
	f.limits = string(limits)
	mi, err := os.ReadFile(filepath.Join(dir, "mountinfo"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(mi)), "\n") {
		pre, post, _ := strings.Cut(line, " - ")
		a, b := strings.Fields(pre), strings.Fields(post)
		if len(a) < 6 || len(b) < 1 {
			t.Fatalf("mountinfo of %d: bad line %q", pid, line)
		}
		f.mounts = append(f.mounts, a[4]+" "+a[5]+" "+b[0])
	}
	return f
}

// compareFacts fails where the daemon under the runtime differs from the
// daemon under fsviews. The root mount differs by design (fsviews' is a
// tmpfs, the bundle's a directory; both read-only), and so does /proc for a
// profile without [proc] (a runtime needs one; the bundle mounts the
// process directories only): docs/scale-out.md.
func compareFacts(t *testing.T, runtime string, fsv, oci jailFacts, hasProc bool) {
	t.Helper()
	for k, v := range fsv.status {
		if oci.status[k] != v {
			t.Errorf("%s: %s is %q under the runtime, %q under fsviews", runtime, k, oci.status[k], v)
		}
	}
	if fsv.status["Seccomp"] != "2" || fsv.status["NoNewPrivs"] != "1" {
		t.Errorf("under fsviews the daemon has Seccomp %q, NoNewPrivs %q: want a filter and no_new_privs", fsv.status["Seccomp"], fsv.status["NoNewPrivs"])
	}
	if oci.limits != fsv.limits {
		t.Errorf("%s: limits differ:\nruntime:\n%s\nfsviews:\n%s", runtime, oci.limits, fsv.limits)
	}
	// split returns the mounts in order, and apart, sorted, those below
	// /proc: runtimes apply readonlyPaths and maskedPaths after every
	// mount, fsviews right after /proc's own. A hidden path is compared
	// by its file system only: runc covers a file with /dev/null
	// read-write and a directory with a read-only tmpfs without
	// nosuid,nodev,noexec, fsviews both read-only, nosuid,nodev,noexec
	// (empty either way: docs/scale-out.md).
	split := func(ms []string) (order, proc []string) {
		for _, m := range ms {
			f := strings.Fields(m)
			switch {
			case f[0] == "/":
				if !strings.HasPrefix(f[1], "ro,") {
					t.Errorf("%s: the root is not read-only: %s", runtime, m)
				}
			case f[0] == "/proc" && !hasProc:
			case strings.HasPrefix(f[0], "/proc/") && f[2] != "proc":
				proc = append(proc, f[0]+" hidden by "+f[2])
			case strings.HasPrefix(f[0], "/proc/"):
				proc = append(proc, m)
			default:
				order = append(order, m)
			}
		}
		slices.Sort(proc)
		return order, proc
	}
	got, gotProc := split(oci.mounts)
	want, wantProc := split(fsv.mounts)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: the daemon's mounts differ from those under fsviews:\nruntime:\n  %s\nfsviews:\n  %s", runtime, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if strings.Join(gotProc, "\n") != strings.Join(wantProc, "\n") {
		t.Errorf("%s: /proc's read-only and hidden paths differ from those under fsviews:\nruntime:\n  %s\nfsviews:\n  %s", runtime, strings.Join(gotProc, "\n  "), strings.Join(wantProc, "\n  "))
	}
	if hasProc && len(wantProc) < 6 {
		t.Errorf("only %d read-only or hidden paths below /proc under fsviews: %v", len(wantProc), wantProc)
	}
	if len(want) < 10 {
		t.Errorf("only %d mounts under fsviews: %v", len(want), want)
	}
}

// processOf finds the daemon's main process among the processes of an
// fsviews run: the one named comm whose parent is not.
func processOf(t *testing.T, d *daemon, comm string) int {
	t.Helper()
	procs := d.procs()
	names := map[int]string{}
	for _, p := range procs {
		names[p.pid] = p.comm
	}
	for _, p := range procs {
		if p.comm != comm {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p.pid), "stat"))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		ppid, _ := strconv.Atoi(f[1])
		if names[ppid] != comm {
			return p.pid
		}
	}
	t.Fatalf("no %s process under fsviews: %+v", comm, procs)
	return 0
}

// seccompProbe tries what the daemon preset refuses by its argument rules
// and what it allows, printing one errno name (or "ok") a line.
const seccompProbe = `import os, fcntl, termios, ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
def sys(nr, *a):
    if libc.syscall(nr, *a) < 0: raise OSError(ctypes.get_errno(), "")
def t(name, f):
    try:
        f(); print(name, "ok")
    except OSError as e:
        print(name, errno.errorcode.get(e.errno, e.errno))
null = os.open("/dev/null", os.O_RDONLY)
t("ioctl-tiocsti", lambda: fcntl.ioctl(null, termios.TIOCSTI, b"x"))
t("ioctl-tiocsti-high-word", lambda: sys(16, null, 0xdead00005412, 0))
t("ioctl-tcgets", lambda: fcntl.ioctl(null, termios.TCGETS, bytes(64)))
open("/tmp/probe", "w").close()
t("chmod-setuid", lambda: os.chmod("/tmp/probe", 0o4755))
t("chmod-setgid", lambda: os.chmod("/tmp/probe", 0o2755))
t("chmod-plain", lambda: os.chmod("/tmp/probe", 0o755))
def fork(flags):
    r = libc.syscall(56, flags | 17, 0, 0, 0, 0)
    if r == 0: os._exit(0)
    if r < 0: raise OSError(ctypes.get_errno(), "")
    os.waitpid(r, 0)
t("clone-newuts", lambda: fork(0x04000000))
t("clone-plain", lambda: fork(0))
t("mount", lambda: sys(165, b"none", b"/tmp", b"tmpfs", 0, None))
t("unshare", lambda: sys(272, 0x20000))
t("clone3", lambda: sys(435, 0, 0))
`

// probeWant is what fsviews' daemon filter answers.
const probeWant = `ioctl-tiocsti EPERM
ioctl-tiocsti-high-word EPERM
ioctl-tcgets ENOTTY
chmod-setuid EPERM
chmod-setgid EPERM
chmod-plain ok
clone-newuts EPERM
clone-plain ok
mount EPERM
unshare EPERM
clone3 ENOSYS
`

func TestOCIRedis(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	requireProfile(t, "redis")
	requireTools(t, "redis-cli", "python3")
	for name, runtime := range runtimes(t) {
		t.Run(name, func(t *testing.T) {
			state, port := hostDir(t), freePort(t)
			// A name of its own: the library tests run a jail "redis" at
			// the same time, and the registry allows one of a name.
			profile := writeProfile(t, hostDir(t), "redis-oci-"+name, `include = ["redis.toml"]`)
			cmd := append(libraryCommand(t, "redis"), "--port", strconv.Itoa(port))
			cli := []string{"redis-cli", "-h", "127.0.0.1", "-p", strconv.Itoa(port)}

			// Under fsviews first: the facts to compare with, and a key
			// the bundle must find in the same state dir.
			d := startDaemon(t, state, profile, cmd...)
			d.waitTCP(port)
			fsv := readFacts(t, processOf(t, d, "redis-server"))
			client(t, "", append(cli, "SET", "fsviews:key", "set under fsviews")...)
			d.stop(syscall.SIGTERM)

			bundle, stderr := exportBundle(t, state, profile, cmd...)
			for _, want := range []string{"not expressible: library:redis.toml:46: [landlock]", "[namespaces] pid: fsviews' init is PID 1"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("fsviews oci redis does not report %q:\n%s", want, stderr)
				}
			}
			c := startContainer(t, runtime, bundle, "redis")
			c.waitTCP(port)
			if out := client(t, "", append(cli, "GET", "fsviews:key")...); strings.TrimSpace(out) != "set under fsviews" {
				t.Errorf("GET under %s: %q, want the value fsviews' redis saved in the state dir", name, out)
			}
			compareFacts(t, name, fsv, readFacts(t, c.pid()), false)
			client(t, "", append(cli, "SET", "fsviews:key2", "set under "+name)...)

			// The filter refuses what fsviews' does, by argument too.
			mustWrite(t, filepath.Join(state, "redis-oci-"+name, "var/lib/redis/probe.py"), seccompProbe)
			out, err := c.cli("exec", c.id, "/usr/bin/python3", "/var/lib/redis/probe.py")
			if err != nil || out != probeWant {
				t.Errorf("the seccomp probe under %s (%v):\n%s\nwant (as under fsviews):\n%s", name, err, out, probeWant)
			}
			if r := run(t, bundled("run", "--state-dir", state, profile, "--", "/usr/bin/python3", "/var/lib/redis/probe.py")...); r.stdout != probeWant {
				t.Errorf("the seccomp probe under fsviews: %v\nwant:\n%s", r, probeWant)
			}
			c.stop(syscall.SIGTERM) // redis saves dump.rdb on shutdown

			c = startContainer(t, runtime, bundle, "redis")
			c.waitTCP(port)
			if out := client(t, "", append(cli, "GET", "fsviews:key2")...); strings.TrimSpace(out) != "set under "+name {
				t.Errorf("GET after a restart under %s: %q", name, out)
			}
			c.stop(syscall.SIGTERM)
		})
	}
}

func TestOCINginx(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	requireProfile(t, "nginx")
	requireTools(t, "curl")
	for name, runtime := range runtimes(t) {
		t.Run(name, func(t *testing.T) {
			state, port := hostDir(t), freePort(t)
			// A name of its own, apart from the library test's nginx-e2e.
			profile := writeProfile(t, hostDir(t), "nginx-oci-"+name, fmt.Sprintf(`include = ["nginx.toml"]
command = ["/usr/sbin/nginx", "-c", "/etc/nginx-e2e.conf", "-g", "daemon off;"]
[[file]]
target  = "/etc/nginx-e2e.conf"
content = """
user www-data;
worker_processes 2;
pid /run/nginx.pid;
error_log /var/log/nginx/error.log;
events { worker_connections 64; }
http {
  include /etc/nginx/mime.types;
  access_log /var/log/nginx/access.log;
  server { listen 127.0.0.1:%d; root /var/www/html; index index.html index.nginx-debian.html; }
}
"""
`, port))
			url := fmt.Sprintf("http://127.0.0.1:%d/", port)

			d := startDaemon(t, state, profile)
			d.waitTCP(port)
			client(t, "", "curl", "-sSf", "-o", "/dev/null", url)
			fsv := readFacts(t, processOf(t, d, "nginx"))
			d.stop(syscall.SIGQUIT)

			bundle, _ := exportBundle(t, state, profile)
			c := startContainer(t, runtime, bundle, "nginx")
			c.waitTCP(port)
			if out := client(t, "", "curl", "-sS", "-w", "%{http_code}", url); !strings.Contains(out, "Welcome to nginx") || !strings.HasSuffix(out, "200") {
				t.Errorf("GET / from nginx under %s: %s", name, out)
			}
			if out := client(t, "", "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", url+"no-such-page"); out != "404" {
				t.Errorf("GET /no-such-page under %s: status %s, want 404", name, out)
			}
			compareFacts(t, name, fsv, readFacts(t, c.pid()), false)
			c.stop(syscall.SIGQUIT)
			b, err := os.ReadFile(filepath.Join(state, "nginx-oci-"+name, "var/log/nginx/access.log"))
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(b), "curl/"); n != 3 {
				t.Errorf("access log in the state dir has %d requests, want 3 (1 under fsviews, 2 under %s):\n%s", n, name, b)
			}
		})
	}
}

// --strict refuses a profile the bundle cannot carry whole, writes
// nothing and creates no state dir; a bad bundle directory is refused too.
func TestOCIStrict(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	state := hostDir(t)
	dir := filepath.Join(hostDir(t), "bundle")
	r := run(t, bundled("oci", "--strict", "--state-dir", state, "--name", "redis-oci-strict", "redis", dir)...)
	if r.code != 1 || !strings.Contains(r.stderr, "fsviews oci: not expressible: library:redis.toml:46: [landlock]") ||
		!strings.Contains(r.stderr, "--strict: the bundle would not carry") || !strings.Contains(r.stderr, "nothing was written") {
		t.Errorf("oci --strict redis: %v", r)
	}
	for _, p := range []string{dir, filepath.Join(state, "redis-oci-strict")} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("oci --strict left %s behind (%v)", p, err)
		}
	}
	// A profile with nothing the spec lacks passes --strict.
	p := writeProfile(t, hostDir(t), "plain", "command = [\"/usr/bin/env\"]\ninclude = [\"base/libc.toml\"]\n[proc]\n[namespaces]\nnet = \"host\"\npid = false\n")
	if r := run(t, bundled("oci", "--strict", p, dir)...); r.code != 0 {
		t.Fatalf("oci --strict of a plain profile: %v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
		t.Error(err)
	}
	// The directory now holds a bundle: a second export refuses it and
	// leaves it as it was.
	before, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	r = run(t, bundled("oci", p, dir)...)
	if r.code != 1 || !strings.Contains(r.stderr, "is not empty: remove it") {
		t.Errorf("oci into a used directory: %v", r)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "config.json")); !bytes.Equal(before, after) {
		t.Errorf("oci into a used directory changed its config.json")
	}
	if r := run(t, bundled("oci", p)...); r.code != 1 || !strings.Contains(r.stderr, "fsviews oci PROFILE DIR") {
		t.Errorf("oci without a directory: %v", r)
	}
}

// A source fsviews run would refuse is refused by fsviews oci too, before
// anything is written; a state dir it cannot make safely removes the
// bundle it wrote. Neither leaves anything on the host.
func TestOCIBadSources(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	host := hostDir(t)
	if err := os.Symlink("/etc", filepath.Join(host, "link")); err != nil {
		t.Fatal(err)
	}
	state := hostDir(t)
	dir := filepath.Join(hostDir(t), "bundle")
	p := writeProfile(t, hostDir(t), "oci-badsource", fmt.Sprintf("command = [\"/usr/bin/env\"]\ninclude = [\"base/libc.toml\"]\n[[bind]]\nsource = %q\ntarget = \"/data\"\n[[state]]\ntarget = \"/var/lib/x\"\n", filepath.Join(host, "link")))
	r := run(t, bundled("oci", "--state-dir", state, p, dir)...)
	if r.code != 1 || !strings.Contains(r.stderr, "/data (") || !strings.Contains(r.stderr, "is a symlink") || !strings.Contains(r.stderr, "nothing was written") {
		t.Errorf("oci with a symlinked source: %v", r)
	}
	for _, p := range []string{dir, filepath.Join(state, "oci-badsource")} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("oci with a bad source left %s behind (%v)", p, err)
		}
	}

	// A link planted where the state dir goes, as a jail could have.
	elsewhere := hostDir(t)
	p = writeProfile(t, hostDir(t), "oci-badstate", "command = [\"/usr/bin/env\"]\ninclude = [\"base/libc.toml\"]\n[[state]]\ntarget = \"/var/lib/x\"\n")
	if err := os.MkdirAll(filepath.Join(state, "oci-badstate", "var"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, filepath.Join(state, "oci-badstate", "var", "lib")); err != nil {
		t.Fatal(err)
	}
	r = run(t, bundled("oci", "--state-dir", state, p, dir)...)
	if r.code != 1 || !strings.Contains(r.stderr, "state dir /var/lib/x (") || !strings.Contains(r.stderr, "the bundle was removed") {
		t.Errorf("oci with a link in the state dir: %v", r)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("oci wrote through the planted link into %s: %v", elsewhere, entries)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("oci left %v in %s", entries, dir)
	}
}

// With [proc], /proc's read-only and hidden paths are the same under the
// runtime (readonlyPaths, maskedPaths) as under fsviews.
func TestOCIProc(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	requireTools(t, "runc")
	state := hostDir(t)
	p := writeProfile(t, hostDir(t), "oci-proc", `command = ["/usr/bin/sleep", "600"]
include = ["base/libc.toml"]
[[tmpfs]]
target = "/tmp"
[proc]
[dev]
[limits]
nofile = 512
[cgroup]
pids   = 32
memory = "64M"
[namespaces]
net = "host"
`)
	d := startDaemon(t, state, p)
	var pid int
	retry(t, "sleep under fsviews", func() error {
		for _, pr := range d.procs() {
			if pr.comm == "sleep" {
				pid = pr.pid
				return nil
			}
		}
		return fmt.Errorf("no sleep process yet")
	})
	fsv := readFacts(t, pid)
	fsvPids, fsvMem := cgroupLimit(t, pid, "pids", "pids.max", "pids.max"), cgroupLimit(t, pid, "memory", "memory.limit_in_bytes", "memory.max")
	d.stop(syscall.SIGTERM)
	if fsvPids != "32" || fsvMem != "67108864" {
		t.Errorf("under fsviews: pids.max %q, memory limit %q; want 32 and 67108864", fsvPids, fsvMem)
	}
	if !strings.Contains(fsv.limits, "Max open files            512                  512") {
		t.Errorf("nofile under fsviews:\n%s", fsv.limits)
	}

	bundle, stderr := exportBundle(t, state, p)
	c := startContainer(t, []string{"runc"}, bundle, "proc")
	compareFacts(t, "runc", fsv, readFacts(t, c.pid()), true)
	if p, m := cgroupLimit(t, c.pid(), "pids", "pids.max", "pids.max"), cgroupLimit(t, c.pid(), "memory", "memory.limit_in_bytes", "memory.max"); p != fsvPids || m != fsvMem {
		t.Errorf("under runc: pids.max %q, memory limit %q; under fsviews %q and %q", p, m, fsvPids, fsvMem)
	}
	if !strings.Contains(stderr, "fsviews' init is PID 1") {
		t.Errorf("fsviews oci does not report the init:\n%s", stderr)
	}
	// sleep is PID 1 without a handler: only SIGKILL ends it.
	c.stop(syscall.SIGKILL)
}

// cgroupLimit reads a limit of process pid's cgroup: from the v1
// hierarchy of controller when there is one, else from the unified one.
func cgroupLimit(t *testing.T, pid int, controller, v1file, v2file string) string {
	t.Helper()
	own, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cgroup"))
	if err != nil {
		t.Fatal(err)
	}
	mounts, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("cgroup", "cgroup2"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := cgroups.ParseLayout(own, mounts)
	if err != nil {
		t.Fatal(err)
	}
	var file string
	if h, ok := l.V1[controller]; ok && slices.Contains(h.Controllers, controller) {
		dir, _ := h.Dir()
		file = filepath.Join(dir, v1file)
	} else if l.V2 != nil {
		dir, _ := l.V2.Dir()
		file = filepath.Join(dir, v2file)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the %s limit of process %d: %v", controller, pid, err)
	}
	return strings.TrimSpace(string(b))
}
