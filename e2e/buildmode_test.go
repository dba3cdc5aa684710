package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
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

// raceBinary builds fsviews with the race detector (which needs cgo).
func raceBinary(t *testing.T) string {
	t.Helper()
	cgoBinary(t) // the same C compiler check, and a cgo build that works
	return buildFsviews(t, "fsviews-race", "CGO_ENABLED=1", "-race=true", "-race")
}

// fsviews run makes the jail's record on another thread while it
// launches. With NOTIFY_SOCKET set to a socket that does not exist, the
// launch used to delete the notify op from the plan that thread was
// encoding: a race build reported it (2 DATA RACE warnings). The plan is
// now decided before either thread runs and never edited. Every model:
// a race build is a cgo build, where fsviews' init drops its privileges
// on its main thread (launch.dropInitPrivs).
func TestRunHasNoDataRace(t *testing.T) {
	requireRoot(t)
	race := raceBinary(t)
	for _, m := range models {
		t.Run(m.name, func(t *testing.T) {
			h := hostDir(t)
			profile := writeProfile(t, h, "race", base+m.namespaces+"[[state]]\ntarget = \"/var/lib/race\"\n")
			a := newAuditEnv(t)
			cmd := exec.Command(race, "run", "--state-dir", a.state, profile, "--", "/bin/true")
			cmd.Env = append(a.environ(), "NOTIFY_SOCKET="+filepath.Join(h, "no-such-socket"), "GORACE=halt_on_error=1 exitcode=66")
			out, err := cmd.CombinedOutput()
			if err != nil || strings.Contains(string(out), "DATA RACE") {
				t.Errorf("run built with -race: %v\n%s", err, out)
			}
		})
	}
}
