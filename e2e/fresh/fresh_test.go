//go:build freshclone

// Package fresh checks that a fresh clone of the repository runs its
// systemd tests on its own. It runs apart from the other tests (make test
// starts it last, with -tags freshclone): it boots a second systemd
// container, which must not run beside the first.
package fresh

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The systemd tests need nothing from outside the repository: a fresh
// clone, with no SD_HARNESS, no FSVIEWS_BIN and CI=true (so a harness
// that cannot boot fails rather than skips), boots its own systemd with
// its own scripts/sd-container and passes a unit test.
func TestFreshCloneRunsTheSystemdTests(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("CI runs as root: the fresh clone's systemd tests must run")
		}
		t.Skip("booting systemd in a container needs root: sudo make test")
	}
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(file), "..", "..")
	clone := filepath.Join(t.TempDir(), "fsviews")
	if out, err := exec.Command("git", "clone", "--quiet", "--no-hardlinks", repo, clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	cmd := exec.Command("go", "test", "-count=1", "-run", "^TestSimpleUnit$", "./e2e/systemd")
	cmd.Dir = clone
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "SD_HARNESS", "SD_HARNESS_DIR", "SD_HARNESS_NAME", "FSVIEWS_BIN", "CI":
		default:
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "CI=true")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok  \tgithub.com/fsviews/fsviews/e2e/systemd") {
		t.Errorf("the systemd tests of a fresh clone: %v\n%s", err, out)
	}
}
