package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// The daemon's exit status, or its death by signal, is fsviews'.
func TestExitStatusPassesThrough(t *testing.T) {
	requireRoot(t)
	profile := writeProfile(t, hostDir(t), "exit", base)
	for _, tc := range []struct {
		script string
		code   int
		signal syscall.Signal
	}{
		{"exit 0", 0, 0},
		{"exit 1", 1, 0},
		{"exit 42", 42, 0},
		{"kill -KILL $$", -1, syscall.SIGKILL},
		{"kill -SEGV $$", -1, syscall.SIGSEGV},
	} {
		t.Run(tc.script, func(t *testing.T) {
			r := run(t, "run", profile, "--", "/bin/sh", "-c", tc.script)
			if r.code != tc.code || r.signal != tc.signal {
				t.Errorf("want exit %d signal %v, got %v", tc.code, tc.signal, r)
			}
		})
	}
}

// Signals sent to fsviews' PID reach the daemon, which is that process.
func TestSignalsReachTheDaemon(t *testing.T) {
	requireRoot(t)
	profile := writeProfile(t, hostDir(t), "signals", base)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2} {
		t.Run(sig.String(), func(t *testing.T) {
			script := fmt.Sprintf(`trap 'echo got %d; exit 7' %d; echo ready; while :; do sleep 0.05; done`, int(sig), int(sig))
			cmd := exec.Command(fsviews(t), "run", profile, "--", "/bin/sh", "-c", script)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewScanner(out)
			if !lines.Scan() || lines.Text() != "ready" {
				cmd.Process.Kill()
				t.Fatalf("jail did not start: %q %s", lines.Text(), stderr.String())
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			got := ""
			if lines.Scan() {
				got = lines.Text()
			}
			timer := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() })
			defer timer.Stop()
			err = cmd.Wait()
			if want := fmt.Sprintf("got %d", int(sig)); got != want {
				t.Errorf("the daemon printed %q, want %q (stderr %s)", got, want, stderr.String())
			}
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 7 {
				t.Errorf("want exit 7 from the trap, got %v", err)
			}
		})
	}
}
