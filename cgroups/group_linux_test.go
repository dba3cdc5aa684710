package cgroups

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal("this test needs root, and CI runs as root: run it as root")
	}
	t.Skip("needs root to create cgroups: run `sudo make test`")
}

func TestCreateJoinRemove(t *testing.T) {
	requireRoot(t)
	l, err := Discover()
	if err != nil {
		t.Fatal(err)
	}
	lim := Limits{Pids: 17, Memory: 32 << 20, CPU: 200}
	g, skipped, err := Create(l, fmt.Sprintf("fsviews-test-%d", os.Getpid()), lim, false)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Remove()
	if len(skipped) != 0 || g.Limits != lim {
		t.Fatalf("skipped %v, limits %+v", skipped, g.Limits)
	}
	want := map[string]string{
		"pids.max": "17", "memory.max": "33554432", "memory.limit_in_bytes": "33554432",
		"cpu.max": "20000 100000", "cpu.cfs_quota_us": "20000",
	}
	seen := 0
	for _, dir := range g.Dirs() {
		for f, v := range want {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				continue
			}
			seen++
			if strings.TrimSpace(string(b)) != v {
				t.Errorf("%s/%s = %q, want %q", dir, f, b, v)
			}
		}
	}
	if seen != 3 {
		t.Errorf("found %d of the 3 limit files in %v", seen, g.Dirs())
	}
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := g.Join(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", cmd.Process.Pid))
	if !strings.Contains(string(b), g.Name) {
		t.Errorf("sleep is not in %s:\n%s", g.Name, b)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if err := g.Remove(); err != nil {
		t.Fatal(err)
	}
	for _, dir := range g.dirs {
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("%s left behind", dir)
		}
	}
}

func TestCreateMissingController(t *testing.T) {
	requireRoot(t)
	// A layout without any hierarchy: the error names the controller.
	l := Layout{V1: map[string]Hierarchy{}}
	_, _, err := Create(l, "x", Limits{Pids: 5}, false)
	if err == nil || !strings.Contains(err.Error(), "cgroup controller pids is not available") {
		t.Fatalf("err = %v", err)
	}
	g, skipped, err := Create(l, "x", Limits{Pids: 5}, true)
	if err != nil || len(skipped) != 1 || g.Limits.Set() {
		t.Fatalf("optional: %v %v %+v", err, skipped, g)
	}
}

// A run killed by SIGKILL leaves its cgroup; the next run of the same jail
// removes it, and leaves alone one whose supervisor still runs.
func TestCreateSweepsStaleCgroups(t *testing.T) {
	requireRoot(t)
	l, err := Discover()
	if err != nil {
		t.Fatal(err)
	}
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	alive := exec.Command("sleep", "60")
	if err := alive.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { alive.Process.Kill(); alive.Wait() }()
	jail := fmt.Sprintf("fsviews-sweep%d-", os.Getpid())
	lim := Limits{Pids: 17}
	// Where the group goes on this host: its first directory's parent.
	probe, _, err := Create(l, fmt.Sprintf("fsviews-probe%d-1", os.Getpid()), lim, false)
	if err != nil {
		t.Fatal(err)
	}
	parent := filepath.Dir(probe.Dirs()[0])
	if err := probe.Remove(); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(parent, jail+strconv.Itoa(gone.Process.Pid))
	live := filepath.Join(parent, jail+strconv.Itoa(alive.Process.Pid))
	for _, d := range []string{stale, live} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	defer os.Remove(live)
	defer os.Remove(stale)
	g, _, err := Create(l, jail+strconv.Itoa(os.Getpid()), lim, false)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Remove()
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the cgroup of a run that is gone stays: %s (%v)", stale, err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the cgroup of a running supervisor was removed: %s (%v)", live, err)
	}
}
