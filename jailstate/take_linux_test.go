package jailstate

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsviews/fsviews/registry"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("CI runs as root; this test needs root")
		}
		t.Skip("needs root to mount in a private namespace: sudo go test ./jailstate")
	}
}

// fakeJail runs sleep in a private mount namespace with a tmpfs on dir
// (empty on the host side), after running setup there.
func fakeJail(t *testing.T, dir, setup string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c",
		"set -e; mount -t tmpfs tmpfs "+dir+"; cd "+dir+"; "+setup+"; echo ready; exec sleep 600")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("fake jail: %q %v", line, err)
	}
	return cmd
}

func aliveCheck(pid int) (func() error, error) {
	start, err := registry.ProcStartTime(pid)
	if err != nil {
		return nil, err
	}
	return func() error {
		now, err := registry.ProcStartTime(pid)
		if err != nil || now != start {
			return fmt.Errorf("jail %d exited while it was being read", pid)
		}
		return nil
	}, nil
}

func TestTakeRunningJail(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	cmd := fakeJail(t, dir, "echo hi > f; ln -s /etc/shadow s; mkdir d")
	pid := cmd.Process.Pid
	alive, err := aliveCheck(pid)
	if err != nil {
		t.Fatal(err)
	}
	src := []Source{{Name: dir, Kind: "tmpfs", InJail: true, HostPath: fmt.Sprintf("/proc/%d/root%s", pid, dir)}}
	m, err := Take(context.Background(), src, pid, Options{Alive: alive})
	if err != nil {
		t.Fatal(err)
	}
	if m.Stopped || len(m.Roots) != 1 || len(m.Roots[0].Entries) != 4 || m.Roots[0].Kind != "tmpfs" {
		t.Fatalf("manifest %+v", m)
	}

	// The jail dies after its roots were opened: the fds still read its
	// tmpfs, but the second liveness check refuses the result.
	_, err = Take(context.Background(), src, pid, Options{Alive: alive, afterOpen: func() {
		cmd.Process.Kill()
		cmd.Wait()
	}})
	if err == nil || !strings.Contains(err.Error(), "exited while it was being read") {
		t.Errorf("jail died mid-walk: %v", err)
	}
	// And a dead jail's roots cannot be opened at all.
	_, err = Take(context.Background(), src, pid, Options{Alive: alive})
	if err == nil || !strings.Contains(err.Error(), "process is gone") {
		t.Errorf("dead jail: %v", err)
	}
}

func TestTakeStateBeneath(t *testing.T) {
	base := t.TempDir()
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret"), []byte("x"), 0o600)
	os.MkdirAll(filepath.Join(base, "var/lib/web"), 0o755)
	os.WriteFile(filepath.Join(base, "var/lib/web/db"), []byte("db"), 0o644)
	// A jail with two nested state dirs swapped the inner one's host
	// directory for a link to somewhere else.
	os.MkdirAll(filepath.Join(base, "var/spool"), 0o755)
	os.Symlink(outside, filepath.Join(base, "var/spool/mail"))

	src := []Source{
		{Name: "/var/lib/web", Kind: "state", HostPath: filepath.Join(base, "var/lib/web"), Beneath: base},
		{Name: "/var/cache/web", Kind: "state", HostPath: filepath.Join(base, "var/cache/web"), Beneath: base},
	}
	m, err := Take(context.Background(), src, 0, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Stopped || len(m.Roots) != 2 || len(m.Roots[0].Entries) != 2 || len(m.Roots[1].Entries) != 0 {
		t.Errorf("manifest %+v", m)
	}
	_, err = Take(context.Background(), []Source{{Name: "/var/spool/mail", Kind: "state",
		HostPath: filepath.Join(base, "var/spool/mail"), Beneath: base}}, 0, Options{})
	if err == nil || !strings.Contains(err.Error(), "a symlink is in the way (planted by the jail?)") {
		t.Errorf("symlinked state dir: %v", err)
	}
	// A tmpfs source without a running jail is a bug, not a silent skip.
	_, err = Take(context.Background(), []Source{{Name: "/tmp", Kind: "tmpfs", InJail: true}}, 0, Options{})
	if err == nil || !strings.Contains(err.Error(), "bug") {
		t.Errorf("tmpfs without jail: %v", err)
	}
	var pe *os.PathError
	_, err = Take(context.Background(), []Source{{Name: "/x", Kind: "state", HostPath: "/elsewhere/x", Beneath: base}}, 0, Options{})
	if err == nil || errors.As(err, &pe) || !strings.Contains(err.Error(), "bug") {
		t.Errorf("state outside its base: %v", err)
	}
}
