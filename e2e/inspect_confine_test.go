package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// inspect reads the seccomp mode and the rlimits a jail runs under from
// /proc and sets them against the plan's [seccomp] and [limits]; a record
// whose plan expects another limit is drift.
func TestInspectSeccompAndLimits(t *testing.T) {
	requireRoot(t)
	a := newAuditEnv(t)
	profile := writeProfile(t, hostDir(t), "confined", base+`
[seccomp]
preset = "default"
[limits]
nofile = 64
`)
	hostBefore := mountTable(t, "self")
	a.start(t, "run", "--state-dir", a.state, profile, "--", "/bin/sh", "-c", "echo ready; exec sleep 600")

	r := a.run(t, "inspect", "confined")
	if r.code != 0 {
		t.Fatalf("inspect of an untouched jail: %v", r)
	}
	out := fields(r.stdout)
	for _, want := range []string{"ok Seccomp 2 (filter)", "ok Seccomp_filters ", "ok NoNewPrivs 1", "ok rlimit nofile 64 / 64: [limits] nofile at " + profile} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect lacks %q:\n%s", want, r.stdout)
		}
	}

	// The same jail against a record that expects nofile = 65.
	record := filepath.Join(a.runtime, "jails", "confined.json")
	raw, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	plan := rec["plan"].(map[string]any)
	limit := plan["limits"].([]any)[0].(map[string]any)
	if limit["name"] != "nofile" {
		t.Fatalf("record's limits: %v", plan["limits"])
	}
	limit["soft"], limit["hard"] = 65, 65
	edited, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(record, edited, 0o600); err != nil {
		t.Fatal(err)
	}
	r = a.run(t, "inspect", "confined")
	if r.code != 1 || !strings.Contains(fields(r.stdout), "DRIFT rlimit nofile 64 / 64 (want 65 / 65)") {
		t.Errorf("inspect against nofile = 65: %v", r)
	}
	r = a.run(t, "inspect", "--json", "confined")
	var rep struct {
		Drift    bool
		Enforced []struct {
			Name, Want, Got string
			OK              bool
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || !rep.Drift || r.code != 1 {
		t.Fatalf("inspect --json: %v %v", err, r)
	}
	for _, c := range rep.Enforced {
		if c.Name == "rlimit nofile" && (c.OK || c.Want != "65 / 65" || c.Got != "64 / 64") {
			t.Errorf("--json rlimit nofile: %+v", c)
		}
	}
	sameMounts(t, "inspect", hostBefore, mountTable(t, "self"))
}

// A jail with its own PID namespace is registered by its supervisor under
// the PID of the jail's init, inspected through the daemon (the init's
// child, with the daemon's own privileges and filter), and unregistered
// when it ends.
func TestAuditSupervisedJail(t *testing.T) {
	requireRoot(t)
	a := newAuditEnv(t)
	profile := writeProfile(t, hostDir(t), "supervised", base+`
[namespaces]
pid = true
[security]
capabilities = ["net_bind_service"]
[seccomp]
preset = "default"
[limits]
nofile = 64
`)
	supervisor, cmd := a.start(t, "run", "--state-dir", a.state, profile, "--", "/bin/sh", "-c", "echo ready; exec sleep 600")
	ps := a.run(t, "ps", "--json")
	var jails []struct {
		Name   string
		PID    int
		Health string
	}
	if err := json.Unmarshal([]byte(ps.stdout), &jails); err != nil || len(jails) != 1 {
		t.Fatalf("ps --json: %v %v", err, ps)
	}
	if jails[0].Name != "supervised" || jails[0].PID == supervisor || jails[0].Health != "running" {
		t.Errorf("the record should name the jail's init (a child of supervisor %d), running: %+v", supervisor, jails[0])
	}
	r := a.run(t, "inspect", "supervised")
	out := fields(r.stdout)
	if r.code != 0 {
		t.Errorf("inspect of an untouched supervised jail: %v", r)
	}
	for _, want := range []string{"ok CapEff CAP_NET_BIND_SERVICE", "ok Seccomp 2 (filter)", "ok rlimit nofile 64 / 64"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := a.run(t, "checkpoint", "--label", "base", "supervised"); r.code != 0 {
		t.Errorf("checkpoint of the running jail: %v", r)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	// The ended jail's record stays, stale, so that diff NAME still finds
	// its state dirs (docs/auditing.md, step 6); --prune removes it.
	if r := a.run(t, "ps"); !strings.Contains(r.stdout, "supervised") || !strings.Contains(r.stdout, "stale") {
		t.Errorf("an ended supervised jail should leave its record, stale:\n%s", r.stdout)
	}
	if r := a.run(t, "diff", "--against", "base", "supervised"); r.code != 0 || !strings.Contains(r.stderr, "not compared") {
		t.Errorf("diff of the stopped jail by name: %v", r)
	}
	if r := a.run(t, "ps", "--prune"); r.code != 0 || !strings.Contains(r.stderr, "pruned supervised") {
		t.Errorf("ps --prune: %v", r)
	}
}

// inspect judges every process of the jail, not only the daemon: its
// workers pass, and a process that holds more than the plan grants (here
// a root shell an admin put in with nsenter, with every capability and
// no filter) is drift, named by PID.
func TestInspectJudgesEveryProcess(t *testing.T) {
	requireRoot(t)
	a := newAuditEnv(t)
	profile := writeProfile(t, hostDir(t), "workers", base)
	_, cmd := a.start(t, "run", "--state-dir", a.state, profile, "--", "/bin/sh", "-c", "sleep 600 & echo ready; exec sleep 600")
	r := a.run(t, "inspect", "workers")
	// The processes are judged here, not the binds of /etc the base
	// profile has, which a shared machine may replace meanwhile.
	if !strings.Contains(r.stdout, "other processes:\n  ok     pid ") || !strings.Contains(r.stdout, "0 of 1 other processes hold more than planned") {
		t.Fatalf("inspect with one worker: %v", r)
	}
	ps := a.run(t, "ps", "--json")
	var jails []struct{ PID int }
	if err := json.Unmarshal([]byte(ps.stdout), &jails); err != nil || len(jails) != 1 {
		t.Fatalf("ps --json: %v %v", err, ps)
	}
	intruder := exec.Command("nsenter", "--target", strconv.Itoa(jails[0].PID), "--pid", "--mount", "--", "/bin/sleep", "600")
	if err := intruder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { intruder.Process.Kill(); intruder.Wait() }()
	var out string
	for try := 0; try < 50; try++ {
		r = a.run(t, "inspect", "workers")
		if out = r.stdout; strings.Contains(out, "1 of 2 other processes hold more than planned") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r.code != 1 || !strings.Contains(out, "  DRIFT  pid ") || !strings.Contains(out, "CapEff") {
		t.Errorf("a root shell in the jail should be drift: %v", r)
	}
	cmd.Process.Signal(syscall.SIGTERM)
}

// ps and inspect take a PID of any process in the jail as well as its
// name; ps --json says which process the caller started (the supervisor,
// systemd's main PID under a unit) and the jail's cgroup. A PID in no jail
// is an error saying so.
func TestJailByPID(t *testing.T) {
	requireRoot(t)
	a := newAuditEnv(t)
	profile := writeProfile(t, hostDir(t), "bypid", base)
	supervisor, cmd := a.start(t, "run", "--state-dir", a.state, profile, "--", "/bin/sh", "-c", "sleep 6011 & echo ready; exec sleep 6012")
	defer cmd.Process.Signal(syscall.SIGTERM)
	// The shell may not have exec'd the background sleep yet.
	var out []byte
	var err error
	for try := 0; try < 100; try++ {
		if out, err = exec.Command("pgrep", "-f", "^sleep 6011$").Output(); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	worker, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || worker == 0 {
		t.Fatalf("the jail's worker: %v %q", err, out)
	}
	r := a.run(t, "ps", "--json", strconv.Itoa(worker))
	var rows []struct {
		Name    string
		MainPID int `json:"main_pid"`
		Cgroup  string
	}
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 1 || rows[0].Name != "bypid" || rows[0].MainPID != supervisor || rows[0].Cgroup == "" {
		t.Errorf("ps --json %d: want jail bypid, main PID %d (the supervisor) and a cgroup: %v %v", worker, supervisor, err, r)
	}
	if r := a.run(t, "inspect", strconv.Itoa(worker)); r.code == 2 || !strings.HasPrefix(r.stdout, "jail bypid, PID ") {
		t.Errorf("inspect by a worker's PID: %v", r)
	}
	if r := a.run(t, "inspect", "1"); r.code != 2 || !strings.Contains(r.stderr, "process 1 is in no running jail") {
		t.Errorf("inspect of a PID in no jail: %v", r)
	}
	if r := a.run(t, "ps", "nosuch.service"); r.code != 2 || !strings.Contains(r.stderr, "no running jail is in unit nosuch.service") {
		t.Errorf("ps of a unit with no jail: %v", r)
	}
}
