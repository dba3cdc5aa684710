package cgroups

import (
	"slices"
	"strings"
	"testing"
)

// DirsOf finds another process's cgroups in every hierarchy of the
// layout: the jail's own group in v1 and v2, named hierarchies left out,
// and one the mounts do not show is an error.
func TestDirsOf(t *testing.T) {
	l, err := ParseLayout([]byte(hybridProc), hybridMounts)
	if err != nil {
		t.Fatal(err)
	}
	jail := `9:name=systemd:/
8:pids:/process_api/a4fc/fsviews-web-42
4:memory:/process_api/a4fc/fsviews-web-42
2:cpuacct:/
1:cpu:/
0::/fsviews-web-42
`
	got, err := l.DirsOf([]byte(jail))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/sys/fs/cgroup/pids/process_api/a4fc/fsviews-web-42",
		"/sys/fs/cgroup/memory/process_api/a4fc/fsviews-web-42",
		"/sys/fs/cgroup/cpuacct",
		"/sys/fs/cgroup/cpu",
		"/sys/fs/cgroup/unified/fsviews-web-42",
	}
	if !slices.Equal(got, want) {
		t.Errorf("DirsOf:\n got %q\nwant %q", got, want)
	}

	// A layout whose v2 mount shows only a subtree (a container's).
	sub := *l.V2
	sub.Root = "/inner"
	l.V2 = &sub
	if _, err := l.DirsOf([]byte("0::/elsewhere\n")); err == nil || !strings.Contains(err.Error(), "is not visible under /sys/fs/cgroup/unified") {
		t.Errorf("a cgroup outside the mount: want an error, got %v", err)
	}
}
