package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// requireRoot fails under CI, which runs as root, and skips elsewhere.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal("integration tests need root, and CI runs as root: run them as root")
	}
	t.Skip("integration test needs root: run `sudo make test`")
}

// testBinary is the fsviews binary under test: $FSVIEWS_BIN (make test
// sets it), else one built on first use into a temporary directory that
// TestMain removes when the run ends.
type testBinary struct {
	once sync.Once
	dir  string // the build directory; empty when nothing was built
	path string
	err  error
}

func (b *testBinary) get() (string, error) {
	b.once.Do(func() {
		if p := os.Getenv("FSVIEWS_BIN"); p != "" {
			b.path = p
			return
		}
		dir, err := os.MkdirTemp("", "fsviews-e2e-bin-")
		if err != nil {
			b.err = err
			return
		}
		b.dir = dir
		// Some tests run the binary as an unprivileged user.
		os.Chmod(dir, 0o755)
		out := filepath.Join(dir, "fsviews")
		_, file, _, _ := runtime.Caller(0)
		cmd := exec.Command("go", "build", "-o", out, "./cmd/fsviews")
		cmd.Dir = filepath.Join(filepath.Dir(file), "..")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		b.path = out
	})
	return b.path, b.err
}

// remove deletes the binary get built, if it built one; FSVIEWS_BIN is
// the caller's and stays.
func (b *testBinary) remove() error {
	if b.dir == "" {
		return nil
	}
	return os.RemoveAll(b.dir)
}

// fsviews returns the path of the binary under test (see testBinary).
func fsviews(t *testing.T) string {
	t.Helper()
	p, err := binary.get()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// result is what a finished command left.
type result struct {
	stdout, stderr string
	code           int            // exit status, -1 when killed by a signal
	signal         syscall.Signal // the signal, when killed
}

func (r result) String() string {
	return fmt.Sprintf("exit %d signal %v\nstdout:\n%s\nstderr:\n%s", r.code, r.signal, r.stdout, r.stderr)
}

// wait waits for cmd, whose stdout and stderr are the given buffers.
func wait(t *testing.T, cmd *exec.Cmd, stdout, stderr *bytes.Buffer) result {
	t.Helper()
	err := cmd.Wait()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		ws := ee.Sys().(syscall.WaitStatus)
		r.code = ws.ExitStatus()
		if ws.Signaled() {
			r.signal = ws.Signal()
		}
	default:
		t.Fatalf("%v: %v", cmd.Args, err)
	}
	return r
}

// run runs fsviews with args and returns what it left.
func run(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(fsviews(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return wait(t, cmd, &stdout, &stderr)
}

// writeProfile writes a profile into dir and returns its path.
func writeProfile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name+".toml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// base is the start of most test profiles: a shell and coreutils.
const base = `include = ["base/libc.toml"]
command = ["/bin/sh"]
[proc]
[dev]
[[tmpfs]]
target = "/tmp"
size = "4M"
`

// mountTable is /proc/PID/mountinfo ("self" for the test process).
func mountTable(t *testing.T, pid string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + pid + "/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sameMounts fails when two mount tables differ, showing the difference.
func sameMounts(t *testing.T, what, before, after string) {
	t.Helper()
	if before == after {
		return
	}
	b, a := strings.Split(before, "\n"), strings.Split(after, "\n")
	seen := map[string]bool{}
	for _, l := range b {
		seen[l] = true
	}
	var added []string
	for _, l := range a {
		if !seen[l] {
			added = append(added, l)
		}
	}
	t.Errorf("%s: host mount table changed; lines new or changed:\n%s", what, strings.Join(added, "\n"))
}

// sections splits output made of "== name ==" headers into a map.
func sections(out string) map[string]string {
	m := map[string]string{}
	name := ""
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "== ") && strings.HasSuffix(line, " ==") {
			name = strings.TrimSuffix(strings.TrimPrefix(line, "== "), " ==")
			continue
		}
		m[name] += line + "\n"
	}
	return m
}

func fields(s string) string { return strings.Join(strings.Fields(s), " ") }

func mustWrite(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// hostDir is a temporary directory that unprivileged users can traverse
// (t.TempDir's parent is private to root).
func hostDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "fsviews-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// runShell runs argv (not fsviews itself) and returns what it left.
func runShell(t *testing.T, argv []string) result {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return wait(t, cmd, &stdout, &stderr)
}

// runEnv runs fsviews with the given environment.
func runEnv(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(fsviews(t), args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return wait(t, cmd, &stdout, &stderr)
}
