package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fsviews/fsviews/registry"
)

// Issue #19: fsviews exec runs a command in a running jail under the
// jail's own confinement, entered through a pidfd checked against the
// root-owned record.

// execModels are the two process models exec enters: the daemon in place
// (the jail shares the host's PIDs) and a jail with its own PID namespace.
var execModels = []struct{ name, ns string }{
	{"in place", "[namespaces]\npid = false\nnet = \"none\"\n"},
	{"pid namespace", "[namespaces]\npid = true\nnet = \"none\"\n"},
}

// jailRecord reads the record of jail name as ps --json shows it.
func jailRecord(t *testing.T, a auditEnv, name string) (pid int, namespaces map[string]uint64) {
	t.Helper()
	r := a.run(t, "ps", "--json")
	var rows []struct {
		Name       string            `json:"name"`
		PID        int               `json:"pid"`
		Namespaces map[string]uint64 `json:"namespaces"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("ps --json: %v\n%v", err, r)
	}
	for _, row := range rows {
		if row.Name == name {
			return row.PID, row.Namespaces
		}
	}
	t.Fatalf("jail %s not in ps --json:\n%v", name, r)
	return 0, nil
}

// nsLink is /proc/PID/ns/NAME as the host reads it.
func nsLink(t *testing.T, pid int, name string) string {
	t.Helper()
	l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, name))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// exec into either model sees the view, not the host: the jail's tmpfs,
// its root listing, its mount (and PID) namespace; exit status and the
// signal that killed the command come back as fsviews exec's own; the
// exec is recorded where inspect shows it; the host's mounts never change.
func TestExecSeesTheView(t *testing.T) {
	requireRoot(t)
	for _, m := range execModels {
		t.Run(m.name, func(t *testing.T) {
			a := newAuditEnv(t)
			h := hostDir(t)
			hostOnly := filepath.Join(h, "host-only")
			mustWrite(t, hostOnly, "host\n")
			profile := writeProfile(t, h, "execview", base+m.ns)
			before := mountTable(t, "self")
			a.start(t, "run", "--state-dir", a.state, profile, "--", "/bin/sh", "-c",
				"echo jail > /tmp/marker; ls / > /tmp/ls; echo ready; exec sleep 600")
			pid, _ := jailRecord(t, a, "execview")

			r := a.run(t, "exec", "execview", "--", "/bin/sh", "-c",
				"cat /tmp/marker; ls / | cmp -s - /tmp/ls && echo same-root; test -e "+hostOnly+" && echo HOST-VISIBLE; "+
					"readlink /proc/self/ns/mnt /proc/self/ns/pid; pwd")
			if r.code != 0 {
				t.Fatalf("exec: %v", r)
			}
			want := []string{"jail", "same-root", nsLink(t, pid, "mnt"), nsLink(t, pid, "pid"), "/"}
			for _, w := range want {
				if !hasLine(r.stdout, w) {
					t.Errorf("exec output lacks %q: %v", w, r)
				}
			}
			if strings.Contains(r.stdout, "HOST-VISIBLE") {
				t.Errorf("exec sees the host's files: %v", r)
			}

			if r := a.run(t, "exec", "execview", "--", "/bin/sh", "-c", "exit 7"); r.code != 7 {
				t.Errorf("exit 7 in the jail: want exec's status 7, got %v", r)
			}
			if r := a.run(t, "exec", "execview", "--", "/bin/sh", "-c", "kill -TERM $$"); r.signal != syscall.SIGTERM {
				t.Errorf("a command killed by SIGTERM: want exec killed by it too, got %v", r)
			}
			if r := a.run(t, "exec", "execview", "--", "/no/such/command"); r.code != 127 || !strings.Contains(r.stderr, "command /no/such/command not found inside the view") {
				t.Errorf("a command not in the view: want 127 and why, got %v", r)
			}

			r = a.run(t, "inspect", "execview")
			if !strings.Contains(r.stdout, "by uid 0 as 0:0") || !strings.Contains(r.stdout, `: /bin/sh -c "exit 7"`+"\n") {
				t.Errorf("inspect does not show the execs: %v", r)
			}
			sameMounts(t, "exec", before, mountTable(t, "self"))
		})
	}
}

// The command runs with exactly the daemon's confinement: capabilities,
// no_new_privs, seccomp (a syscall the filter refuses), rlimits, Landlock
// (/proc is read-only to it, though mounted read-write), cgroup, user and
// groups; --user only lowers.
func TestExecConfinementEqualsTheDaemon(t *testing.T) {
	requireRoot(t)
	a := newAuditEnv(t)
	h, probe := hostDir(t), probeDir(t)
	profile := writeProfile(t, h, "execconf", base+`
[namespaces]
net = "none"
[[bind]]
source = "`+probe+`"
target = "/probe"
[security]
capabilities = ["CAP_NET_BIND_SERVICE", "CAP_CHOWN"]
[seccomp]
preset = "default"
[limits]
nofile = 123
nproc = 456
[landlock]
[cgroup]
pids = 50
`)
	// What the daemon's own process has, then what an exec'd one has.
	const show = `grep -E '^(Uid|Gid|Groups|Cap[A-Za-z]+|NoNewPrivs|Seccomp|Seccomp_filters):' /proc/self/status; ` +
		`grep -E '^Max (open files|processes)' /proc/self/limits; cat /proc/self/cgroup; ` +
		`/probe/probe unshare mount; (echo 0 > /proc/self/oom_score_adj) 2>/dev/null && echo oom-written || echo oom-refused`
	a.start(t, "run", "--state-dir", a.state, profile, "--", "/bin/sh", "-c", "("+show+") > /tmp/daemon; echo ready; exec sleep 600")

	daemon := a.run(t, "exec", "execconf", "--", "/bin/cat", "/tmp/daemon")
	got := a.run(t, "exec", "execconf", "--", "/bin/sh", "-c", show)
	if daemon.code != 0 || got.code != 0 {
		t.Fatalf("exec: %v\n%v", daemon, got)
	}
	if daemon.stdout != got.stdout {
		t.Errorf("the exec'd command's confinement differs from the daemon's:\ndaemon:\n%s\nexec:\n%s", daemon.stdout, got.stdout)
	}
	for _, w := range []string{"CapEff:\t0000000000000401", "NoNewPrivs:\t1", "Seccomp:\t2", "unshare: EPERM", "mount: EPERM", "oom-refused"} {
		if !hasLine(got.stdout, w) {
			t.Errorf("exec'd command lacks %q:\n%s", w, got.stdout)
		}
	}
	// The jail's cgroup namespace is rooted at its cgroup: a process in
	// it reads "/" there, and a path such as "/.." anywhere else.
	cgroupLines := 0
	for _, line := range strings.Split(got.stdout, "\n") {
		if f := strings.SplitN(line, ":", 3); len(f) == 3 && f[0] != "" && strings.Trim(f[0], "0123456789") == "" {
			cgroupLines++
			if f[2] != "/" {
				t.Errorf("exec'd command not in the jail's cgroup (%s):\n%s", line, got.stdout)
			}
		}
	}
	if cgroupLines == 0 {
		t.Errorf("no /proc/self/cgroup lines:\n%s", got.stdout)
	}

	// --user from a root daemon: another user, no capability at all.
	r := a.run(t, "exec", "--user", "65534:65534", "execconf", "--", "/bin/sh", "-c", show)
	for _, w := range []string{"Uid:\t65534\t65534\t65534\t65534", "Groups:\t65534 ", "CapEff:\t0000000000000000", "CapBnd:\t0000000000000000", "CapAmb:\t0000000000000000", "NoNewPrivs:\t1", "unshare: EPERM"} {
		if !hasLine(r.stdout, w) {
			t.Errorf("--user 65534: output lacks %q: %v", w, r)
		}
	}
	// --user that would not lower: root with another group.
	r = a.run(t, "exec", "--user", "0:5", "execconf", "--", "/bin/sh", "-c", "echo RAN")
	if r.code != 125 || strings.Contains(r.stdout, "RAN") || !strings.Contains(r.stderr, "--user may only lower privileges") {
		t.Errorf("--user 0:5: want refused, got %v", r)
	}
}

// A jail whose daemon is not root: --user may not pick anyone else.
func TestExecUserMayOnlyLower(t *testing.T) {
	requireRoot(t)
	a := newAuditEnv(t)
	profile := writeProfile(t, hostDir(t), "execnobody", base+`
[namespaces]
net = "none"
[security]
user = "65534"
`)
	a.start(t, "run", "--state-dir", a.state, profile, "--", "/bin/sh", "-c", "echo ready; exec sleep 600")
	for _, u := range []string{"0", "1000", "65534:0"} {
		r := a.run(t, "exec", "--user", u, "execnobody", "--", "/bin/sh", "-c", "echo RAN")
		if r.code != 125 || strings.Contains(r.stdout, "RAN") || !strings.Contains(r.stderr, "would not lower the privileges of the jail's daemon, which runs as 65534:65534") {
			t.Errorf("--user %s into a jail of uid 65534: want refused, got %v", u, r)
		}
	}
	if r := a.run(t, "exec", "execnobody", "--", "/usr/bin/id", "-u"); r.code != 0 || r.stdout != "65534\n" {
		t.Errorf("exec without --user: want the daemon's uid, got %v", r)
	}
}

// racerDir builds testdata/racer.c, statically, into a host dir the jail
// binds as /racer.
func racerDir(t *testing.T) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Fatal("the exec race test needs gcc to build testdata/racer.c: apt-get install gcc libc6-dev")
	}
	dir := hostDir(t)
	out, err := exec.Command(gcc, "-static", "-O2", "-o", filepath.Join(dir, "racer"), filepath.Join("testdata", "racer.c")).CombinedOutput()
	if err != nil {
		t.Fatalf("build the racer: %v\n%s", err, out)
	}
	return dir
}

// A jailed root process that races every exec into its jail (it tries
// ptrace, /proc/PID/exe, root, fd and
// environ) gets nothing of the entering process: not the host's binary,
// nor its sealed copy, nor the host's root, fds or environment. It does
// reach the commands once they run in the jail (ptrace-ok), which shows
// that it could have. The racer runs without a seccomp filter: the
// attacker at its strongest, short of CAP_SYS_PTRACE (exec refuses
// such jails). Until the stage's first instruction it is dumpable, and
// only that capability guards it then: the held execs show it (with the
// refusal taken out, the racer reads the memfd, the host's root and the
// pidfd of a held stage).
func TestExecRacerGetsNothing(t *testing.T) {
	requireRoot(t)
	racer := racerDir(t)
	bin, err := os.Stat(fsviews(t))
	if err != nil {
		t.Fatal(err)
	}
	st := bin.Sys().(*syscall.Stat_t)
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Fatal("the exec race test holds the enter stage with strace: apt-get install strace")
	}
	for _, m := range execModels {
		t.Run(m.name, func(t *testing.T) {
			a := newAuditEnv(t)
			h, out := hostDir(t), hostDir(t)
			hostMark := filepath.Join(h, "host-mark")
			mustWrite(t, hostMark, "host\n")
			tag := fmt.Sprintf("RACE-TARGET-%d", time.Now().UnixNano())
			profile := writeProfile(t, h, "execrace", base+m.ns+`
[[bind]]
source = "`+racer+`"
target = "/racer"
[[bind]]
source = "`+out+`"
target = "/out"
mode = "rw"
[seccomp]
preset = "none"
`)
			a.start(t, "run", "--state-dir", a.state, profile, "--", "/racer/racer", "/out/report", tag, hostMark,
				strconv.FormatUint(st.Dev, 10), strconv.FormatUint(st.Ino, 10))

			env := append(a.environ(), "FSVIEWS_EXEC_SECRET=host-secret")
			seen := 0
			for i := 0; i < 200 && (seen < 5 || i < 4); i++ {
				// Every other exec with --tty: its socket and the
				// terminal's master must not reach the jail either.
				args := []string{"exec", "execrace", "--", "/bin/sh", "-c", "sleep 0.05; echo done", tag}
				if i%2 == 1 {
					args = append([]string{"exec", "--tty"}, args[1:]...)
				}
				r := runEnv(t, env, args...)
				if r.code != 0 || strings.ReplaceAll(r.stdout, "\r", "") != "done\n" {
					t.Fatalf("exec %d under attack: %v", i, r)
				}
				b, _ := os.ReadFile(filepath.Join(out, "report"))
				seen = strings.Count(string(b), "seen-stage ")
			}
			// The stage held, freshly executed, before its first
			// instruction (strace delays the return of every execve):
			// what the racer reaches then, it reaches however fast
			// the stage makes itself non-dumpable.
			before := seen
			for i := 0; i < 3; i++ {
				cmd := exec.Command(strace, "-f", "-qq", "-o", "/dev/null", "-e", "trace=execve",
					"-e", "inject=execve:delay_exit=100000", fsviews(t), "exec", "execrace", "--", "/bin/sh", "-c", "echo done", tag)
				cmd.Env = env
				if out, err := cmd.CombinedOutput(); err != nil || string(out) != "done\n" {
					t.Fatalf("held exec %d under attack: %v\n%s", i, err, out)
				}
			}
			b, err := os.ReadFile(filepath.Join(out, "report"))
			if err != nil {
				t.Fatal(err)
			}
			report := string(b)
			if held := strings.Count(report, "seen-stage ") - before; held < 3 {
				t.Errorf("the racer caught a held stage only %d times in 3 held execs", held)
			}
			for _, l := range strings.Split(report, "\n") {
				if strings.HasPrefix(l, "LEAK") {
					t.Errorf("the racer got at the entering process: %s", l)
				}
			}
			if seen == 0 {
				t.Fatalf("the racer never caught an enter stage in 200 execs, so this run proves nothing:\n%s", report)
			}
			if !strings.Contains(report, "ptrace-ok ") {
				t.Errorf("the racer never ptraced a command in the jail, so it proves nothing about the stage:\n%s", report)
			}
			t.Logf("racer caught the enter stage %d times; %d ptrace-ok on commands in the jail", seen, strings.Count(report, "ptrace-ok "))
		})
	}
}

// writeRecord writes a record straight into the registry, as someone who
// forged it would.
func writeRecord(t *testing.T, a auditEnv, rec registry.Record) {
	t.Helper()
	data, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(a.runtime, "jails", rec.Name+".json")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// exec refuses a record that does not describe its process: one naming a
// host process (in the host's namespaces, or with a jail's namespaces it is
// not in), and one whose PID now belongs to another process (another start
// time). Nothing runs, on the host or anywhere, and the records stay as
// they were.
func TestExecRefusesForgedAndReusedRecords(t *testing.T) {
	requireRoot(t)
	a := newAuditEnv(t)
	h := hostDir(t)
	profile := writeProfile(t, h, "execreal", base+"[namespaces]\nnet = \"none\"\n")
	a.start(t, "run", "--state-dir", a.state, profile, "--", "/bin/sh", "-c", "echo ready; exec sleep 600")
	real, err := (registry.Registry{Dir: filepath.Join(a.runtime, "jails")}).Get("execreal")
	if err != nil {
		t.Fatal(err)
	}

	host := exec.Command("sleep", "600")
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { host.Process.Kill(); host.Wait() })
	hostPID := host.Process.Pid
	start, err := registry.ProcStartTime(hostPID)
	if err != nil {
		t.Fatal(err)
	}
	hostNS, err := registry.Namespaces(hostPID)
	if err != nil {
		t.Fatal(err)
	}
	pwned := filepath.Join(h, "pwned")
	cases := []struct {
		name string
		rec  registry.Record
		want string
	}{
		{"host process, host namespaces",
			registry.Record{Name: "forged1", PID: hostPID, StartTime: start, Namespaces: hostNS, Plan: real.Plan},
			"its record names the host's mount namespace"},
		{"host process, the jail's namespaces",
			registry.Record{Name: "forged2", PID: hostPID, StartTime: start, Namespaces: real.Namespaces, Plan: real.Plan},
			"jail forged2 has drifted"},
		{"a reused PID",
			registry.Record{Name: "reused", PID: real.PID, StartTime: real.StartTime - 1, Namespaces: real.Namespaces, Plan: real.Plan},
			fmt.Sprintf("jail reused is not running: PID %d now belongs to another process", real.PID)},
		{"no plan",
			registry.Record{Name: "noplan", PID: real.PID, StartTime: real.StartTime, Namespaces: real.Namespaces},
			"its record holds no plan"},
	}
	for _, c := range cases {
		writeRecord(t, a, c.rec)
		before, _ := os.ReadFile(filepath.Join(a.runtime, "jails", c.rec.Name+".json"))
		r := a.run(t, "exec", c.rec.Name, "--", "/bin/sh", "-c", "echo RAN; echo x > "+pwned)
		if r.code != 125 || strings.Contains(r.stdout, "RAN") || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: want exit 125 and %q, got %v", c.name, c.want, r)
		}
		if _, err := os.Stat(pwned); !os.IsNotExist(err) {
			t.Fatalf("%s: the command ran on the host", c.name)
		}
		after, _ := os.ReadFile(filepath.Join(a.runtime, "jails", c.rec.Name+".json"))
		if string(before) != string(after) {
			t.Errorf("%s: a refused exec changed the record", c.name)
		}
	}
}

// Bad input: no command, an unknown jail, a stopped one. Each says why
// with exit status 125, runs nothing, records nothing.
func TestExecBadInput(t *testing.T) {
	requireRoot(t)
	a := newAuditEnv(t)
	profile := writeProfile(t, hostDir(t), "execbad", base+"[namespaces]\nnet = \"none\"\npid = false\n")
	_, jail := a.start(t, "run", "--state-dir", a.state, profile, "--", "/bin/sh", "-c", "echo ready; exec sleep 600")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"exec", "execbad"}, "name one jail and a command: fsviews exec [--user U] [--tty] JAIL -- CMD ARGS..."},
		{[]string{"exec", "nosuch", "--", "/bin/true"}, `no jail named "nosuch"`},
		{[]string{"exec", "--user", "no-such-user-x", "execbad", "--", "/bin/true"}, `--user no-such-user-x: unknown user "no-such-user-x" (on the host); nothing was run`},
	} {
		r := a.run(t, c.args...)
		if r.code != 125 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: want 125 and %q, got %v", c.args, c.want, r)
		}
	}
	stop(jail)
	r := a.run(t, "exec", "execbad", "--", "/bin/sh", "-c", "echo RAN")
	if r.code != 125 || strings.Contains(r.stdout, "RAN") || !strings.Contains(r.stderr, "jail execbad is not running: process") {
		t.Errorf("exec into a stopped jail: %v", r)
	}
	if strings.Contains(a.run(t, "inspect", "execbad").stdout, "exec:") {
		t.Errorf("a refused exec was recorded")
	}
}
