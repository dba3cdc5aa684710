package e2e

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The confinement tests run a small static C program, testdata/probe.c,
// inside jails with [seccomp], [limits] and [landlock]: it makes the
// syscalls named on its command line and prints "NAME: ok" or
// "NAME: ERRNO". gcc builds it at test time (it is on the CI machine).

// probeDir builds the probe into a host dir the jail binds as /probe.
func probeDir(t *testing.T) string {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skip("the probe's x32 and i386 syscalls are x86_64 only")
	}
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Fatal("the confinement tests need gcc to build testdata/probe.c: apt-get install gcc libc6-dev")
	}
	dir := hostDir(t)
	out, err := exec.Command(gcc, "-static", "-O2", "-o", filepath.Join(dir, "probe"), filepath.Join("testdata", "probe.c")).CombinedOutput()
	if err != nil {
		t.Fatalf("build the probe: %v\n%s", err, out)
	}
	return dir
}

// jail writes a profile: the usual base, the probe at /probe, and extra.
func jail(t *testing.T, h, probe, name, extra string) string {
	t.Helper()
	// pid = false: the probe prints its PID, which the tests look up in
	// the kernel log and /proc, both of which name host PIDs.
	return writeProfile(t, h, name, base+`
[namespaces]
net = "none"
pid = false
[[bind]]
source = "`+probe+`"
target = "/probe"
`+extra)
}

// runProbe runs the probe in the jail of profile and returns what it left.
func runProbe(t *testing.T, h, profile string, flags []string, probes ...string) result {
	t.Helper()
	args := append([]string{"run", "--state-dir", filepath.Join(h, "state")}, flags...)
	args = append(args, profile, "--", "/probe/probe")
	return run(t, append(args, probes...)...)
}

// wantLines fails unless every line is in out.
func wantLines(t *testing.T, what string, r result, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains("\n"+r.stdout, "\n"+l+"\n") {
			t.Errorf("%s: output lacks %q:\n%v", what, l, r)
		}
	}
}

// The default preset refuses mount, unshare, ptrace and bpf with EPERM,
// even to a daemon that keeps the capabilities they need; without the
// filter the same probes get through (or fail for another reason).
func TestSeccompDefaultPresetBlocks(t *testing.T) {
	requireRoot(t)
	h, probe := hostDir(t), probeDir(t)
	caps := "[security]\ncapabilities = [\"CAP_SYS_ADMIN\", \"CAP_SYS_PTRACE\"]\n"
	open := runProbe(t, h, jail(t, h, probe, "open", caps+"[seccomp]\npreset = \"none\"\n"), nil, "mount", "unshare", "ptrace", "bpf")
	wantLines(t, "without a filter", open, "mount: ok", "unshare: ok", "ptrace: ESRCH", "bpf: EINVAL")
	// No [seccomp] table is preset "default".
	implicit := runProbe(t, h, jail(t, h, probe, "implicit", caps), nil, "mount", "unshare", "ptrace", "bpf")
	wantLines(t, "no [seccomp] table", implicit, "mount: EPERM", "unshare: EPERM", "ptrace: EPERM", "bpf: EPERM")
	filtered := runProbe(t, h, jail(t, h, probe, "default", caps+"[seccomp]\npreset = \"default\"\n"), nil, "mount", "unshare", "ptrace", "bpf", "mkdir", "/tmp/d", "socket-inet")
	if filtered.code != 0 {
		t.Fatalf("probe under default: %v", filtered)
	}
	wantLines(t, "default preset", filtered, "mount: EPERM", "unshare: EPERM", "ptrace: EPERM", "bpf: EPERM", "mkdir: ok", "socket-inet: ok")
}

// stdio runs a decoder reading stdin and writing stdout, and refuses
// opening a file for writing and making a socket.
func TestSeccompStdioPreset(t *testing.T) {
	requireRoot(t)
	h, probe := hostDir(t), probeDir(t)
	profile := jail(t, h, probe, "stdio", "[seccomp]\npreset = \"stdio\"\n")
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write([]byte(strings.Repeat("decoded under stdio\n", 100)))
	w.Close()
	cmd := exec.Command(fsviews(t), "run", "--state-dir", filepath.Join(h, "state"), profile, "--", "/usr/bin/gzip", "-dc")
	cmd.Stdin = &z
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if r := wait(t, cmd, &stdout, &stderr); r.code != 0 || r.stdout != strings.Repeat("decoded under stdio\n", 100) {
		t.Fatalf("gzip -dc under stdio: %v", r)
	}
	r := runProbe(t, h, profile, nil, "open-read", "/etc/passwd", "open-write", "/tmp/new", "socket-unix", "socket-inet")
	wantLines(t, "stdio preset", r, "open-read: ok", "open-write: EPERM", "socket-unix: EPERM", "socket-inet: EPERM")
}

// daemon runs a real HTTP server and client on the jail's loopback.
func TestSeccompDaemonPresetServesHTTP(t *testing.T) {
	requireRoot(t)
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatal("python3 is needed (it is on the CI machine)")
	}
	h := hostDir(t)
	mustWrite(t, filepath.Join(h, "www/index.html"), "served from the jail\n")
	profile := writeProfile(t, h, "daemon", base+`
[namespaces]
net = "loopback"
[[bind]]
source = "`+h+`/www"
target = "/srv/www"
[seccomp]
preset = "daemon"
`)
	script := `python3 -m http.server 8765 --bind 127.0.0.1 --directory /srv/www 2>/dev/null & server=$!
python3 - <<'PY'
import time, urllib.request
for _ in range(100):
    try:
        print(urllib.request.urlopen("http://127.0.0.1:8765/index.html").read().decode(), end="")
        break
    except OSError:
        time.sleep(0.1)
PY
kill $server; wait $server
grep '^Seccomp:' /proc/self/status`
	r := run(t, "run", "--state-dir", filepath.Join(h, "state"), profile, "--", "/bin/sh", "-c", script)
	if !strings.Contains(r.stdout, "served from the jail\n") || !strings.Contains(r.stdout, "Seccomp:\t2\n") {
		t.Fatalf("http.server under daemon: %v", r)
	}
}

// A filter for x86_64 numbers kills x32 and i386 syscalls unless the
// profile allows those ABIs, and then still refuses what it denies. The
// i386 half needs a kernel that takes int 0x80 at all: with IA32
// emulation off (not built in, or ia32_emulation=0 at boot) the CPU
// faults (SIGSEGV) before the filter is asked, and that half is skipped
// with the reason, as the probe run on the host shows.
func TestSeccompForeignABIs(t *testing.T) {
	requireRoot(t)
	h, probe := hostDir(t), probeDir(t)
	caps := "[security]\ncapabilities = [\"CAP_SYS_ADMIN\"]\n"
	strict := jail(t, h, probe, "abi", caps+"[seccomp]\npreset = \"default\"\n")
	allowed := jail(t, h, probe, "abi-allowed", caps+"[seccomp]\npreset = \"default\"\nallow_x32 = true\nallow_i386 = true\n")
	for _, abi := range []string{"x32", "i386"} {
		t.Run(abi, func(t *testing.T) {
			if abi == "i386" {
				if host := runShell(t, []string{filepath.Join(probe, "probe"), "i386-getpid"}); host.stdout != "i386-getpid: ok\n" {
					t.Skipf("this kernel runs no i386 syscalls (int 0x80 on the host: %v): IA32 emulation is off (CONFIG_IA32_EMULATION, or ia32_emulation=0 at boot), so no filter is asked", host)
				}
			}
			r := runProbe(t, h, strict, nil, "pid", abi+"-getpid")
			if r.signal != syscall.SIGSYS || !strings.Contains(r.stdout, "pid: ") || strings.Contains(r.stdout, abi+"-getpid:") {
				t.Errorf("%s-getpid under default: want death by SIGSYS before it returns, got %v", abi, r)
			}
			r = runProbe(t, h, allowed, nil, abi+"-unshare", "unshare")
			wantLines(t, "with allow_"+abi, r, abi+"-unshare: EPERM", "unshare: EPERM")
			if abi == "i386" {
				wantLines(t, "allowed i386 getpid", runProbe(t, h, allowed, nil, "i386-getpid"), "i386-getpid: ok")
			}
		})
	}
}

// An argument rule: socket only for AF_UNIX.
func TestSeccompArgumentRule(t *testing.T) {
	requireRoot(t)
	h, probe := hostDir(t), probeDir(t)
	profile := jail(t, h, probe, "args", `[seccomp]
[[seccomp.rule]]
syscall = "socket"
action  = "errno"
args    = [{ index = 0, op = "!=", value = 1 }]
`)
	r := runProbe(t, h, profile, nil, "socket-unix", "socket-inet", "mkdir", "/tmp/d")
	wantLines(t, "socket only for AF_UNIX", r, "socket-unix: ok", "socket-inet: EPERM", "mkdir: ok")
}

// kernelLog returns the kernel's log lines about seccomp for pid.
func kernelLog(t *testing.T, pid string, after uint64) string {
	t.Helper()
	out, err := exec.Command("dmesg").Output()
	if err != nil {
		t.Fatalf("dmesg: %v", err)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "type=1326") && strings.Contains(l, " pid="+pid+" ") && auditSerial(l) > after {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

var auditStamp = regexp.MustCompile(`audit\(\d+\.\d+:(\d+)\)`)

// auditSerial is the serial number of a kernel audit line, which grows by
// one with every record since boot; 0 for other lines.
func auditSerial(line string) uint64 {
	m := auditStamp.FindStringSubmatch(line)
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseUint(m[1], 10, 64)
	return n
}

// lastAuditSerial is the newest audit serial in the kernel log: records
// of a process that ran before it, and happened to have the same PID,
// are not the ones a test looks for.
func lastAuditSerial(t *testing.T) uint64 {
	t.Helper()
	out, err := exec.Command("dmesg").Output()
	if err != nil {
		t.Fatalf("dmesg: %v", err)
	}
	var last uint64
	for _, l := range strings.Split(string(out), "\n") {
		last = max(last, auditSerial(l))
	}
	return last
}

var pidLine = regexp.MustCompile(`(?m)^pid: (\d+)$`)

// Each default_action does what docs/security.md says.
func TestSeccompDefaultActions(t *testing.T) {
	requireRoot(t)
	h, probe := hostDir(t), probeDir(t)
	profile := func(action string) string {
		// core = 0: the probes that die by SIGSYS leave no core file.
		return jail(t, h, probe, "act-"+strings.NewReplacer(":", "-").Replace(action), "[limits]\ncore = 0\n[seccomp]\ndeny = [\"mkdir\"]\ndefault_action = \""+action+"\"\n")
	}
	// The probe is single-threaded and has no SIGSYS handler: killing its
	// thread, or trapping, ends it by SIGSYS as killing the process does.
	for _, action := range []string{"kill-process", "kill-thread", "trap"} {
		t.Run(action, func(t *testing.T) {
			r := runProbe(t, h, profile(action), nil, "pid", "mkdir", "/tmp/d")
			if r.signal != syscall.SIGSYS || !strings.Contains(r.stdout, "pid: ") || strings.Contains(r.stdout, "mkdir:") {
				t.Errorf("want death by SIGSYS at mkdir, got %v", r)
			}
		})
	}
	t.Run("allow", func(t *testing.T) {
		wantLines(t, "allow", runProbe(t, h, profile("allow"), nil, "mkdir", "/tmp/d"), "mkdir: ok")
	})
	t.Run("errno", func(t *testing.T) {
		wantLines(t, "errno", runProbe(t, h, profile("errno"), nil, "mkdir", "/tmp/d", "unshare"), "mkdir: EPERM", "unshare: EPERM")
	})
	t.Run("errno:ENOSYS", func(t *testing.T) {
		wantLines(t, "errno:ENOSYS", runProbe(t, h, profile("errno:ENOSYS"), nil, "mkdir", "/tmp/d"), "mkdir: ENOSYS")
	})
	t.Run("log", func(t *testing.T) {
		r, record := loggedRun(t, h, profile("log"), nil)
		wantLines(t, "log", r, "mkdir: ok")
		if !strings.Contains(record, "syscall=83 ") {
			t.Errorf("the kernel log has no seccomp record of mkdir (83):\n%v", r)
		}
	})
	t.Run("--seccomp-log", func(t *testing.T) {
		r, record := loggedRun(t, h, profile("kill-process"), []string{"--seccomp-log"})
		wantLines(t, "--seccomp-log", r, "mkdir: ok")
		if !strings.Contains(r.stderr, "--seccomp-log: the filter refuses nothing") || !strings.Contains(r.stderr, "type=1326") {
			t.Errorf("run does not say where the log is:\n%s", r.stderr)
		}
		if !strings.Contains(record, "syscall=83 ") {
			t.Fatalf("no kernel log record of mkdir: %v", r)
		}
		// seccomp-log turns the records into the line to add.
		cmd := exec.Command(fsviews(t), "seccomp-log", "--pid", pidLine.FindStringSubmatch(r.stdout)[1])
		cmd.Stdin = strings.NewReader(record + "\nunrelated line\n")
		out, err := cmd.Output()
		if err != nil || !strings.Contains(string(out), "# 1 seccomp record\n/probe/probe:\n  mkdir ") || !strings.Contains(string(out), "allow = [\"mkdir\"]\n") {
			t.Errorf("seccomp-log: %v\n%s", err, out)
		}
	})
}

// loggedRun runs the probe's mkdir in the jail of profile and returns the
// kernel's seccomp records of that process. The kernel rate-limits audit
// lines it prints without auditd (printk_ratelimit: 10 per 5 s, shared
// with every other test that makes the filter kill): when the record was
// suppressed, it runs again after the window, a few times.
func loggedRun(t *testing.T, h, profile string, flags []string) (result, string) {
	t.Helper()
	var r result
	for try := 0; try < 4; try++ {
		if try > 0 {
			time.Sleep(6 * time.Second)
		}
		before := lastAuditSerial(t)
		r = runProbe(t, h, profile, flags, "pid", "mkdir", "/tmp/d")
		m := pidLine.FindStringSubmatch(r.stdout)
		if m == nil {
			t.Fatalf("no pid: %v", r)
		}
		if record := kernelLog(t, m[1], before); record != "" {
			return r, record
		}
	}
	return r, ""
}

// [limits] are what the daemon finds in /proc/self/limits.
func TestLimitsVisibleInside(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	profile := writeProfile(t, h, "limits", base+`[namespaces]
net = "none"
[limits]
nofile  = 256
core    = 0
as      = "4G"
nproc   = { soft = 100, hard = 200 }
memlock = "64k"
cpu     = { soft = 3600 }
`)
	r := run(t, "run", "--state-dir", filepath.Join(h, "state"), profile, "--", "/bin/cat", "/proc/self/limits")
	if r.code != 0 {
		t.Fatalf("run: %v", r)
	}
	for _, want := range []string{
		"Max open files 256 256 files",
		"Max core file size 0 0 bytes",
		"Max address space 4294967296 4294967296 bytes",
		"Max processes 100 200 processes",
		"Max locked memory 65536 65536 bytes",
		"Max cpu time 3600 unlimited seconds",
	} {
		if !strings.Contains(fields(r.stdout), want) {
			t.Errorf("limits lack %q:\n%s", want, r.stdout)
		}
	}
}

// Landlock refuses writes the mounts would allow, outside the writable
// parts of the view; without [landlock] the same writes succeed.
func TestLandlockDeniesWritesOutsideWritablePaths(t *testing.T) {
	requireRoot(t)
	h, probe := hostDir(t), probeDir(t)
	os.MkdirAll(filepath.Join(h, "rw"), 0o755)
	rw := "[[bind]]\nsource = \"" + h + "/rw\"\ntarget = \"/rw\"\nmode = \"rw\"\n"
	probes := []string{"open-write", "/proc/self/comm", "open-write", "/tmp/f", "open-write", "/rw/f", "open-read", "/etc/passwd"}
	open := runProbe(t, h, jail(t, h, probe, "noll", rw), nil, probes...)
	wantLines(t, "without landlock", open, "open-write: ok", "open-read: ok")
	if strings.Count(open.stdout, "open-write: ok") != 3 {
		t.Fatalf("without landlock every write should pass: %v", open)
	}
	auto := runProbe(t, h, jail(t, h, probe, "auto", rw+"[landlock]\n"), nil, probes...)
	if auto.stdout != "open-write: EACCES\nopen-write: ok\nopen-write: ok\nopen-read: ok\n" {
		t.Errorf("landlock auto: want /proc refused, /tmp and /rw writable:\n%v", auto)
	}
	listed := runProbe(t, h, jail(t, h, probe, "listed", rw+"[landlock]\nauto = false\n[[landlock.rule]]\npath = \"/\"\naccess = \"ro\"\n[[landlock.rule]]\npath = \"/rw\"\naccess = \"rw\"\n"), nil, probes...)
	if listed.stdout != "open-write: EACCES\nopen-write: EACCES\nopen-write: ok\nopen-read: ok\n" {
		t.Errorf("landlock with listed rules: want only /rw writable:\n%v", listed)
	}
}

// Bad [seccomp], [limits] and [landlock] values stop check and run with
// the line, and run changes nothing.
func TestConfineBadInputAtCheckTime(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	profile := writeProfile(t, h, "bad", base+`[seccomp]
preset = "default"
deny = ["mout"]
[limits]
nofiles = 10
`)
	for _, args := range [][]string{{"check"}, {"run", "--state-dir", filepath.Join(h, "state")}} {
		cmd := args[0]
		before := mountTable(t, "self")
		r := run(t, append(args, profile)...)
		if r.code == 0 || !strings.Contains(r.stderr, "bad.toml:10: [seccomp] deny: unknown syscall \"mout\": did you mean \"mount\"?") ||
			!strings.Contains(r.stderr, "bad.toml:12: [limits] nofiles: unknown key \"nofiles\"; did you mean \"nofile\"?") {
			t.Errorf("%s: %v", cmd, r)
		}
		sameMounts(t, cmd, before, mountTable(t, "self"))
	}
	if _, err := os.Stat(filepath.Join(h, "state")); !os.IsNotExist(err) {
		t.Errorf("a bad run created the state dir (%v)", err)
	}
}

// refuseBin builds testdata/refuse.c, which runs a command under a filter
// that makes the kernel look as if it lacked seccomp, Landlock or network
// namespaces.
func refuseBin(t *testing.T) string {
	t.Helper()
	dir := probeDir(t)
	out, err := exec.Command("gcc", "-O2", "-o", filepath.Join(dir, "refuse"), filepath.Join("testdata", "refuse.c")).CombinedOutput()
	if err != nil {
		t.Fatalf("build refuse: %v\n%s", err, out)
	}
	return filepath.Join(dir, "refuse")
}

// A layer the kernel cannot enforce stops run before anything is built,
// naming the layer and the kernel feature; marked optional, it is skipped
// and run says so.
func TestFailClosed(t *testing.T) {
	requireRoot(t)
	h, refuse := hostDir(t), refuseBin(t)
	layers := func(optional bool) string {
		o := ""
		if optional {
			o = "optional = true\n"
		}
		return writeProfile(t, h, "layers", base+"[namespaces]\nnet = \"none\"\n[[state]]\ntarget = \"/var/lib/app\"\n[seccomp]\npreset = \"default\"\n"+o+"[landlock]\n"+o)
	}
	runUnder := func(features string, profile string) result {
		args := append(strings.Fields(features), "--", fsviews(t), "run", "--state-dir", filepath.Join(h, "state"), profile, "--",
			"/bin/sh", "-c", "echo > /proc/self/comm && echo proc-writable; echo ran")
		return runShell(t, append([]string{refuse}, args...))
	}
	for _, tc := range []struct {
		name, features string
		want           string
	}{
		{"no seccomp", "seccomp", "[seccomp] (" + h + "/layers.toml:"},
		{"no landlock", "landlock", "[landlock]: this kernel does not enforce Landlock (CONFIG_SECURITY_LANDLOCK"},
		{"network namespace refused", "netns", "unshare mnt,net,pid namespaces: operation not permitted: the kernel refused them"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := mountTable(t, "self")
			r := runUnder(tc.features, layers(false))
			if r.code != 125 || !strings.Contains(r.stderr, tc.want) || strings.Contains(r.stdout, "ran") {
				t.Errorf("want exit 125 and %q, got %v", tc.want, r)
			}
			sameMounts(t, tc.name, before, mountTable(t, "self"))
			if _, err := os.Stat(filepath.Join(h, "state")); !os.IsNotExist(err) {
				t.Errorf("the failed run created the state dir (%v)", err)
			}
		})
	}
	if r := runUnder("seccomp", layers(false)); !strings.Contains(r.stderr, "this kernel cannot enforce it: seccomp filters unavailable") || !strings.Contains(r.stderr, "optional = true under [seccomp]") {
		t.Errorf("the seccomp error does not say what is missing and how to go on: %v", r)
	}
	t.Run("optional layers are skipped and said", func(t *testing.T) {
		r := runUnder("seccomp landlock", layers(true))
		if r.code != 0 || !strings.Contains(r.stdout, "proc-writable\nran\n") ||
			!strings.Contains(r.stderr, "[seccomp] skipped (optional = true): seccomp filters unavailable") ||
			!strings.Contains(r.stderr, "[landlock] skipped (optional = true): the kernel's Landlock ABI is 0") {
			t.Errorf("want a run without both layers, each skip said: %v", r)
		}
	})
	// check and plan ask the kernel too: what run would refuse is a check
	// error, what it would leave out a warning (so check --strict fails)
	// and a line of the plan. Under systemd-nspawn, whose filter refuses
	// landlock_create_ruleset, check --strict used to say ok.
	t.Run("check and plan see what the kernel lacks", func(t *testing.T) {
		under := func(args ...string) result {
			return runShell(t, append([]string{refuse, "landlock", "--", fsviews(t)}, args...))
		}
		r := under("check", layers(false))
		if r.code != 1 || !strings.Contains(r.stderr, "[landlock]: this host cannot enforce it, so fsviews run refuses to start: the kernel's Landlock ABI is 0") {
			t.Errorf("check of a required [landlock]: %v", r)
		}
		r = under("check", "--strict", layers(true))
		if r.code != 1 || !strings.Contains(r.stderr, "warning: [landlock]: this host cannot enforce it, and fsviews run will leave it out") {
			t.Errorf("check --strict of an optional [landlock]: %v", r)
		}
		r = under("plan", "--state-dir", filepath.Join(h, "state"), layers(true))
		if r.code != 0 || !strings.Contains(r.stdout, "# [landlock] skipped (optional = true): the kernel's Landlock ABI is 0") {
			t.Errorf("plan of an optional [landlock]: %v", r)
		}
	})
	t.Run("optional layers run where the kernel has them", func(t *testing.T) {
		r := runShell(t, []string{fsviews(t), "run", "--state-dir", filepath.Join(h, "state"), layers(true), "--", "/bin/sh", "-c", "echo > /proc/self/comm && echo proc-writable; grep '^Seccomp:' /proc/self/status"})
		if r.code != 0 || strings.Contains(r.stdout, "proc-writable") || !strings.Contains(r.stdout, "Seccomp:\t2") || strings.Contains(r.stderr, "skipped") {
			t.Errorf("want both layers on: %v", r)
		}
	})
}

// check warns when a profile shares the host's network without saying so;
// run stays quiet about it.
func TestCheckWarnsImplicitHostNetwork(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	implicit := writeProfile(t, h, "implicit", base)
	r := run(t, "check", implicit)
	if r.code != 0 || !strings.Contains(r.stderr, "implicit.toml: warning: [namespaces] net: the daemon shares the host's network because no file says otherwise") ||
		!strings.Contains(r.stdout, "ok (implicit, 1 warning)") {
		t.Errorf("check: %v", r)
	}
	if r := run(t, "check", "--strict", implicit); r.code != 1 {
		t.Errorf("check --strict: want exit 1, got %v", r)
	}
	if r := run(t, "run", "--state-dir", filepath.Join(h, "state"), implicit, "--", "/bin/true"); r.code != 0 || strings.Contains(r.stderr, "network") {
		t.Errorf("run: %v", r)
	}
	unfiltered := writeProfile(t, h, "unfiltered", base+"[security]\nno_new_privs = false\n")
	if r := run(t, "run", "--seccomp-log", "--state-dir", filepath.Join(h, "state"), unfiltered, "--", "/bin/true"); r.code != 125 || !strings.Contains(r.stderr, "has no syscall filter, so there is nothing to log") {
		t.Errorf("run --seccomp-log without a filter: %v", r)
	}
	explicit := writeProfile(t, h, "explicit", base+"[namespaces]\nnet = \"host\"\n")
	if r := run(t, "check", explicit); r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, "ok (explicit, 0 warnings)") {
		t.Errorf("check with net = \"host\": %v", r)
	}
}

// plan shows the layers; plan --seccomp prints the program run installs.
func TestPlanShowsConfinement(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	profile := writeProfile(t, h, "layers", base+`[namespaces]
net = "none"
[limits]
nofile = 512
[landlock]
[seccomp]
preset = "default"
deny = ["chroot"]
`)
	r := run(t, "plan", profile)
	for _, want := range []string{"rlimit     nofile=512\n", "landlock   /                            ro\n", "landlock   /tmp                         rw\n",
		"seccomp    preset=default deny=chroot refused=errno (", "instructions)\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan lacks %q:\n%v", want, r)
		}
	}
	dis := run(t, "plan", "--seccomp", profile)
	for _, want := range []string{"# seccomp filter for \"layers\"", "ld   [4]", "; x86_64", "chroot", "kexec_load", "; errno\n"} {
		if dis.code != 0 || !strings.Contains(dis.stdout, want) {
			t.Errorf("plan --seccomp lacks %q:\n%v", want, dis)
		}
	}
	logged := run(t, "plan", "--seccomp", "--seccomp-log", profile)
	if !strings.Contains(logged.stdout, "; log\n") || strings.Contains(logged.stdout, "; errno\n") {
		t.Errorf("plan --seccomp --seccomp-log should show log returns instead of EPERM:\n%v", logged)
	}
}

// Every preset lets a program set its own limits only: an in-place
// decoder used prlimit64 on a host process of its uid to set RLIMIT_CPU to
// 1 s and kill it; under daemon and default any daemon could. prlimit(1)
// on its own limits (pid 0, as glibc's setrlimit passes) still works.
func TestPresetPrlimitOnlySelf(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	// strict has the same rule, but a dynamic prlimit(1) cannot start
	// under it. "none" shows the attack itself works from this jail: in
	// the host's PID namespace, where the victim is visible (in a PID
	// namespace of its own the jail cannot name it at all). Each preset
	// gets a fresh victim: raising its limit back would need
	// CAP_SYS_RESOURCE, which the test may not have.
	for _, preset := range []string{"none", "stdio", "daemon", "default"} {
		victim := exec.Command("/bin/sleep", "60")
		if err := victim.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { victim.Process.Kill(); victim.Wait() }()
		limits := fmt.Sprintf("/proc/%d/limits", victim.Process.Pid)
		before, err := os.ReadFile(limits)
		if err != nil {
			t.Fatal(err)
		}
		profile := writeProfile(t, h, "prlimit-"+preset, base+"[namespaces]\npid = false\n[seccomp]\npreset = \""+preset+"\"\n")
		r := run(t, "run", profile, "--", "/usr/bin/prlimit", "--pid", strconv.Itoa(victim.Process.Pid), "--cpu=1:1")
		after, err := os.ReadFile(limits)
		if err != nil {
			t.Fatal(err)
		}
		if preset == "none" {
			if r.code != 0 || string(after) == string(before) {
				t.Fatalf("preset none: prlimit on host process %d should work (the attack), got %v", victim.Process.Pid, r)
			}
			continue
		}
		if r.code == 0 || string(after) != string(before) {
			t.Errorf("preset %s: prlimit on host process %d: want refused and its limits unchanged, got %v\n%s", preset, victim.Process.Pid, r, after)
		}
		if !strings.Contains(r.stderr, "Operation not permitted") {
			t.Errorf("preset %s: prlimit on another process should fail with EPERM, got %v", preset, r)
		}
		if r := run(t, "run", profile, "--", "/usr/bin/prlimit", "--nofile=64:64", "/bin/true"); r.code != 0 {
			t.Errorf("preset %s: prlimit on its own limits: %v", preset, r)
		}
	}
}
