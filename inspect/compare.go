package inspect

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/sys/mountinfo"

	"github.com/fsviews/fsviews/caps"
	"github.com/fsviews/fsviews/registry"
	"github.com/fsviews/fsviews/rlimits"
	"github.com/fsviews/fsviews/views"
)

// Jail is what was read about a running jail from /proc.
type Jail struct {
	Mounts     []*mountinfo.Info
	Status     ProcStatus
	Limits     []Limit
	Namespaces map[string]uint64 // by /proc/PID/ns name
	// Recorded are the sources fsviews run found when the jail started
	// (registry.Record.Sources): each bind's live mount must show its
	// recorded source, and the host must still have that source.
	Recorded []registry.Source
	// Others are the jail's other processes (a daemon's workers), read
	// as the daemon is: each must hold no more than the plan grants.
	Others []Process
}

// Process is one more process of a jail.
type Process struct {
	PID int
	// Comm is the process's name as it set it (/proc/PID/comm): for
	// people only, never judged.
	Comm   string
	Status ProcStatus
}

// Host is the reference the jail is set against.
type Host struct {
	// Mounts is the auditor's own mount table, where bind sources live.
	Mounts []*mountinfo.Info
	// Namespaces are PID 1's, or the auditor's own when PID 1's cannot
	// be read; NamespacesOf says which.
	Namespaces   map[string]uint64
	NamespacesOf string
	// ProcFiles are the paths of views.ProcReadOnly and views.ProcMasked
	// this kernel has: the jail's procfs has them too, so each must be
	// covered in the jail.
	ProcFiles map[string]bool
	// Sources are the plan's sources as the host has them now
	// (ReadSources).
	Sources []SourceNow
}

// ParsePlan reads a plan as the registry stores it (views.Plan as JSON).
func ParsePlan(raw []byte) (*views.Plan, error) {
	var plan views.Plan
	if err := json.Unmarshal(raw, &plan); err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	return &plan, nil
}

// Compare sets what was read about a jail against its plan.
func Compare(plan *views.Plan, jail Jail, host Host) Report {
	recorded := map[string]registry.Source{}
	for _, s := range jail.Recorded {
		recorded[s.Target] = s
	}
	r := Report{Mounts: compareMounts(plan, jail.Mounts, host.Mounts, host.ProcFiles, recorded)}
	r.Sources = compareSources(jail.Recorded, host.Sources)
	r.Enforced = append(r.Enforced, compareCaps(plan.Caps, jail.Status)...)
	r.Enforced = append(r.Enforced, compareIdentity(plan, jail.Status)...)
	r.Enforced = append(r.Enforced, compareNoNewPrivs(plan, jail.Status))
	r.Enforced = append(r.Enforced, compareSeccomp(plan.Seccomp, jail.Status)...)
	if l := compareLandlock(plan.Landlock); l != nil {
		r.Enforced = append(r.Enforced, *l)
	}
	for _, s := range plan.Skipped {
		r.Enforced = append(r.Enforced, Check{Name: "skipped", Got: s, OK: true,
			Note: "left out at start: this host's kernel could not enforce it and the profile says optional = true"})
	}
	r.Enforced = append(r.Enforced, compareNamespaces(plan.Unshare, jail.Namespaces, host)...)
	r.Enforced = append(r.Enforced, compareLimits(plan.Limits, jail.Limits)...)
	for _, p := range jail.Others {
		r.Processes = append(r.Processes, compareProcess(plan, p))
	}
	return r
}

// compareProcess judges one more process of the jail: its capabilities
// no more than the plan keeps, no_new_privs and the filter as planned.
// Its identity is not judged: a daemon's workers drop to users of their
// own.
func compareProcess(plan *views.Plan, p Process) ProcessReport {
	checks := compareCaps(plan.Caps, p.Status)
	checks = append(checks, compareNoNewPrivs(plan, p.Status))
	checks = append(checks, compareSeccomp(plan.Seccomp, p.Status)...)
	r := ProcessReport{PID: p.PID, Comm: p.Comm, OK: true}
	for _, c := range checks {
		if !c.OK {
			r.OK = false
			r.Drift = append(r.Drift, c)
		}
	}
	return r
}

func capMask(names []string) (uint64, []string) {
	var m uint64
	var bad []string
	for _, n := range names {
		i, _, err := caps.Parse(n)
		if err != nil || i >= 64 {
			bad = append(bad, n)
			continue
		}
		m |= 1 << i
	}
	return m, bad
}

func capNames(m uint64) string {
	if m == 0 {
		return "none"
	}
	var names []string
	for m != 0 {
		i := bits.TrailingZeros64(m)
		names = append(names, caps.Name(i))
		m &^= 1 << i
	}
	return strings.Join(names, ",")
}

func compareCaps(planned []string, st ProcStatus) []Check {
	want, bad := capMask(planned)
	var out []Check
	for _, set := range []struct {
		name string
		got  uint64
	}{{"CapInh", st.CapInh}, {"CapPrm", st.CapPrm}, {"CapEff", st.CapEff}, {"CapBnd", st.CapBnd}, {"CapAmb", st.CapAmb}} {
		c := Check{Name: set.name, Want: "at most " + capNames(want), Got: capNames(set.got), OK: set.got&^want == 0}
		if !c.OK {
			c.Note = "holds " + capNames(set.got&^want) + ", which the profile does not keep"
		}
		if len(bad) > 0 {
			c.Note = strings.TrimPrefix(c.Note+"; plan names unknown capabilities "+strings.Join(bad, ","), "; ")
		}
		out = append(out, c)
	}
	return out
}

func compareIdentity(plan *views.Plan, st ProcStatus) []Check {
	ids := func(v [4]uint32) string {
		return fmt.Sprintf("%d %d %d %d", v[0], v[1], v[2], v[3])
	}
	groups := func(g []uint32) string {
		if len(g) == 0 {
			return "none"
		}
		s := make([]string, len(g))
		for i, x := range g {
			s[i] = strconv.FormatUint(uint64(x), 10)
		}
		return strings.Join(s, " ")
	}
	uid := Check{Name: "uid", Got: ids(st.UID), OK: true}
	gid := Check{Name: "gid", Got: ids(st.GID), OK: true}
	grp := Check{Name: "groups", Got: groups(st.Groups), OK: true}
	if plan.UID < 0 {
		uid.Note = "the profile keeps the caller's user"
		return []Check{uid, gid, grp}
	}
	u, g := uint32(plan.UID), uint32(plan.GID)
	uid.Want, gid.Want, grp.Want = ids([4]uint32{u, u, u, u}), ids([4]uint32{g, g, g, g}), groups([]uint32{g})
	uid.OK = st.UID == [4]uint32{u, u, u, u}
	gid.OK = st.GID == [4]uint32{g, g, g, g}
	grp.OK = slices.Equal(st.Groups, []uint32{g})
	return []Check{uid, gid, grp}
}

// compareNoNewPrivs wants NoNewPrivs set when the profile asks for it, and
// whenever a seccomp filter is planned: the launcher sets it to install the
// filter (and check refuses no_new_privs = false beside [seccomp]).
func compareNoNewPrivs(plan *views.Plan, st ProcStatus) Check {
	c := Check{Name: "NoNewPrivs", Got: strconv.Itoa(st.NoNewPrivs), OK: true}
	if st.NoNewPrivs < 0 {
		c.Got = "not reported by this kernel"
	}
	if plan.NoNewPriv || (plan.Seccomp != nil && !plan.Seccomp.Optional) {
		c.Want = "1"
		c.OK = st.NoNewPrivs == 1
	}
	return c
}

// compareSeccomp wants filter mode and at least one filter when the plan
// has [seccomp]. Without it, a filter seen is not drift: it may come from
// whoever started fsviews (systemd's SystemCallFilter=, a container
// runtime), inherited across fork and exec, or from the daemon itself.
func compareSeccomp(planned *views.SeccompPlan, st ProcStatus) []Check {
	modes := map[int]string{-1: "not reported by this kernel", 0: "0 (off)", 1: "1 (strict)", 2: "2 (filter)"}
	mode := Check{Name: "Seccomp", Got: modes[st.Seccomp], OK: true}
	if mode.Got == "" {
		mode.Got = strconv.Itoa(st.Seccomp)
	}
	filters := Check{Name: "Seccomp_filters", Got: strconv.Itoa(st.SeccompFilters), OK: true}
	if st.SeccompFilters < 0 {
		filters.Got = "not reported by this kernel"
	}
	if planned == nil {
		mode.Note = "the plan installs no seccomp filter"
		if st.Seccomp == 2 {
			mode.Note += "; this one was inherited from whoever started fsviews, or installed by the daemon"
		}
		return []Check{mode, filters}
	}
	mode.Want = "2 (filter)"
	mode.OK = st.Seccomp == 2
	filters.Want = "at least 1"
	// Without the count (kernels before 5.9) the mode alone decides.
	filters.OK = st.SeccompFilters >= 1 || (st.SeccompFilters < 0 && st.Seccomp == 2)
	var notes []string
	if planned.Origin != "" {
		notes = append(notes, "[seccomp] at "+planned.Origin)
	}
	if planned.Log {
		notes = append(notes, "log only (run --seccomp-log): the filter refuses nothing")
	}
	if planned.Optional && !mode.OK {
		notes = append(notes, "optional = true: run skips the filter where the kernel cannot enforce it, and says so on its stderr")
	}
	mode.Note = strings.Join(notes, "; ")
	return []Check{mode, filters}
}

// compareLandlock reports a planned Landlock ruleset. The kernel does not
// show a process's Landlock domain in /proc, so it cannot be observed from
// outside: run enforced it before exec, or failed (fail closed), unless the
// profile made it optional.
func compareLandlock(planned *views.LandlockPlan) *Check {
	if planned == nil {
		return nil
	}
	c := &Check{Name: "Landlock", Want: fmt.Sprintf("%d rules", len(planned.Rules)),
		Got: "not visible in /proc", OK: true,
		Note: "the kernel does not report Landlock domains; fsviews run refuses to start without them"}
	if planned.Optional {
		c.Note = "the kernel does not report Landlock domains; optional = true: run skipped it, saying so on its stderr, if the kernel could not enforce it"
	}
	return c
}

func compareNamespaces(unshared []string, jail map[string]uint64, h Host) []Check {
	host, whose := h.Namespaces, h.NamespacesOf
	if whose == "" {
		whose = "PID 1"
	}
	var names []string
	for n := range jail {
		if !strings.HasSuffix(n, "_for_children") {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var out []Check
	for _, n := range names {
		planned := slices.Contains(unshared, n)
		c := Check{Name: "ns " + n, Got: strconv.FormatUint(jail[n], 10), OK: true}
		h, known := host[n]
		switch {
		case !known:
			c.Note = "the host's is unknown: " + whose
			if planned {
				c.Want = "not the host's"
				c.OK = false
			}
		case planned:
			c.Want = "not the host's (" + strconv.FormatUint(h, 10) + ", " + whose + ")"
			c.OK = jail[n] != h
			if !c.OK {
				c.Note = "shares the host's namespace though the profile asks for a new one"
			}
		case jail[n] == h:
			c.Note = "the host's, as planned"
		default:
			c.Note = "private, though the plan does not create it"
		}
		out = append(out, c)
	}
	for _, n := range unshared {
		if _, ok := jail[n]; !ok {
			out = append(out, Check{Name: "ns " + n, Want: "not the host's", Got: "not found in /proc/PID/ns", OK: false})
		}
	}
	return out
}

// limitValue prints a planned limit as /proc/PID/limits does; "" for nil
// (the daemon inherits it, so any value is as planned).
func limitValue(v *uint64) string {
	switch {
	case v == nil:
		return ""
	case *v == rlimits.Infinity:
		return "unlimited"
	}
	return strconv.FormatUint(*v, 10)
}

// compareLimits sets the jail's /proc/PID/limits against the plan's
// [limits], by the profile's names; a limit the plan does not set is shown
// as observed.
func compareLimits(planned []views.LimitPlan, limits []Limit) []Check {
	var out []Check
	seen := map[string]bool{}
	for _, l := range limits {
		c := Check{Name: "rlimit " + l.Name, Got: l.Soft + " / " + l.Hard, OK: true}
		i := slices.IndexFunc(planned, func(p views.LimitPlan) bool { return p.Name == l.Name })
		if i >= 0 {
			p := planned[i]
			seen[p.Name] = true
			soft, hard := limitValue(p.Soft), limitValue(p.Hard)
			c.OK = (soft == "" || soft == l.Soft) && (hard == "" || hard == l.Hard)
			if soft == "" {
				soft = "inherited"
			}
			if hard == "" {
				hard = "inherited"
			}
			c.Want = soft + " / " + hard
			c.Note = "[limits] " + p.Name + " at " + p.Origin
		}
		out = append(out, c)
	}
	for _, p := range planned {
		if !seen[p.Name] {
			out = append(out, Check{Name: "rlimit " + p.Name, Want: p.Limit.String(), Got: "not in /proc/PID/limits", OK: false,
				Note: "[limits] " + p.Name + " at " + p.Origin})
		}
	}
	return out
}
