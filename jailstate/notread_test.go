package jailstate

import (
	"slices"
	"testing"

	"github.com/fsviews/fsviews/audit"
)

// NotRead names the tmpfs roots a host-side-only manifest lacks: what diff
// must say it did not compare when neither side holds them.
func TestNotRead(t *testing.T) {
	plan := testPlan(false)
	hostOnly := audit.Manifest{Stopped: true, Roots: []audit.Root{{Name: "/var/lib/web", Kind: "state"}, {Name: "/srv/www", Kind: "bind"}}}
	if got := NotRead(plan, hostOnly); !slices.Equal(got, []string{"/", "/tmp"}) {
		t.Errorf("host side only: %v", got)
	}
	if got := NotRead(testPlan(true), hostOnly); !slices.Equal(got, []string{"/tmp"}) {
		t.Errorf("read-only root: %v", got)
	}
	// A manifest of a running jail lacks nothing it could read: a root
	// missing there is a change of plan, which Compare reports.
	if got := NotRead(plan, audit.Manifest{}); got != nil {
		t.Errorf("running: %v", got)
	}
}
