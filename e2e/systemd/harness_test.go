package systemd

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// inside is where the test directory appears in the container: the
// fsviews binary, profiles, generated units, state dirs and gate files.
const inside = "/opt/fsviews-e2e"

// harness is one booted container with systemd as its PID 1.
type harness struct {
	script string // scripts/sd-container
	env    []string
	dir    string // host side of inside
}

// booted is set by TestMain: one container for the whole package, since
// booting takes seconds. bootErr says why there is none.
var (
	booted  *harness
	bootErr error
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if os.Geteuid() != 0 {
		bootErr = fmt.Errorf("booting systemd in a container needs root: run `sudo make test`")
		return m.Run()
	}
	tmp, err := os.MkdirTemp("", "fsviews-sd-e2e-")
	if err != nil {
		bootErr = err
		return m.Run()
	}
	defer os.RemoveAll(tmp)
	h, err := boot(tmp)
	if err != nil {
		bootErr = err
		return m.Run()
	}
	defer h.shutdown()
	booted = h
	return m.Run()
}

// repoRoot is the directory holding go.mod, two levels above this file.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// harnessScript is the repository's own scripts/sd-container, which
// boots the container; $SD_HARNESS names another script with the same
// commands.
func harnessScript() (string, error) {
	p := os.Getenv("SD_HARNESS")
	if p == "" {
		p = filepath.Join(repoRoot(), "scripts", "sd-container")
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("the systemd container script is not at %s: %w", p, err)
	}
	return filepath.Abs(p)
}

// boot builds fsviews into tmp, then boots a container with tmp bound at
// inside. The container's state lives in tmp too, under its own name,
// so that it never meets another test package's container.
func boot(tmp string) (*harness, error) {
	script, err := harnessScript()
	if err != nil {
		return nil, err
	}
	if _, err := exec.LookPath("systemd-nspawn"); err != nil {
		return nil, fmt.Errorf("systemd-nspawn is missing: apt-get install systemd-container")
	}
	h := &harness{
		script: script,
		dir:    filepath.Join(tmp, "opt"),
		env: append(os.Environ(),
			"SD_HARNESS_DIR="+filepath.Join(tmp, "harness"),
			fmt.Sprintf("SD_HARNESS_NAME=fsviews-unit-e2e-%d", os.Getpid())),
	}
	for _, d := range []string{"bin", "profiles", "units", "state", "gate"} {
		if err := os.MkdirAll(filepath.Join(h.dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, err
	}
	if err := buildFsviews(filepath.Join(h.dir, "bin", "fsviews")); err != nil {
		return nil, err
	}
	// A boot on a loaded machine (CI runs right after installing systemd)
	// can miss the harness's 30 s; a second or third try has been enough.
	var fails []string
	for try := 1; try <= 3; try++ {
		out, err := h.run("boot", "--bind", h.dir+":"+inside)
		if err == nil {
			return h, nil
		}
		h.shutdown()
		fails = append(fails, fmt.Sprintf("try %d: %v\n%s", try, err, out))
	}
	return nil, fmt.Errorf("sd-container boot failed 3 times:\n%s", strings.Join(fails, "\n"))
}

// buildFsviews puts the binary under test at dst: a copy of
// $FSVIEWS_BIN (make test sets it), else a fresh build.
func buildFsviews(dst string) error {
	if src := os.Getenv("FSVIEWS_BIN"); src != "" {
		in, err := os.Open(src)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	}
	cmd := exec.Command("go", "build", "-o", dst, "./cmd/fsviews")
	cmd.Dir = repoRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	return nil
}

func (h *harness) run(args ...string) (string, error) {
	// Through bash: the script need not keep its executable bit.
	cmd := exec.Command("bash", append([]string{h.script}, args...)...)
	cmd.Env = h.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (h *harness) shutdown() {
	if out, err := h.run("shutdown"); err != nil {
		fmt.Fprintf(os.Stderr, "sd-container shutdown: %v\n%s", err, out)
	}
}

// need returns the booted harness; without one the test fails under CI
// (which runs as root, with scripts/sd-container in the repository) and skips
// elsewhere, saying why.
func need(t *testing.T) *harness {
	t.Helper()
	if booted != nil {
		return booted
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("no systemd to test against: %v", bootErr)
	}
	t.Skipf("no systemd to test against: %v", bootErr)
	return nil
}

// exec runs argv inside the container and fails the test on error.
func (h *harness) exec(t *testing.T, argv ...string) string {
	t.Helper()
	out, err := h.run(append([]string{"exec"}, argv...)...)
	if err != nil {
		t.Fatalf("in the container: %q: %v\n%s", argv, err, out)
	}
	return out
}

// profile writes a profile into the shared directory and returns its
// path inside the container.
func (h *harness) profile(t *testing.T, name, text string) string {
	t.Helper()
	return h.file(t, filepath.Join("profiles", name+".toml"), text, 0o644)
}

// file writes rel below the shared directory and returns its path inside
// the container.
func (h *harness) file(t *testing.T, rel, text string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(h.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(inside, rel)
}

// unit runs `fsviews unit ARGS` inside the container, as an admin would
// on the machine that runs the unit, and returns the unit's text.
func (h *harness) unit(t *testing.T, args ...string) string {
	t.Helper()
	return h.exec(t, append([]string{inside + "/bin/fsviews", "unit"}, args...)...)
}

// install installs a unit and stops it when the test ends.
func (h *harness) install(t *testing.T, name, text string) {
	t.Helper()
	p := filepath.Join(h.dir, "units", name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := h.run("install", p); err != nil {
		t.Fatalf("install %s: %v\n%s", name, err, out)
	}
	t.Cleanup(func() { h.run("stop", name) })
}

// systemctl runs a systemctl verb on a unit; it waits for the job.
func (h *harness) systemctl(t *testing.T, verb, name string) {
	t.Helper()
	if out, err := h.run(verb, name); err != nil {
		t.Fatalf("systemctl %s %s: %v\n%s\njournal:\n%s", verb, name, err, out, h.journal(t, name))
	}
}

// status is what `systemctl show` says of the unit.
type status map[string]string

func (s status) String() string {
	return fmt.Sprintf("ActiveState=%s SubState=%s Result=%s MainPID=%s ExecMainCode=%s ExecMainStatus=%s NRestarts=%s",
		s["ActiveState"], s["SubState"], s["Result"], s["MainPID"], s["ExecMainCode"], s["ExecMainStatus"], s["NRestarts"])
}

func (h *harness) status(t *testing.T, name string) status {
	t.Helper()
	out, err := h.run("status", name)
	if err != nil {
		t.Fatalf("status %s: %v\n%s", name, err, out)
	}
	s := status{}
	for _, l := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			s[k] = v
		}
	}
	return s
}

func (h *harness) journal(t *testing.T, name string) string {
	t.Helper()
	out, _ := h.run("journal", name)
	return out
}

// patience bounds every wait for systemd: generous, since the machine is
// shared; a test never asserts how long something took.
const patience = 60 * time.Second

// waitStatus polls the unit until ok accepts its status, and fails the
// test with the last status and the journal if it never does or the unit
// has failed.
func (h *harness) waitStatus(t *testing.T, name, want string, ok func(status) bool) status {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		s := h.status(t, name)
		if ok(s) {
			return s
		}
		if s["ActiveState"] == "failed" || time.Now().After(deadline) {
			t.Fatalf("%s never reached %s; last: %s\njournal:\n%s", name, want, s, h.journal(t, name))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitJournal polls the unit's journal until it holds line, and returns
// it; a unit that has failed will not write it.
func (h *harness) waitJournal(t *testing.T, name, line string) string {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		j := h.journal(t, name)
		if strings.Contains(j, line) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("the journal of %s never said %q:\n%s", name, line, j)
		}
		if s := h.status(t, name); s["ActiveState"] == "failed" {
			t.Fatalf("%s failed before its journal said %q: %s\njournal:\n%s", name, line, s, h.journal(t, name))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// active is the state of a unit whose daemon runs.
func active(s status) bool { return s["ActiveState"] == "active" && s["SubState"] == "running" }

// settled is the state of a unit whose daemon has ended for good.
func settled(s status) bool {
	return (s["ActiveState"] == "inactive" || s["ActiveState"] == "failed") && s["SubState"] != "auto-restart"
}

// setting replaces a whole line "Key=..." of a generated unit, failing
// the test when the unit has no such line: a tweak that silently does
// nothing would make the test prove nothing.
func setting(t *testing.T, unit, old, replacement string) string {
	t.Helper()
	if !strings.Contains(unit, "\n"+old+"\n") {
		t.Fatalf("the generated unit has no line %q:\n%s", old, unit)
	}
	return strings.Replace(unit, "\n"+old+"\n", "\n"+replacement+"\n", 1)
}
