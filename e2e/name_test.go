package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Two jails of one profile, run under different --name, keep separate
// state dirs (STATE_ROOT/NAME), and checkpoint/diff --profile find each
// one's by --name.
func TestNamedJailsKeepSeparateState(t *testing.T) {
	requireRoot(t)
	a := newAuditEnv(t)
	profile := writeProfile(t, hostDir(t), "shared", base+`
[[state]]
target = "/var/lib/app"
`)
	hostBefore := mountTable(t, "self")
	write := func(name, word string) {
		t.Helper()
		args := []string{"run", "--state-dir", a.state}
		if name != "" {
			args = append(args, "--name", name)
		}
		args = append(args, profile, "--", "/bin/sh", "-c", "cat /var/lib/app/who 2>/dev/null; echo "+word+" > /var/lib/app/who")
		if r := a.run(t, args...); r.code != 0 || r.stdout != "" {
			t.Fatalf("first run of %q: %v", name, r)
		}
	}
	write("", "default")
	write("web2", "second")

	for name, want := range map[string]string{"shared": "default\n", "web2": "second\n"} {
		b, err := os.ReadFile(filepath.Join(a.state, name, "var/lib/app/who"))
		if err != nil || string(b) != want {
			t.Errorf("state of %s: %q %v, want %q", name, b, err, want)
		}
	}
	// A second run of each sees its own state, not the other's.
	r := a.run(t, "run", "--state-dir", a.state, "--name", "web2", profile, "--", "/bin/cat", "/var/lib/app/who")
	if r.code != 0 || r.stdout != "second\n" {
		t.Errorf("web2 again: %v", r)
	}

	// plan names the jail and its state dir.
	r = a.run(t, "plan", "--state-dir", a.state, "--name", "web2", profile)
	if r.code != 0 || !strings.Contains(r.stdout, `# plan for "web2"`) || !strings.Contains(r.stdout, filepath.Join(a.state, "web2", "var/lib/app")) {
		t.Errorf("plan --name web2: %v", r)
	}

	// checkpoint/diff --profile read the named jail's state dir, by NAME
	// or by --name.
	r = a.run(t, "checkpoint", "--profile", profile, "--state-dir", a.state, "--name", "web2", "--label", "base")
	if r.code != 0 || !strings.Contains(r.stdout, "checkpoint base of jail web2") {
		t.Fatalf("checkpoint --name web2: %v", r)
	}
	mustWrite(t, filepath.Join(a.state, "shared", "var/lib/app/who"), "changed in the other jail\n")
	r = a.run(t, "diff", "--profile", profile, "--state-dir", a.state, "--against", "base", "web2")
	if r.code != 0 {
		t.Errorf("diff of web2 after a change to the other jail's state: %v", r)
	}
	mustWrite(t, filepath.Join(a.state, "web2", "var/lib/app/who"), "changed\n")
	r = a.run(t, "diff", "--profile", profile, "--state-dir", a.state, "--name", "web2", "--against", "base")
	if r.code != 1 || !strings.Contains(r.stdout, "who") {
		t.Errorf("diff of web2 after a change to its state: %v", r)
	}

	// Bad input: two different names, an invalid name; nothing is saved.
	r = a.run(t, "checkpoint", "--profile", profile, "--state-dir", a.state, "--name", "web2", "--label", "x", "web3")
	if r.code != 2 || !strings.Contains(r.stderr, `two names, "web3" and --name "web2": give the jail's name once`) {
		t.Errorf("two names: %v", r)
	}
	r = a.run(t, "plan", "--name", "../etc", profile)
	if r.code != 1 || !strings.Contains(r.stderr, `invalid jail name "../etc"`) {
		t.Errorf("plan --name ../etc: %v", r)
	}
	r = a.run(t, "run", "--state-dir", a.state, "--name", "../x", profile, "--", "/bin/true")
	if r.code != 125 || !strings.Contains(r.stderr, `invalid jail name "../x"`) {
		t.Errorf("run --name ../x: %v", r)
	}
	if _, err := os.Stat(filepath.Join(a.state, "..", "x")); !os.IsNotExist(err) {
		t.Errorf("run --name ../x made a state dir outside the state root: %v", err)
	}
	for _, dir := range []string{filepath.Join(a.checkpoints, "web3"), filepath.Join(a.checkpoints, "web2", "x.json.gz")} {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("a refused checkpoint left %s: %v", dir, err)
		}
	}
	sameMounts(t, "named jails", hostBefore, mountTable(t, "self"))
}
