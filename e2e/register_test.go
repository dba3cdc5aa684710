package e2e

import (
	"os"
	"path/filepath"
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
