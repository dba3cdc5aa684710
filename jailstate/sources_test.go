package jailstate

import (
	"slices"
	"testing"

	"github.com/fsviews/fsviews/audit"
	"github.com/fsviews/fsviews/views"
)

func testPlan(rootRO bool) *views.Plan {
	p := &views.Plan{StateDir: "/var/lib/fsviews/web", Ops: []views.Op{
		{Kind: views.MakeRoot, Target: "/"},
		{Kind: views.Bind, Target: "/usr", Source: "/usr", ReadOnly: true},
		{Kind: views.Bind, Target: "/srv/www", Source: "/srv/www"},
		{Kind: views.Tmpfs, Target: "/tmp"},
		{Kind: views.State, Target: "/var/lib/web", Source: "/var/lib/fsviews/web/var/lib/web"},
		{Kind: views.Proc, Target: "/proc"},
		{Kind: views.Devpts, Target: "/dev/pts"},
		{Kind: views.DevNode, Target: "/dev/null", Source: "/dev/null"},
	}}
	if rootRO {
		p.Ops = append(p.Ops, views.Op{Kind: views.RemountRO, Target: "/"})
	}
	return p
}

func TestSources(t *testing.T) {
	for _, tc := range []struct {
		rootRO bool
		pid    int
		want   []Source
	}{
		{true, 42, []Source{
			{Name: "/srv/www", Kind: "bind", HostPath: "/srv/www"},
			{Name: "/tmp", Kind: "tmpfs", HostPath: "/proc/42/root/tmp", InJail: true},
			{Name: "/var/lib/web", Kind: "state", HostPath: "/var/lib/fsviews/web/var/lib/web", Beneath: "/var/lib/fsviews/web"},
		}},
		{false, 42, []Source{
			{Name: "/", Kind: "tmpfs", HostPath: "/proc/42/root", InJail: true},
			{Name: "/srv/www", Kind: "bind", HostPath: "/srv/www"},
			{Name: "/tmp", Kind: "tmpfs", HostPath: "/proc/42/root/tmp", InJail: true},
			{Name: "/var/lib/web", Kind: "state", HostPath: "/var/lib/fsviews/web/var/lib/web", Beneath: "/var/lib/fsviews/web"},
		}},
		{false, 0, []Source{
			{Name: "/srv/www", Kind: "bind", HostPath: "/srv/www"},
			{Name: "/var/lib/web", Kind: "state", HostPath: "/var/lib/fsviews/web/var/lib/web", Beneath: "/var/lib/fsviews/web"},
		}},
	} {
		got := Sources(testPlan(tc.rootRO), tc.pid)
		if !slices.Equal(got, tc.want) {
			t.Errorf("rootRO=%v pid=%d:\n got %+v\nwant %+v", tc.rootRO, tc.pid, got, tc.want)
		}
	}
}

func root(name, kind string, paths ...string) audit.Root {
	r := audit.Root{Name: name, Kind: kind}
	for _, p := range paths {
		e := audit.Entry{Name: p, Type: audit.TypeFile, Mode: 0o644, SHA256: "x"}
		if p == "." {
			e.Parent, e.Type = -1, audit.TypeDir
		}
		r.Entries = append(r.Entries, e)
	}
	return r
}

func TestCompareStopped(t *testing.T) {
	running := audit.Manifest{Roots: []audit.Root{root("/tmp", "tmpfs", ".", "a"), root("/var/lib/web", "state", ".", "db")}}
	stopped := audit.Manifest{Stopped: true, Roots: []audit.Root{root("/var/lib/web", "state", ".", "db", "new")}}

	// Baseline before the first start, diff of the running jail: /tmp was
	// not readable then, so it is not compared; the state dir is.
	for _, tc := range []struct {
		old, new audit.Manifest
		kind     audit.ChangeKind
	}{{stopped, running, audit.Removed}, {running, stopped, audit.Added}} {
		changes, skipped := Compare(tc.old, tc.new)
		if !slices.Equal(skipped, []string{"/tmp"}) {
			t.Errorf("not compared %v", skipped)
		}
		if len(changes) != 1 || changes[0].Root != "/var/lib/web" || changes[0].Path() != "new" || changes[0].Kind != tc.kind {
			t.Errorf("changes %+v", changes)
		}
	}
	// Both running: a tmpfs root on one side only is compared in full.
	other := audit.Manifest{Roots: []audit.Root{root("/var/lib/web", "state", ".", "db")}}
	changes, skipped := Compare(running, other)
	if len(skipped) != 0 || len(changes) != 2 {
		t.Errorf("both running: %v %+v", skipped, changes)
	}
	// A state root missing from a stopped manifest is compared: it is
	// readable on the host whether the jail runs or not.
	changes, skipped = Compare(running, audit.Manifest{Stopped: true})
	if !slices.Equal(skipped, []string{"/tmp"}) || len(changes) != 2 || changes[0].Root != "/var/lib/web" {
		t.Errorf("stopped, state missing: %v %+v", skipped, changes)
	}
}
