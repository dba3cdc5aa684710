package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// cgoBinary builds fsviews the way `go build` or `go install` does where a
// C compiler is installed: with cgo. `make build` ships a static binary
// (CGO_ENABLED=0), but users who build it themselves get this one.
func cgoBinary(t *testing.T) string {
	t.Helper()
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "gcc"
	}
	if _, err := exec.LookPath(cc); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("a cgo build of fsviews needs a C compiler, and CI has one (.ci/run installs gcc): %v", err)
		}
		t.Skipf("no C compiler (%s) for a cgo build of fsviews: apt-get install gcc libc6-dev", cc)
	}
	return buildFsviews(t, "fsviews-cgo", "CGO_ENABLED=1", "CGO_ENABLED=1")
}

// pieBinary builds fsviews as distributions do: position-independent
// (-buildmode=pie), static Go otherwise.
func pieBinary(t *testing.T) string {
	t.Helper()
	return buildFsviews(t, "fsviews-pie", "CGO_ENABLED=0", "-buildmode=pie", "-buildmode=pie")
}

// buildFsviews builds ./cmd/fsviews into the test's host dir as name,
// with env added and flags, and checks that `go version -m` lists want
// (the test means nothing if the toolchain quietly built another kind).
func buildFsviews(t *testing.T, name, env, want string, flags ...string) string {
	t.Helper()
	out := filepath.Join(hostDir(t), name)
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.Command("go", append(append([]string{"build"}, flags...), "-o", out, "./cmd/fsviews")...)
	cmd.Dir = filepath.Join(filepath.Dir(file), "..")
	cmd.Env = append(os.Environ(), env)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s (%s): %v\n%s", strings.Join(flags, " "), env, err, b)
	}
	b, err := exec.Command("go", "version", "-m", out).CombinedOutput()
	if err != nil || !strings.Contains(string(b), want) {
		t.Fatalf("%s was not built with %s: %v\n%s", name, want, err, b)
	}
	return out
}

// [landlock] holds in a view without [proc], whether fsviews was built
// with cgo or without: Landlock is enforced on the thread that execs the
// daemon, with nothing that needs /proc. (A cgo build used to fail with
// `populating ruleset for "/proc/PID/task"`.)
func TestLandlockWithoutProc(t *testing.T) {
	requireRoot(t)
	binaries := map[string]string{"static": fsviews(t), "cgo": cgoBinary(t)}
	for _, name := range []string{"static", "cgo"} {
		t.Run(name, func(t *testing.T) {
			h := hostDir(t)
			for _, d := range []string{"rw/granted", "rw/other"} {
				if err := os.MkdirAll(filepath.Join(h, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			// /rw is mounted read-write; Landlock grants writes below
			// /rw/granted only.
			profile := writeProfile(t, h, "noproc", `include = ["base/libc.toml"]
command = ["/bin/sh"]
[namespaces]
net = "none"
# In place: Landlock on the thread that execs is under test here.
pid = false
[[bind]]
source = "`+h+`/rw"
target = "/rw"
mode = "rw"
[landlock]
auto = false
[[landlock.rule]]
path = "/"
access = "ro"
[[landlock.rule]]
path = "/rw/granted"
access = "rw"
`)
			before := mountTable(t, "self")
			r := runShell(t, []string{binaries[name], "run", "--state-dir", filepath.Join(h, "state"), profile, "--", "/bin/sh", "-c",
				"test -e /proc/self || echo no-proc; echo a > /rw/granted/f && echo granted-ok; (echo b > /rw/other/f) 2>/dev/null || echo other-refused"})
			if r.code != 0 || r.stdout != "no-proc\ngranted-ok\nother-refused\n" {
				t.Errorf("want the daemon to run without /proc, writing only below /rw/granted: %v", r)
			}
			if _, err := os.Stat(filepath.Join(h, "rw/granted/f")); err != nil {
				t.Errorf("the granted write did not reach the host: %v", err)
			}
			if _, err := os.Stat(filepath.Join(h, "rw/other/f")); !os.IsNotExist(err) {
				t.Errorf("the refused write reached the host (%v)", err)
			}
			sameMounts(t, name, before, mountTable(t, "self"))
		})
	}
}

// A [[landlock.rule]] whose path is not in the view stops run before the
// daemon starts, naming the rule's line and how to fix it; the host is
// unchanged.
func TestLandlockRuleMissingPath(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	profile := writeProfile(t, h, "missing", base+`[landlock]
[[landlock.rule]]
path = "/nonexistent"
access = "rw"
`)
	before := mountTable(t, "self")
	r := run(t, "run", "--state-dir", filepath.Join(h, "state"), profile, "--", "/bin/sh", "-c", "echo ran")
	want := "[landlock]: rule for /nonexistent (" + profile + ":10): open /nonexistent: no such file or directory: the path must exist inside the view: bind or create it there, or remove the rule"
	if r.code != 125 || !strings.Contains(r.stderr, want) || strings.Contains(r.stdout, "ran") {
		t.Errorf("want exit 125 and %q, got %v", want, r)
	}
	sameMounts(t, "missing rule path", before, mountTable(t, "self"))
}
