package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fsviews run writes the jail's record on another thread while it builds
// the view, and waits for it before the daemon runs: a launch that fails
// after the record was written leaves none behind, and a record that
// cannot be written stops the launch before the daemon runs.
func TestRunRegistersBeforeTheDaemonRuns(t *testing.T) {
	requireRoot(t)
	a := newAuditEnv(t)
	h := hostDir(t)
	// In place (pid = false) the record outlives fsviews, which became the
	// daemon; a supervisor would remove it when the jail ends.
	profile := writeProfile(t, h, "reg", base+"[namespaces]\npid = false\n")
	record := filepath.Join(a.runtime, "jails", "reg.json")

	r := a.run(t, "run", profile, "--", "/bin/sh", "-c", "echo ran")
	if r.code != 0 || r.stdout != "ran\n" {
		t.Fatalf("run: %v", r)
	}
	if _, err := os.Stat(record); err != nil {
		t.Errorf("a started jail has no record: %v", err)
	}

	// Not found inside the view: the view was built and the record
	// written; the failed launch removes it.
	r = a.run(t, "run", profile, "--", "/no/such/daemon")
	if r.code != 127 || !strings.Contains(r.stderr, "/no/such/daemon") {
		t.Errorf("missing command: %v", r)
	}
	if _, err := os.Stat(record); !os.IsNotExist(err) {
		t.Errorf("a failed launch left its record behind: %v", err)
	}

	// A registry that cannot be written: the daemon never runs.
	blocked := newAuditEnv(t)
	if err := os.MkdirAll(blocked.runtime, 0o700); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(blocked.runtime, "jails"), "not a directory\n")
	r = blocked.run(t, "run", profile, "--", "/bin/sh", "-c", "echo ran")
	if r.code != 125 || r.stdout != "" || !strings.Contains(r.stderr, "register jail reg") {
		t.Errorf("unwritable registry: want exit 125, no output and a message naming the registration, got %v", r)
	}
}

// The plan a jail runs is the plan `fsviews plan` prints for the same
// profile and environment: the registry records the plan run executed,
// and nothing in the launch edits it on the way (an unusable
// NOTIFY_SOCKET is left out before the plan is made; a rootless jail's
// state dirs are planned as the caller's). Before, run dropped the
// notify socket from the plan while another thread was recording it (a
// data race), and `plan --userns` printed owner=0:0 for state dirs run
// left to the caller.
func TestPlanIsWhatRuns(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	cases := []struct {
		name, extra string
		flags       []string
	}{
		{"inplace", "[namespaces]\npid = false\n", nil},
		{"rootless", "", []string{"--userns"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := newAuditEnv(t)
			profile := writeProfile(t, h, "frozen-"+c.name, base+c.extra+"[[state]]\ntarget = \"/var/lib/app\"\n")
			env := append(a.environ(), "NOTIFY_SOCKET="+filepath.Join(h, "no-such-socket"))
			args := append(append([]string{"--state-dir", a.state}, c.flags...), profile, "--", "/bin/sh", "-c", "echo ready; exec sleep 30")
			planned := runEnv(t, env, append([]string{"plan", "--json"}, args...)...)
			if planned.code != 0 || !strings.Contains(planned.stderr, "running without NOTIFY_SOCKET") {
				t.Fatalf("plan --json: %v", planned)
			}
			cmd := exec.Command(fsviews(t), append([]string{"run"}, args...)...)
			cmd.Env = env
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { cmd.Process.Kill(); cmd.Wait() }()
			line, err := bufio.NewReader(out).ReadString('\n')
			if err != nil || line != "ready\n" {
				t.Fatalf("the jail did not start: %q %v", line, err)
			}
			b, err := os.ReadFile(filepath.Join(a.runtime, "jails", "frozen-"+c.name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var record struct {
				Plan json.RawMessage `json:"plan"`
			}
			if err := json.Unmarshal(b, &record); err != nil {
				t.Fatal(err)
			}
			var ran, want any
			if err := json.Unmarshal(record.Plan, &ran); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(planned.stdout), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ran, want) {
				t.Errorf("the recorded plan differs from plan --json:\nran:  %s\nplan: %s", record.Plan, planned.stdout)
			}
			if strings.Contains(string(record.Plan), "notify") {
				t.Errorf("the unusable NOTIFY_SOCKET is still in the plan: %s", record.Plan)
			}
		})
	}
}
