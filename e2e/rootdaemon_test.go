package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A daemon that starts as root, with what a new user writes: [proc], no
// user, no [seccomp], no [namespaces] pid. These are the attacks of issue
// #13, each of which worked with the earlier defaults.

// rootJail is base (with [proc] and [dev]), the probe at /probe, no
// network, and extra; nothing says pid, user or seccomp.
func rootJail(t *testing.T, h, probe, name, extra string) string {
	t.Helper()
	return writeProfile(t, h, name, base+`
[[bind]]
source = "`+probe+`"
target = "/probe"
`+extra)
}

// What the kernel has of the files the view hides or makes read-only
// depends on its configuration: want names the errno of a file it lacks.
func procWant(probe, path, present string) string {
	if _, err := os.Lstat(path); err != nil {
		return probe + ": ENOENT"
	}
	return probe + ": " + present
}

func TestRootDaemonProcIsHardened(t *testing.T) {
	requireRoot(t)
	h, probe := hostDir(t), probeDir(t)
	corePattern, err := os.ReadFile("/proc/sys/kernel/core_pattern")
	if err != nil {
		t.Fatal(err)
	}
	profile := rootJail(t, h, probe, "procroot", "[namespaces]\nnet = \"none\"\n")
	r := runProbe(t, h, profile, nil,
		"open-append", "/proc/sys/kernel/core_pattern", "open-append", "/proc/sys/vm/drop_caches",
		"open-append", "/proc/sysrq-trigger", "read-size", "/proc/keys", "read-size", "/proc/kcore", "read-size", "/proc/timer_list")
	if r.code != 0 {
		t.Fatalf("probe: %v", r)
	}
	wantLines(t, "root daemon, default [proc]", r,
		"open-append: EROFS", // core_pattern, drop_caches
		procWant("open-append", "/proc/sysrq-trigger", "EROFS"),
		"read-size: 0")
	if strings.Count(r.stdout, "open-append: EROFS") < 2 {
		t.Errorf("core_pattern and drop_caches must both be read-only: %v", r)
	}
	for _, p := range []string{"/proc/keys", "/proc/kcore", "/proc/timer_list"} {
		want := procWant("read-size", p, "0")
		if !strings.Contains(r.stdout, want+"\n") {
			t.Errorf("%s: want %q: %v", p, want, r)
		}
	}

	// Even keeping CAP_SYS_ADMIN, the daemon cannot remount or unmount
	// the read-only /proc/sys: the default filter refuses the mount
	// syscalls. (With preset = "none" it could: that is what holds it.)
	admin := rootJail(t, h, probe, "procadmin", "[namespaces]\nnet = \"none\"\n[security]\ncapabilities = [\"SYS_ADMIN\"]\n")
	r = runProbe(t, h, admin, nil, "remount-rw", "/proc/sys", "umount", "/proc/sys", "open-append", "/proc/sys/kernel/core_pattern")
	wantLines(t, "CAP_SYS_ADMIN kept, default filter", r, "remount-rw: EPERM", "umount: EPERM", "open-append: EROFS")
	open := rootJail(t, h, probe, "procopen", "[namespaces]\nnet = \"none\"\n[security]\ncapabilities = [\"SYS_ADMIN\"]\n[seccomp]\npreset = \"none\"\n")
	r = runProbe(t, h, open, nil, "remount-rw", "/proc/sys")
	wantLines(t, "CAP_SYS_ADMIN kept, no filter", r, "remount-rw: ok")

	if now, _ := os.ReadFile("/proc/sys/kernel/core_pattern"); string(now) != string(corePattern) {
		t.Fatalf("the host's core_pattern changed: %q -> %q", corePattern, now)
	}

	// net_sysctls = "rw": the jail's own net.* sysctls only.
	netrw := writeProfile(t, h, "netrw", strings.Replace(base, "[proc]\n", "[proc]\nnet_sysctls = \"rw\"\n", 1)+`
[namespaces]
net = "loopback"
[[bind]]
source = "`+probe+`"
target = "/probe"
`)
	r = runProbe(t, h, netrw, nil, "open-append", "/proc/sys/net/ipv4/ip_forward", "open-append", "/proc/sys/kernel/core_pattern")
	wantLines(t, "net_sysctls = rw", r, "open-append: ok", "open-append: EROFS")
	if !strings.Contains(r.stderr, "/proc/sys/net stays writable") {
		t.Errorf("net_sysctls = \"rw\" without a warning: %v", r)
	}
}

// A host process of uid 0 is out of reach: not visible (signal 0), not
// traceable. check warns about a root daemon that keeps the host's PID
// namespace.
func TestRootDaemonCannotReachHostProcesses(t *testing.T) {
	requireRoot(t)
	h, probe := hostDir(t), probeDir(t)
	victim := exec.Command("sleep", "60")
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { victim.Process.Kill(); victim.Wait() })
	pid := strconv.Itoa(victim.Process.Pid)

	profile := rootJail(t, h, probe, "reach", "[namespaces]\nnet = \"none\"\n")
	r := runProbe(t, h, profile, nil, "kill0", pid, "seize", pid)
	wantLines(t, "default namespaces and filter", r, "kill0: ESRCH", "seize: EPERM")
	// The PID namespace alone hides it, without the filter's help.
	nofilter := rootJail(t, h, probe, "reach-nofilter", "[namespaces]\nnet = \"none\"\n[seccomp]\npreset = \"none\"\n")
	r = runProbe(t, h, nofilter, nil, "kill0", pid, "seize", pid)
	wantLines(t, "PID namespace, no filter", r, "kill0: ESRCH", "seize: ESRCH")
	// As it was by default: the host's PID namespace. check says why not.
	shared := rootJail(t, h, probe, "reach-shared", "[namespaces]\nnet = \"none\"\npid = false\n[seccomp]\npreset = \"none\"\n")
	r = runProbe(t, h, shared, nil, "kill0", pid)
	wantLines(t, "host PID namespace", r, "kill0: ok")
	r = run(t, "check", shared)
	if !strings.Contains(r.stderr, "reach-shared.toml:") || !strings.Contains(r.stderr, "warning: [namespaces] pid: the daemon runs as uid 0 in the host's PID namespace: it can signal every host process of uid 0") {
		t.Errorf("check of a root daemon with pid = false: %v", r)
	}
}

// A root daemon cannot leave a set-user-ID or set-group-ID file, or a file
// capability, in a rw bind for host users to run.
func TestRootDaemonCannotPlantSetID(t *testing.T) {
	requireRoot(t)
	h, probe := hostDir(t), probeDir(t)
	rw := filepath.Join(h, "rw")
	if err := os.Mkdir(rw, 0o755); err != nil {
		t.Fatal(err)
	}
	bind := "[namespaces]\nnet = \"none\"\n[[bind]]\nsource = \"" + rw + "\"\ntarget = \"/rw\"\nmode = \"rw\"\n"
	r := runProbe(t, h, rootJail(t, h, probe, "plant", bind), nil, "chmod-suid", "/rw/a", "create-suid", "/rw/b", "setfcap", "/rw/a")
	wantLines(t, "default caps and filter", r, "chmod-suid: EPERM", "create-suid: EPERM", "setfcap: EPERM")
	if fi, err := os.Stat(filepath.Join(rw, "a")); err != nil || fi.Mode()&(os.ModeSetuid|os.ModeSetgid) != 0 {
		t.Errorf("the host has %s as %v (%v), want a plain file", filepath.Join(rw, "a"), fi.Mode(), err)
	}
	if _, err := os.Stat(filepath.Join(rw, "b")); !os.IsNotExist(err) {
		t.Errorf("a set-user-ID file was created on the host (%v)", err)
	}
	// Without the filter the owner's chmod goes through (no capability
	// needed): the filter is what holds. File capabilities need
	// CAP_SETFCAP, no longer in the default set.
	r = runProbe(t, h, rootJail(t, h, probe, "plant-nofilter", bind+"[seccomp]\npreset = \"none\"\n"), nil, "setfcap", "/rw/a", "chmod-suid", "/rw/c")
	wantLines(t, "default caps, no filter", r, "setfcap: EPERM", "chmod-suid: ok")
}

// As root, fsviews refuses profile files, includes and [[file]] sources
// that someone other than root could have written, naming the file and
// the fix, and changes nothing on the host.
func TestUntrustedProfileFilesRefused(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	state := filepath.Join(h, "state")
	good := writeProfile(t, h, "good", base+"[namespaces]\nnet = \"none\"\n")
	if r := run(t, "run", "--state-dir", state, good, "--", "/bin/true"); r.code != 0 {
		t.Fatalf("a trusted profile: %v", r)
	}
	os.RemoveAll(state)

	worldWritable := writeProfile(t, h, "ww", base)
	os.Chmod(worldWritable, 0o666)
	foreign := writeProfile(t, h, "foreign", base)
	os.Chown(foreign, 65534, 65534)
	inc := filepath.Join(h, "inc.toml")
	mustWrite(t, inc, "[namespaces]\nnet = \"none\"\n")
	os.Chmod(inc, 0o664)
	includer := writeProfile(t, h, "includer", strings.Replace(base, `include = ["base/libc.toml"]`, `include = ["base/libc.toml", "inc.toml"]`, 1))
	src := filepath.Join(h, "app.ini")
	mustWrite(t, src, "secret = 1\n")
	os.Chmod(src, 0o646)
	filer := writeProfile(t, h, "filer", base+"[[file]]\ntarget = \"/etc/app.ini\"\nsource = \""+src+"\"\n")
	open := filepath.Join(h, "open")
	os.Mkdir(open, 0o777)
	os.Chmod(open, 0o777)
	inOpen := writeProfile(t, open, "inopen", base)

	for _, tc := range []struct {
		name, profile, want string
	}{
		{"world-writable profile", worldWritable, "refusing " + worldWritable + ": file " + worldWritable + " is writable by group or others (mode 0666): whoever can write it decides what fsviews runs as root; chmod go-w " + worldWritable},
		{"profile owned by nobody", foreign, "refusing " + foreign + ": file " + foreign + " is owned by uid 65534, not root: whoever owns it decides what fsviews runs as root; chown root " + foreign},
		{"group-writable include", includer, includer + ":1: include: refusing " + inc + ": file " + inc + " is writable by group or others (mode 0664)"},
		{"writable [[file]] source", filer, "[[file]] source: refusing " + src + ": file " + src + " is writable by group or others (mode 0646)"},
		{"profile in a world-writable directory", inOpen, "refusing " + inOpen + ": directory " + open + " is writable by group or others (mode 0777): whoever can write it decides what fsviews runs as root; chmod go-w " + open},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := mountTable(t, "self")
			r := run(t, "run", "--state-dir", state, tc.profile, "--", "/bin/true")
			if r.code != 125 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("want exit 125 and %q, got %v", tc.want, r)
			}
			sameMounts(t, tc.name, before, mountTable(t, "self"))
			if _, err := os.Stat(state); !os.IsNotExist(err) {
				t.Errorf("the refused run created the state dir (%v)", err)
			}
			if r := run(t, "check", tc.profile); r.code != 1 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("check: want exit 1 and %q, got %v", tc.want, r)
			}
		})
	}
}

// inspect sees from outside what makes a root jail safe: the masks and
// read-only paths of its /proc, its PID namespace and its filter; a mask
// removed from inside the jail's namespace is drift.
func TestInspectRootJail(t *testing.T) {
	requireRoot(t)
	a := newAuditEnv(t)
	profile := writeProfile(t, hostDir(t), "rootjail", base+"[namespaces]\nnet = \"none\"\n")
	a.start(t, "run", "--state-dir", a.state, profile, "--", "/bin/sh", "-c", "echo ready; exec sleep 600")
	r := a.run(t, "inspect", "rootjail")
	if r.code != 0 {
		t.Fatalf("inspect of an untouched jail: %v", r)
	}
	for _, want := range []string{"planned    /proc/sys ", "ok     ns pid ", "ok     Seccomp "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("inspect lacks %q:\n%s", want, r.stdout)
		}
	}
	if _, err := os.Stat("/proc/keys"); err == nil && !strings.Contains(r.stdout, "planned    /proc/keys ") {
		t.Errorf("inspect does not show the mask of /proc/keys:\n%s", r.stdout)
	}

	// Undo a read-only path from outside, in the jail's mount namespace.
	r = a.run(t, "ps", "--json")
	var rows []struct{ PID int }
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("ps --json: %v %v", err, r)
	}
	if r := runShell(t, []string{"nsenter", "-t", strconv.Itoa(rows[0].PID), "-m", "umount", "/proc/sys"}); r.code != 0 {
		t.Fatalf("umount /proc/sys in the jail: %v", r)
	}
	r = a.run(t, "inspect", "rootjail")
	if r.code != 1 || !strings.Contains(r.stdout, "this kernel has /proc/sys, and the jail's is not covered") {
		t.Errorf("inspect after /proc/sys was made writable: %v", r)
	}
}
