package inspect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/sys/mountinfo"

	"github.com/fsviews/fsviews/caps"
	"github.com/fsviews/fsviews/views"
)

// Jail is what was read about a running jail from /proc.
type Jail struct {
	Mounts     []*mountinfo.Info
	Status     ProcStatus
	Limits     []Limit
	Namespaces map[string]uint64 // by /proc/PID/ns name
}

// Host is the reference the jail is set against.
type Host struct {
	// Mounts is the auditor's own mount table, where bind sources live.
	Mounts []*mountinfo.Info
	// Namespaces are PID 1's, or the auditor's own when PID 1's cannot
	// be read; NamespacesOf says which.
	Namespaces   map[string]uint64
	NamespacesOf string
}

// Extras are what a plan may carry beyond the views.Plan fields this
// package knows, read from the plan's JSON so that newer plans are
// compared without a change here.
type Extras struct {
	// Seccomp: the plan installs a seccomp filter (a non-empty "seccomp").
	Seccomp bool
	// Rlimits maps short names ("NOFILE") to planned soft and hard
	// limits, each a number or "unlimited".
	Rlimits map[string][2]string
	// RlimitsUnread says why a present "rlimits" could not be read.
	RlimitsUnread string
}

// ParsePlan reads a plan as the registry stores it (views.Plan as JSON).
func ParsePlan(raw []byte) (*views.Plan, Extras, error) {
	var plan views.Plan
	if err := json.Unmarshal(raw, &plan); err != nil {
		return nil, Extras{}, fmt.Errorf("read plan: %w", err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return nil, Extras{}, fmt.Errorf("read plan: %w", err)
	}
	var ex Extras
	if s, ok := keys["seccomp"]; ok {
		v := string(bytes.TrimSpace(s))
		ex.Seccomp = v != "null" && v != `""` && v != "{}" && v != "[]" && v != "false"
	}
	if r, ok := keys["rlimits"]; ok && string(bytes.TrimSpace(r)) != "null" {
		ex.Rlimits, ex.RlimitsUnread = parseRlimits(r)
	}
	return &plan, ex, nil
}

// parseRlimits accepts {"nofile": 1024}, {"RLIMIT_NOFILE": "unlimited"},
// {"nofile": {"soft": 1, "hard": 2}} and {"nofile": {"cur": 1, "max": 2}},
// or a list of objects with a "name" (or "resource") key.
func parseRlimits(raw json.RawMessage) (map[string][2]string, string) {
	out := map[string][2]string{}
	add := func(name string, v json.RawMessage) bool {
		soft, hard, ok := limitPair(v)
		if !ok {
			return false
		}
		out[shortRlimit(name)] = [2]string{soft, hard}
		return true
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) == nil {
		for k, v := range m {
			if !add(k, v) {
				return nil, fmt.Sprintf("rlimit %q: unknown value %s", k, v)
			}
		}
		return out, ""
	}
	var list []map[string]json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		for _, item := range list {
			var name string
			for _, k := range []string{"name", "resource"} {
				if v, ok := item[k]; ok {
					json.Unmarshal(v, &name)
				}
			}
			b, _ := json.Marshal(item)
			if name == "" || !add(name, b) {
				return nil, fmt.Sprintf("rlimit entry %s: unknown format", b)
			}
		}
		return out, ""
	}
	return nil, "unknown format " + string(raw)
}

func shortRlimit(name string) string {
	return strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(name)), "RLIMIT_")
}

// limitPair reads a limit value: one number or string for both, or an
// object with soft/hard or cur/max.
func limitPair(v json.RawMessage) (string, string, bool) {
	if one, ok := limitValue(v); ok {
		return one, one, true
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(v, &obj) != nil {
		return "", "", false
	}
	for _, names := range [][2]string{{"soft", "hard"}, {"cur", "max"}} {
		s, okS := obj[names[0]]
		h, okH := obj[names[1]]
		if okS || okH {
			if !okS {
				s = h
			}
			if !okH {
				h = s
			}
			soft, ok1 := limitValue(s)
			hard, ok2 := limitValue(h)
			return soft, hard, ok1 && ok2
		}
	}
	return "", "", false
}

func limitValue(v json.RawMessage) (string, bool) {
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var x any
	if dec.Decode(&x) != nil {
		return "", false
	}
	switch t := x.(type) {
	case json.Number:
		n = t
		if i, err := n.Int64(); err == nil && i < 0 {
			return "unlimited", true
		}
		if u, err := strconv.ParseUint(n.String(), 10, 64); err == nil {
			if u == ^uint64(0) {
				return "unlimited", true
			}
			return strconv.FormatUint(u, 10), true
		}
	case string:
		switch strings.ToLower(t) {
		case "unlimited", "infinity":
			return "unlimited", true
		}
		if u, err := strconv.ParseUint(t, 10, 64); err == nil {
			return strconv.FormatUint(u, 10), true
		}
	}
	return "", false
}

// Compare sets what was read about a jail against its plan.
func Compare(plan *views.Plan, ex Extras, jail Jail, host Host) Report {
	r := Report{Mounts: compareMounts(plan, jail.Mounts, host.Mounts)}
	r.Enforced = append(r.Enforced, compareCaps(plan.Caps, jail.Status)...)
	r.Enforced = append(r.Enforced, compareIdentity(plan, jail.Status)...)
	r.Enforced = append(r.Enforced, compareNoNewPrivs(plan.NoNewPriv, jail.Status))
	r.Enforced = append(r.Enforced, compareSeccomp(ex.Seccomp, jail.Status)...)
	r.Enforced = append(r.Enforced, compareNamespaces(plan.Unshare, jail.Namespaces, host)...)
	r.Enforced = append(r.Enforced, compareRlimits(ex, jail.Limits)...)
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

func compareNoNewPrivs(planned bool, st ProcStatus) Check {
	c := Check{Name: "NoNewPrivs", Got: strconv.Itoa(st.NoNewPrivs), OK: true}
	if st.NoNewPrivs < 0 {
		c.Got = "not reported by this kernel"
	}
	if planned {
		c.Want = "1"
		c.OK = st.NoNewPrivs == 1
	}
	return c
}

func compareSeccomp(planned bool, st ProcStatus) []Check {
	modes := map[int]string{-1: "not reported by this kernel", 0: "0 (off)", 1: "1 (strict)", 2: "2 (filter)"}
	mode := Check{Name: "Seccomp", Got: modes[st.Seccomp], OK: true}
	if mode.Got == "" {
		mode.Got = strconv.Itoa(st.Seccomp)
	}
	filters := Check{Name: "Seccomp_filters", Got: strconv.Itoa(st.SeccompFilters), OK: true}
	if st.SeccompFilters < 0 {
		filters.Got = "not reported by this kernel"
	}
	if planned {
		mode.Want = "2 (filter)"
		mode.OK = st.Seccomp == 2
		filters.Want = "at least 1"
		// Without the count (kernels before 5.9) the mode alone decides.
		filters.OK = st.SeccompFilters >= 1 || (st.SeccompFilters < 0 && st.Seccomp == 2)
	} else {
		mode.Note = "the plan installs no seccomp filter"
	}
	return []Check{mode, filters}
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

func compareRlimits(ex Extras, limits []Limit) []Check {
	var out []Check
	seen := map[string]bool{}
	for _, l := range limits {
		c := Check{Name: "rlimit " + l.Name, Got: l.Soft + " / " + l.Hard, OK: true}
		if w, ok := ex.Rlimits[l.Name]; ok {
			seen[l.Name] = true
			c.Want = w[0] + " / " + w[1]
			c.OK = w[0] == l.Soft && w[1] == l.Hard
		}
		out = append(out, c)
	}
	for name, w := range ex.Rlimits {
		if !seen[name] {
			out = append(out, Check{Name: "rlimit " + name, Want: w[0] + " / " + w[1], Got: "not in /proc/PID/limits", OK: false})
		}
	}
	if ex.RlimitsUnread != "" {
		out = append(out, Check{Name: "rlimits", Got: "not compared", OK: true,
			Note: "the plan's rlimits could not be read: " + ex.RlimitsUnread})
	}
	slices.SortStableFunc(out[len(limits):], func(a, b Check) int { return strings.Compare(a.Name, b.Name) })
	return out
}
