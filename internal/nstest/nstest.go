// Package nstest runs a package's test scenarios for real in a re-executed
// test binary with a mount namespace of its own: what they mount, pivot
// or drop stays in a process the test can throw away, and the host's
// mount table is checked to be unchanged afterwards.
package nstest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// envScenario names the scenario a re-executed binary runs; envArg is
// the one argument it gets.
const (
	envScenario = "FSVIEWS_NSTEST_SCENARIO"
	envArg      = "FSVIEWS_NSTEST_ARG"
)

// Main is a package's TestMain: in a re-executed binary it runs the
// scenario named and exits, 0 when it returned nil; otherwise it runs the
// tests. A scenario prints one line per finding on stdout.
func Main(m *testing.M, run func(scenario, arg string) error) {
	if scenario := os.Getenv(envScenario); scenario != "" {
		if err := run(scenario, os.Getenv(envArg)); err != nil {
			fmt.Println("error:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Run runs scenario with arg in a re-executed test binary in a new mount
// namespace (Go's Unshareflags makes "/" private there before anything
// runs) and returns its lines. It needs root: CI has it, elsewhere the
// test is skipped saying how to run it.
func Run(t *testing.T, scenario, arg string) []string {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("CI runs as root: this test must mount for real")
		}
		t.Skip("needs root to mount in a namespace of its own: sudo go test")
	}
	before, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envScenario+"="+scenario, envArg+"="+arg)
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scenario %s: %v\n%s", scenario, err, out)
	}
	if after, err := os.ReadFile("/proc/self/mountinfo"); err != nil || string(after) != string(before) {
		t.Errorf("the host's mount table changed (%v):\nbefore:\n%s\nafter:\n%s", err, before, after)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// Lines fails unless got starts, line by line, with want's prefixes: a
// message may go on with details that depend on the kernel.
func Lines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d lines, want %d:\n%s", what, len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("%s, line %d:\n got %s\nwant %s...", what, i, got[i], want[i])
		}
	}
}

// Errno names err's errno (ENOENT, EROFS), "ok" for nil, or the error.
func Errno(err error) string {
	var errno unix.Errno
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &errno):
		return unix.ErrnoName(errno)
	}
	return err.Error()
}
