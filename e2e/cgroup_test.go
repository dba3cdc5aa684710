package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fsviews/fsviews/cgroups"
)

// cgroupProfile is base with no network and the given tables.
func cgroupProfile(t *testing.T, tables string) string {
	t.Helper()
	name := fmt.Sprintf("cg%d", time.Now().UnixNano()%1e9)
	return writeProfile(t, t.TempDir(), name, base+"[namespaces]\nnet = \"none\"\n"+tables)
}

// noCgroupLeft fails when a cgroup of jail name is left in any hierarchy.
func noCgroupLeft(t *testing.T, profile string) {
	t.Helper()
	name := strings.TrimSuffix(filepath.Base(profile), ".toml")
	l, err := cgroups.Discover()
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hierarchies(l) {
		dir, _ := h.Dir()
		if left, _ := filepath.Glob(filepath.Join(dir, "fsviews-"+name+"-*")); len(left) > 0 {
			t.Errorf("cgroups left behind: %v", left)
		}
	}
}

// A fork bomb run by root stops at [cgroup] pids (RLIMIT_NPROC would not
// stop it: the kernel never applies it to uid 0), and run says why.
func TestCgroupPidsStopsRootForkBomb(t *testing.T) {
	requireRoot(t)
	prof := cgroupProfile(t, "[cgroup]\npids = 64\n[limits]\nnproc = 64\n")
	// Each "x" is a fork that succeeded; the shell dies at the first refused.
	r := run(t, "run", prof, "--", "/bin/sh", "-c", "while :; do sleep 2 & echo x; done")
	forks := strings.Count(r.stdout, "x")
	if r.code != 2 || !strings.Contains(r.stderr, "Cannot fork") {
		t.Fatalf("the bomb did not end on a refused fork:\n%s", r)
	}
	// 64 tasks in all: the jail's init (a few threads) and the shell count too.
	if forks >= 64 || forks < 32 {
		t.Errorf("the bomb forked %d times, want fewer than 64 and not far fewer", forks)
	}
	if !strings.Contains(r.stderr, "the jail reached its process limit ([cgroup] pids = 64") {
		t.Errorf("run did not say the pids limit stopped the jail:\n%s", r)
	}
	noCgroupLeft(t, prof)

	// The same bomb without the cgroup is stopped by nothing but the
	// shell's loop bound: the attack works there.
	open := cgroupProfile(t, "[limits]\nnproc = 64\n")
	r = run(t, "run", open, "--", "/bin/sh", "-c", "i=0; while [ $i -lt 100 ]; do sleep 2 & i=$((i+1)); echo x; done")
	if n := strings.Count(r.stdout, "x"); n != 100 || r.code != 0 {
		t.Errorf("without [cgroup], root forked %d times (want all 100: nproc does not hold root):\n%s", n, r)
	}
}

// A memory hog over [cgroup] memory is OOM-killed; run ends as the
// daemon did (SIGKILL) and says it was the memory limit.
func TestCgroupMemoryOOMKills(t *testing.T) {
	requireRoot(t)
	prof := cgroupProfile(t, "[cgroup]\nmemory = \"32M\"\n")
	// The string doubles until it cannot: 64M is past the limit.
	r := run(t, "run", prof, "--", "/bin/sh", "-c", `x=a; while :; do x="$x$x"; done`)
	if r.signal != syscall.SIGKILL {
		t.Errorf("want the hog killed by SIGKILL, got:\n%s", r)
	}
	if !strings.Contains(r.stderr, "the jail reached its memory limit ([cgroup] memory = 32M") || !strings.Contains(r.stderr, "OOM killer killed 1 process") {
		t.Errorf("run did not report the OOM kill:\n%s", r)
	}
	noCgroupLeft(t, prof)
}

// A busy loop under cpu = "20%" gets about a fifth of one CPU: CPU time
// over wall time, with generous bounds. Above is the limit holding; the
// floor only catches a quota off by a factor of ten (2% or 0.2%), and is
// low because a loaded machine gives the loop less than its quota (6%
// once, with two fuzzers running beside the suite on two cores).
func TestCgroupCPUShare(t *testing.T) {
	requireRoot(t)
	prof := cgroupProfile(t, "[cgroup]\ncpu = \"20%\"\n")
	cmd := exec.Command(fsviews(t), "run", prof, "--", "/bin/bash", "-c", `while [ $SECONDS -lt 3 ]; do :; done`)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	wall := time.Since(start)
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	ratio := cpu.Seconds() / wall.Seconds()
	t.Logf("cpu %v over wall %v: %.0f%% of one CPU", cpu, wall, 100*ratio)
	if ratio < 0.04 || ratio > 0.35 {
		t.Errorf("the loop got %.0f%% of one CPU, want about 20%% (4%%-35%%)", 100*ratio)
	}
	noCgroupLeft(t, prof)
}

// [limits] wall kills the jail, every process of it, and run exits 124.
func TestWallKillsTheJail(t *testing.T) {
	requireRoot(t)
	out := hostDir(t)
	prof := cgroupProfile(t, fmt.Sprintf("[limits]\nwall = \"1s\"\n[[bind]]\nsource = %q\ntarget = \"/out\"\nmode = \"rw\"\n", out))
	// A background process that would outlive the daemon's own end.
	r := run(t, "run", prof, "--", "/bin/sh", "-c", "(sleep 3; touch /out/late) & sleep 60")
	if r.code != 124 || !strings.Contains(r.stderr, "wall-clock limit ([limits] wall = 1s) and was killed") {
		t.Fatalf("want exit 124 and the wall message:\n%s", r)
	}
	time.Sleep(3 * time.Second)
	if _, err := os.Stat(filepath.Join(out, "late")); err == nil {
		t.Error("a process of the jail outlived the wall limit: /out/late was written")
	}
}

// A controller the host lacks stops the run before anything starts,
// naming it; optional = true runs without it and says so. The pids
// hierarchy is unmounted in a private mount namespace of the test's own.
func TestCgroupMissingControllerFailsClosed(t *testing.T) {
	requireRoot(t)
	requireTools(t, "unshare")
	if _, err := os.Stat("/sys/fs/cgroup/pids/cgroup.procs"); err != nil {
		t.Skip("no cgroup v1 pids hierarchy at /sys/fs/cgroup/pids to hide")
	}
	out := hostDir(t)
	for _, tc := range []struct {
		optional bool
		code     int
		msg      string
	}{
		{false, 125, "cgroup controller pids is not available"},
		{true, 0, "[cgroup] is optional, skipped: cgroup controller pids is not available"},
	} {
		prof := cgroupProfile(t, fmt.Sprintf("[cgroup]\npids = 64\noptional = %v\n[[bind]]\nsource = %q\ntarget = \"/out\"\nmode = \"rw\"\n", tc.optional, out))
		os.Remove(filepath.Join(out, "ran"))
		r := runShell(t, []string{"unshare", "-m", "--propagation", "private", "sh", "-c",
			`umount /sys/fs/cgroup/pids && exec "$0" run "$1" -- /bin/touch /out/ran`, fsviews(t), prof})
		if r.code != tc.code || !strings.Contains(r.stderr, tc.msg) {
			t.Errorf("optional = %v: want exit %d and %q:\n%s", tc.optional, tc.code, tc.msg, r)
		}
		_, err := os.Stat(filepath.Join(out, "ran"))
		if ran := err == nil; ran != tc.optional {
			t.Errorf("optional = %v: the daemon ran: %v", tc.optional, ran)
		}
	}
}

// An unprivileged user whose cgroup is not delegated gets the exact reason.
func TestCgroupRootlessWithoutDelegation(t *testing.T) {
	u := newRootlessUser(t)
	prof := filepath.Join(u.dir, "p.toml")
	mustWrite(t, prof, base+"[namespaces]\nnet = \"none\"\n[cgroup]\npids = 64\n")
	r := u.run(t, "run", prof, "--", "/bin/true")
	if r.code != 125 || !strings.Contains(r.stderr, fmt.Sprintf("is not delegated to uid %d", u.uid)) {
		t.Errorf("want exit 125 naming the missing delegation:\n%s", r)
	}
}

// The jail has a cgroup namespace by default, rooted at its own cgroup:
// inside, every hierarchy shows "/" (the host's cgroup paths, which name
// the unit and the machine's layout, are hidden), and with [cgroup] the
// root is the jail's cgroup, made before the namespace. In both process
// models; the jail still counts as running (no drift).
func TestCgroupNamespaceByDefault(t *testing.T) {
	requireRoot(t)
	host, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	hostNS, _ := os.Readlink("/proc/self/ns/cgroup")
	for name, tables := range map[string]string{
		"inplace": "pid = false\n", // cgroupProfile's [namespaces] goes on
		"init":    "",
		"limited": "[cgroup]\npids = 64\n",
	} {
		t.Run(name, func(t *testing.T) {
			prof := cgroupProfile(t, tables)
			r := run(t, "run", prof, "--", "/bin/sh", "-c", "readlink /proc/self/ns/cgroup; cut -d: -f3 /proc/self/cgroup | sort -u")
			lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
			if r.code != 0 || len(lines) != 2 || lines[0] == hostNS || lines[1] != "/" {
				t.Errorf("want a cgroup namespace of its own where every cgroup is \"/\" (host: %s, %q), got %v", hostNS, host, r)
			}
			noCgroupLeft(t, prof)
		})
	}
	// [namespaces] cgroup = false keeps the host's.
	prof := cgroupProfile(t, "cgroup = false\n")
	r := run(t, "run", prof, "--", "/bin/sh", "-c", "readlink /proc/self/ns/cgroup")
	if r.code != 0 || strings.TrimSpace(r.stdout) != hostNS {
		t.Errorf("cgroup = false: want the host's cgroup namespace %s, got %v", hostNS, r)
	}
}

// jailCgroupFile reads file of the running jail's own cgroup (the only
// fsviews-NAME-* below fsviews' cgroup) in the hierarchy that has
// controller, v2 first, waiting until the jail's supervisor made it.
func jailCgroupFile(t *testing.T, profile, controller, v2file, v1file string) (string, int) {
	t.Helper()
	name := strings.TrimSuffix(filepath.Base(profile), ".toml")
	l, err := cgroups.Discover()
	if err != nil {
		t.Fatal(err)
	}
	type place struct {
		h    cgroups.Hierarchy
		file string
	}
	var places []place
	if l.V2 != nil {
		places = append(places, place{*l.V2, v2file})
	}
	for c, h := range l.V1 {
		if c == controller {
			places = append(places, place{h, v1file})
		}
	}
	for try := 0; try < 100; try++ {
		for _, p := range places {
			dir, _ := p.h.Dir()
			if m, _ := filepath.Glob(filepath.Join(dir, "fsviews-"+name+"-*", p.file)); len(m) == 1 {
				b, err := os.ReadFile(m[0])
				if err == nil {
					return strings.TrimSpace(string(b)), p.h.Version
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %s or %s of jail %s's cgroup", v2file, v1file, name)
	return "", 0
}

// cpu_weight, swap, memory_high and io_weight reach the jail's cgroup:
// cpu.weight or cpu.shares (1024 per 100), memory.swap.max or memsw
// (memory + swap); memory_high and io_weight where the host can apply
// them, and otherwise run refuses with the reason and nothing runs.
func TestCgroupWeightsAndSwap(t *testing.T) {
	requireRoot(t)
	prof := cgroupProfile(t, "[cgroup]\ncpu_weight = 50\nmemory = \"32M\"\nswap = \"16M\"\n")
	cmd := exec.Command(fsviews(t), "run", prof, "--", "/bin/sh", "-c", "sleep 30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	if v, version := jailCgroupFile(t, prof, "cpu", "cpu.weight", "cpu.shares"); version == 2 && v != "50" || version == 1 && v != "512" {
		t.Errorf("cpu_weight = 50 on cgroup v%d: got %q", version, v)
	}
	v, version := jailCgroupFile(t, prof, "memory", "memory.swap.max", "memory.memsw.limit_in_bytes")
	if version == 2 && v != fmt.Sprint(16<<20) || version == 1 && v != fmt.Sprint(48<<20) {
		t.Errorf("swap = 16M beside memory = 32M on cgroup v%d: got %q", version, v)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	noCgroupLeft(t, prof)

	l, err := cgroups.Discover()
	if err != nil {
		t.Fatal(err)
	}
	if _, v1 := l.V1["memory"]; v1 {
		high := cgroupProfile(t, "[cgroup]\nmemory_high = \"64M\"\n")
		r := run(t, "run", high, "--", "/bin/true")
		if r.code != 125 || !strings.Contains(r.stderr, "memory_high needs cgroup v2 (memory.high)") {
			t.Errorf("memory_high on a v1 memory controller: want exit 125 and the reason, got %v", r)
		}
		// check says so first, as an error at the table's line.
		r = run(t, "check", high)
		if r.code != 1 || !strings.Contains(r.stderr, ".toml:10: [cgroup]: this host cannot enforce it, so fsviews run refuses to start: cgroup controller memory: memory_high needs cgroup v2") {
			t.Errorf("check of memory_high on a v1 memory controller: %v", r)
		}
		noCgroupLeft(t, high)
	}
}

// inspect reads the live limits of the jail's cgroup: as planned they
// pass; a limit raised from outside is drift, exit 1, with the value it
// should have.
func TestInspectCgroupDrift(t *testing.T) {
	requireRoot(t)
	prof := cgroupProfile(t, "[cgroup]\npids = 64\n")
	name := strings.TrimSuffix(filepath.Base(prof), ".toml")
	a := newAuditEnv(t)
	// "ready" once the daemon runs in its view; a.start kills it at the end.
	_, jail := a.start(t, "run", prof, "--", "/bin/sh", "-c", "echo ready; exec sleep 30")
	if v, _ := jailCgroupFile(t, prof, "pids", "pids.max", "pids.max"); v != "64" {
		t.Fatalf("pids.max = %q", v)
	}
	r := a.run(t, "inspect", name)
	// Only the cgroup lines are judged: the base profile binds /etc/passwd
	// and /etc/group, which something else on a shared machine may
	// replace meanwhile (drift of its own, not this test's).
	if !strings.Contains(fields(r.stdout), "ok cgroup pids.max 64") || strings.Contains(r.stdout, "DRIFT  cgroup") {
		t.Fatalf("inspect of an untouched [cgroup] jail: %v", r)
	}
	l, err := cgroups.Discover()
	if err != nil {
		t.Fatal(err)
	}
	var maxFile string
	for _, h := range hierarchies(l) {
		dir, _ := h.Dir()
		if m, _ := filepath.Glob(filepath.Join(dir, "fsviews-"+name+"-*", "pids.max")); len(m) == 1 {
			maxFile = m[0]
			break
		}
	}
	if maxFile == "" {
		t.Fatal("the jail's pids.max is not found")
	}
	if err := os.WriteFile(maxFile, []byte("100"), 0); err != nil {
		t.Fatal(err)
	}
	r = a.run(t, "inspect", name)
	if r.code != 1 || !strings.Contains(fields(r.stdout), "DRIFT cgroup pids.max 100 (want 64)") {
		t.Errorf("inspect after pids.max was raised from outside: %v", r)
	}
	// Stopped as an admin would, the jail leaves no cgroup behind.
	stop(jail)
	noCgroupLeft(t, prof)
}

// hierarchies lists l's hierarchies, v2 first.
func hierarchies(l cgroups.Layout) []cgroups.Hierarchy {
	var hs []cgroups.Hierarchy
	if l.V2 != nil {
		hs = append(hs, *l.V2)
	}
	for _, h := range l.V1 {
		hs = append(hs, h)
	}
	return hs
}
