package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A jail whose state dir would be the checkpoint store (a jail named
// "checkpoints" under the default layout) or the registry is refused before
// anything is built: such a jail replaced another jail's baseline, after
// which diff passed a planted setuid file.
func TestJailStateCannotBeTheAuditStore(t *testing.T) {
	requireRoot(t)
	a := newAuditEnv(t)
	app := writeProfile(t, hostDir(t), "app", base+"[[state]]\ntarget = \"/var/lib/app\"\n")
	if r := a.run(t, "checkpoint", "--profile", app, "--state-dir", a.state, "--label", "base"); r.code != 0 {
		t.Fatalf("baseline: %v", r)
	}
	baseline := filepath.Join(a.checkpoints, "app", "base.json.gz")
	before := fileSum(t, baseline)

	// The store is h/checkpoints; a jail named checkpoints with state
	// root h has it as its state dir, and a state dir /app is the store's
	// directory of jail app.
	evil := writeProfile(t, hostDir(t), "checkpoints", base+"[[state]]\ntarget = \"/app\"\n")
	for _, tc := range []struct{ name, stateRoot, want string }{
		{"checkpoint store", filepath.Dir(a.checkpoints), "overlaps the checkpoint store (--checkpoint-dir), " + a.checkpoints},
		{"registry", filepath.Dir(a.runtime), "overlaps the jail registry (--runtime-dir), " + a.runtime},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"run", "--state-dir", tc.stateRoot, evil, "--", "/bin/sh", "-c", "echo forged > /app/base.json.gz"}
			if tc.name == "registry" {
				args = []string{"run", "--name", "run", "--state-dir", tc.stateRoot, evil, "--", "/bin/true"}
			}
			r := a.run(t, args...)
			if r.code != 125 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "nothing was changed") {
				t.Errorf("want exit 125 and %q: %v", tc.want, r)
			}
		})
	}
	if fileSum(t, baseline) != before {
		t.Fatal("the jail changed another jail's baseline")
	}
	// A planted symlink in place of a checkpoint is not followed.
	if err := os.Remove(baseline); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", baseline); err != nil {
		t.Fatal(err)
	}
	if r := a.run(t, "diff", "--against", "base", "--profile", app, "--state-dir", a.state); r.code == 0 || r.code == 1 {
		t.Errorf("diff against a symlinked checkpoint: %v", r)
	}
}
