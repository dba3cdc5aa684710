package e2e

import (
	"path/filepath"
	"testing"
)

// A PID-namespace jail outlives the half second after which the
// supervisor and fsviews' init shrink (launch/rss_linux.go), in every way
// fsviews is built: the static binary of make build, and the
// position-independent one distributions build, which used to die with
// SIGSEGV (exit 139) when shrink dropped its relocated read-only pages.
func TestSupervisedJailInEveryBuildMode(t *testing.T) {
	requireRoot(t)
	binaries := map[string]string{"static": fsviews(t), "pie": pieBinary(t)}
	for _, mode := range []string{"static", "pie"} {
		t.Run(mode, func(t *testing.T) {
			h := hostDir(t)
			profile := writeProfile(t, h, "shrink", base)
			before := mountTable(t, "self")
			r := runShell(t, []string{binaries[mode], "run", "--state-dir", filepath.Join(h, "state"), profile, "--",
				"/bin/sh", "-c", "sleep 1; echo still-here; exit 7"})
			if r.code != 7 || r.stdout != "still-here\n" {
				t.Errorf("%s build: want the daemon's exit 7 after 1 s, got %v", mode, r)
			}
			sameMounts(t, mode, before, mountTable(t, "self"))
		})
	}
}
