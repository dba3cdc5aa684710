package inspect

import (
	"path"
	"slices"
	"strings"

	"github.com/moby/sys/mountinfo"

	"github.com/fsviews/fsviews/views"
)

// expected is one mount the plan makes.
type expected struct {
	op     views.Op
	attrs  []string // per-mount options that must be set
	fstype string   // "" when any type will do (binds)
}

// plannedMounts lists the mounts the plan makes, with the attributes the
// launcher gives each (launch/build_linux.go: binds, state dirs and tmpfs
// nosuid,nodev; proc also noexec; device nodes and devpts nosuid,noexec; the
// root tmpfs nosuid,nodev and read-only unless the profile makes it
// writable).
func plannedMounts(plan *views.Plan) []expected {
	rootRO := slices.ContainsFunc(plan.Ops, func(op views.Op) bool { return op.Kind == views.RemountRO })
	var out []expected
	for _, op := range plan.Ops {
		e := expected{op: op}
		switch op.Kind {
		case views.MakeRoot:
			e.fstype, e.attrs = "tmpfs", []string{"nosuid", "nodev"}
			if rootRO {
				e.attrs = append([]string{"ro"}, e.attrs...)
			}
		case views.Bind:
			e.attrs = []string{"nosuid", "nodev"}
			if op.ReadOnly {
				e.attrs = append([]string{"ro"}, e.attrs...)
			}
		case views.State:
			e.attrs = []string{"nosuid", "nodev"}
		case views.Tmpfs:
			e.fstype, e.attrs = "tmpfs", []string{"nosuid", "nodev"}
		case views.Proc:
			e.fstype, e.attrs = "proc", []string{"nosuid", "nodev", "noexec"}
		case views.DevNode:
			e.attrs = []string{"nosuid", "noexec"}
		case views.Devpts:
			e.fstype, e.attrs = "devpts", []string{"nosuid", "noexec"}
		case views.Rebind:
			e.attrs = []string{"nosuid", "nodev", "noexec"}
			if op.ReadOnly {
				e.attrs = append([]string{"ro"}, e.attrs...)
			}
		case views.Mask:
			e.attrs = []string{"ro", "nosuid", "noexec"}
		default:
			continue
		}
		out = append(out, e)
	}
	return out
}

// compareMounts sets the jail's mount table against the plan. hostMounts
// is the auditor's own mount table, where bind sources live: a mount below a
// recursive bind is planned when the host has one at the same place below
// the source. procFiles are the /proc paths this kernel has (Host).
func compareMounts(plan *views.Plan, jail, hostMounts []*mountinfo.Info, procFiles map[string]bool) []Mount {
	want := plannedMounts(plan)
	byTarget := map[string]int{}
	for i, e := range want {
		byTarget[e.op.Target] = i
	}
	onHost := map[string]bool{}
	for _, m := range hostMounts {
		onHost[m.Mountpoint] = true
	}
	matched := make([]bool, len(want))
	var out []Mount
	for _, m := range jail {
		mp := m.Mountpoint
		got := Mount{Path: mp, FSType: m.FSType, Options: m.Options, MountSource: m.Source}
		if i, ok := byTarget[mp]; ok && !matched[i] {
			matched[i] = true
			e := want[i]
			got.Kind, got.Source, got.Origin, got.Want = string(e.op.Kind), e.op.Source, e.op.Origin, e.attrs
			got.Why = weaker(e, m)
			got.Status = Planned
			if len(got.Why) > 0 {
				got.Status = Changed
			}
			out = append(out, got)
			continue
		}
		if _, ok := byTarget[mp]; ok {
			got.Status = Unexpected
			got.Why = []string{"mounted over the planned mount at this path"}
			out = append(out, got)
			continue
		}
		// Below a recursive bind: carried along if the host has it too.
		if i := enclosing(want, mp); i >= 0 && want[i].op.Kind == views.Bind {
			b := want[i]
			hostPath := path.Join(b.op.Source, strings.TrimPrefix(mp, b.op.Target))
			if onHost[hostPath] {
				sub := expected{op: b.op, attrs: b.attrs}
				got.Kind, got.Source, got.Origin, got.Want = "submount", hostPath, b.op.Origin, b.attrs
				got.Why = weaker(sub, m)
				got.Status = Planned
				if len(got.Why) > 0 {
					got.Status = Changed
				}
				out = append(out, got)
				continue
			}
			got.Status = Unexpected
			got.Why = []string{"not in the plan; below the bind of " + b.op.Source + ", but the host has no mount at " + hostPath}
			out = append(out, got)
			continue
		}
		got.Status = Unexpected
		got.Why = []string{"not in the plan"}
		out = append(out, got)
	}
	for i, e := range want {
		if matched[i] {
			continue
		}
		miss := Mount{Status: Missing, Path: e.op.Target, Kind: string(e.op.Kind), Source: e.op.Source,
			Want: e.attrs, Origin: e.op.Origin}
		switch {
		case (e.op.Kind == views.Rebind || e.op.Kind == views.Mask) && procFiles[e.op.Target]:
			miss.Why = []string{"this kernel has " + e.op.Target + ", and the jail's is not covered"}
		case e.op.Kind == views.Rebind || e.op.Kind == views.Mask:
			miss.Status = Skipped
			miss.Why = []string{"this kernel has no " + e.op.Target}
		case e.op.Optional:
			miss.Status = Skipped
			miss.Why = []string{"optional bind, not mounted: its source was absent when the jail started"}
		}
		out = append(out, miss)
	}
	return out
}

// enclosing returns the index of the deepest planned mount strictly above
// p, or -1.
func enclosing(want []expected, p string) int {
	best, bestLen := -1, -1
	for i, e := range want {
		t := e.op.Target
		if t == p {
			continue
		}
		under := t == "/" || strings.HasPrefix(p, t+"/")
		if under && len(t) > bestLen {
			best, bestLen = i, len(t)
		}
	}
	return best
}

// weaker lists how mount m is weaker than e asks: a lost "ro", "nosuid",
// "nodev" or "noexec", or another file system type.
func weaker(e expected, m *mountinfo.Info) []string {
	opts := strings.Split(m.Options, ",")
	var why []string
	for _, a := range e.attrs {
		if slices.Contains(opts, a) {
			continue
		}
		if a == "ro" {
			why = append(why, "read-write, planned read-only")
		} else {
			why = append(why, a+" lost")
		}
	}
	if e.fstype != "" && m.FSType != e.fstype {
		why = append(why, "file system "+m.FSType+", planned "+e.fstype)
	}
	return why
}
