package jailstate

import (
	"slices"
	"strconv"

	"github.com/fsviews/fsviews/audit"
	"github.com/fsviews/fsviews/views"
)

// Source is one writable root of a jail.
type Source struct {
	// Name is the view path, e.g. "/var/lib/nginx"; Kind is "state",
	// "bind" or "tmpfs".
	Name, Kind string
	// HostPath is where it is read from: a host directory, or
	// "/proc/PID/root/VIEW" for a tmpfs of a running jail.
	HostPath string
	// InJail is true for a tmpfs read through /proc/PID/root.
	InJail bool
	// Beneath, for a state dir, is the jail's state directory (the plan's
	// StateDir): the admin's path, opened normally, below which HostPath
	// is resolved without following any symlink, since state dirs nest and
	// the jail writes in them.
	Beneath string
}

// Sources lists the writable roots of plan for jail process pid, in plan
// order; pid 0 means the jail is not running, and only the host-side roots
// (state dirs, read-write binds of directories) are listed.
func Sources(plan *views.Plan, pid int) []Source {
	rootRO := slices.ContainsFunc(plan.Ops, func(op views.Op) bool { return op.Kind == views.RemountRO })
	var out []Source
	for _, op := range plan.Ops {
		switch {
		case op.Kind == views.State:
			out = append(out, Source{Name: op.Target, Kind: "state", HostPath: op.Source, Beneath: plan.StateDir})
		case op.Kind == views.Bind && !op.ReadOnly:
			out = append(out, Source{Name: op.Target, Kind: "bind", HostPath: op.Source})
		case pid > 0 && (op.Kind == views.Tmpfs || (op.Kind == views.MakeRoot && !rootRO)):
			out = append(out, Source{Name: op.Target, Kind: "tmpfs", InJail: true,
				HostPath: "/proc/" + strconv.Itoa(pid) + "/root" + trimRoot(op.Target)})
		}
	}
	return out
}

func trimRoot(p string) string {
	if p == "/" {
		return ""
	}
	return p
}

// Compare diffs two manifests of one jail (see audit.Diff). A tmpfs root
// missing from a manifest taken while the jail was stopped is left out of
// the comparison on both sides and named in notCompared: it was not
// readable, not empty.
func Compare(old, new audit.Manifest) (changes []audit.Change, notCompared []string) {
	skip := map[string]bool{}
	for _, pair := range [][2]*audit.Manifest{{&old, &new}, {&new, &old}} {
		has, lacks := pair[0], pair[1]
		if !lacks.Stopped {
			continue
		}
		for _, r := range has.Roots {
			if r.Kind == "tmpfs" && lacks.Root(r.Name) == nil {
				skip[r.Name] = true
			}
		}
	}
	keep := func(m audit.Manifest) audit.Manifest {
		out := m
		out.Roots = nil
		for _, r := range m.Roots {
			if !skip[r.Name] {
				out.Roots = append(out.Roots, r)
			}
		}
		return out
	}
	for name := range skip {
		notCompared = append(notCompared, name)
	}
	slices.Sort(notCompared)
	return audit.Diff(keep(old), keep(new)), notCompared
}

// NotRead lists the tmpfs roots of plan (those Sources reads through
// /proc/PID/root while the jail runs) that m does not hold because it was
// read from the host side only (m.Stopped: the jail was stopped, or had
// left its mount namespace). Two such manifests hold no tmpfs root at all,
// so Compare finds nothing to leave out, and this is how diff can still
// say what it did not compare.
func NotRead(plan *views.Plan, m audit.Manifest) []string {
	if !m.Stopped {
		return nil
	}
	var out []string
	for _, s := range Sources(plan, 1) {
		if s.InJail && m.Root(s.Name) == nil {
			out = append(out, s.Name)
		}
	}
	slices.Sort(out)
	return out
}
