package audit

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// startFakeJail starts a process in a private mount namespace with a tmpfs
// on mnt (a host directory that stays empty on the host side) and runs
// setup inside it. The test's own mount table is never changed.
func startFakeJail(t *testing.T, mnt, setup string) *exec.Cmd {
	t.Helper()
	needRoot(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare(1) not found")
	}
	script := "set -e; mount -t tmpfs tmpfs " + mnt + "; cd " + mnt + "; " + setup + "; echo ready; exec sleep 600"
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script)
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
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("fake jail did not start: %q %v", line, err)
	}
	return cmd
}

func TestWalkThroughProcRoot(t *testing.T) {
	mnt := t.TempDir()
	cmd := startFakeJail(t, mnt,
		"echo hi > f; mkdir sub; mount -t tmpfs tmpfs sub; echo hidden > sub/x; "+
			"ln -s / escape; ln -s /etc/shadow shadow")
	pid := cmd.Process.Pid
	hostPath := "/proc/" + strconv.Itoa(pid) + "/root" + mnt

	r := walkT(t, mnt, hostPath, WalkOptions{})
	m := entryMap(r)
	if len(r.Entries) != 5 || m["f"].SHA256 != sha("hi\n") || m["escape"].Link != "/" ||
		m["shadow"].Link != "/etc/shadow" {
		t.Errorf("entries: %+v", r.Entries)
	}
	if !m["sub"].MountBoundary {
		t.Errorf("sub is a tmpfs mounted in the jail but not a boundary: %+v", m["sub"])
	}
	r = walkT(t, mnt, hostPath, WalkOptions{CrossMounts: true})
	if entryMap(r)["sub/x"].SHA256 != sha("hidden\n") {
		t.Errorf("CrossMounts did not descend: %+v", r.Entries)
	}
	// The host side of the mount point is untouched.
	if des, _ := os.ReadDir(mnt); len(des) != 0 {
		t.Errorf("host directory %s not empty: %v", mnt, des)
	}

	// A symlink anywhere on the view path is refused, not followed.
	for _, view := range []string{mnt + "/escape", mnt + "/escape/etc", mnt + "/shadow"} {
		if f, err := OpenViewPath(pid, view); err == nil {
			f.Close()
			t.Errorf("OpenViewPath(%q) followed a symlink", view)
		} else if !strings.Contains(err.Error(), "symlink") && !strings.Contains(err.Error(), "not a directory") {
			t.Errorf("OpenViewPath(%q): %v", view, err)
		}
	}
	// ".." cannot climb out of the jail's root (RESOLVE_IN_ROOT).
	f, err := OpenViewPath(pid, mnt+"/../../../../..")
	if err != nil {
		t.Fatal(err)
	}
	names, _ := f.Readdirnames(-1)
	f.Close()
	if len(names) == 0 {
		t.Error("empty jail root")
	}
}

// A jail that dies mid-walk: an fd already open keeps the tree readable (the
// mount lives as long as the fd), and a new walk fails with a clear error.
func TestWalkJailDies(t *testing.T) {
	mnt := t.TempDir()
	cmd := startFakeJail(t, mnt, "mkdir d; echo x > d/f")
	pid := cmd.Process.Pid
	f, err := OpenViewPath(pid, mnt)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd.Process.Kill()
	cmd.Wait()

	r, err := WalkFD(context.Background(), mnt, f, WalkOptions{})
	if err != nil {
		t.Logf("walk of an open fd after the jail died: %v", err)
	} else if entryMap(r)["d/f"].SHA256 != sha("x\n") {
		t.Errorf("entries %+v", r.Entries)
	}
	_, err = Walk(context.Background(), mnt, "/proc/"+strconv.Itoa(pid)+"/root"+mnt, WalkOptions{})
	if err == nil || !strings.Contains(err.Error(), "process is gone") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("walk of a dead jail: %v", err)
	}
	if _, err := OpenViewPath(pid, "relative"); err == nil {
		t.Error("relative view path accepted")
	}
}
