package seccomp

import (
	"slices"
	"sort"
)

// decision is what the filter does with one syscall number: the action of
// the first rule whose conditions all hold, else base. Rules are sorted most
// severe first, so the most severe matching rule wins.
type decision struct {
	base  Action
	rules []crule
}

type crule struct {
	action Action
	conds  []ccond
}

// ccond is a Cond ready for code generation.
type ccond struct {
	Cond
	low32 bool // compare the low word only (a 32-bit int argument)
}

// policy is a Spec resolved against one ABI's table.
type policy struct {
	abi     abi
	byNr    map[uint32]decision // every number in the table
	unknown Action              // numbers not in the table (gaps, newer syscalls)
}

// resolve applies the semantics documented in doc.go. It assumes Check passed.
func (s Spec) resolve(t abi) policy {
	p, _ := lookupPreset(s.Preset)
	refuse := s.refuseAction()
	allowlist := p.allowlist || (p.name == "none" && len(s.Allow) > 0)

	in := func(list []string) map[string]bool {
		m := make(map[string]bool, len(list))
		for _, n := range list {
			m[n] = true
		}
		return m
	}
	presetNames, enosys := in(p.names), in(p.enosys)
	userAllow, userDeny := in(s.Allow), in(s.Deny)

	pol := policy{abi: t, byNr: make(map[uint32]decision, len(t.nums())), unknown: refuse}
	if !allowlist {
		// Newer syscalls than this table may duplicate denied ones (as the
		// mount API did for mount): ENOSYS refuses them and lets libc fall back.
		pol.unknown = ActionENOSYS
	}
	// The rules by syscall, in their order: most syscalls have none, and
	// a scan of every rule for each of the table's names was most of
	// resolve's time.
	presetRules := map[string][]presetRule{}
	for _, r := range p.rules {
		presetRules[r.syscall] = append(presetRules[r.syscall], r)
	}
	specRules := map[string][]Rule{}
	for _, r := range s.Rules {
		specRules[r.Syscall] = append(specRules[r.Syscall], r)
	}
	for name, nr := range t.nums() {
		d := decision{base: ActionAllow}
		if allowlist != presetNames[name] {
			d.base = refuse // listed in a denylist, or missing from an allowlist
		}
		usePresetRules := true
		switch {
		case userAllow[name]:
			d.base, usePresetRules = ActionAllow, false
		case userDeny[name]:
			d.base, usePresetRules = refuse, false
		case enosys[name]:
			d.base = ActionENOSYS
		}
		if usePresetRules {
			for _, r := range presetRules[name] {
				a := refuse
				if r.allow {
					a = ActionAllow
				}
				d.rules = append(d.rules, compileRule(name, a, r.args))
			}
		}
		for _, r := range specRules[name] {
			d.rules = append(d.rules, compileRule(name, r.Action, r.Args))
		}
		if len(d.rules) > 0 {
			d = d.simplify()
		}
		pol.byNr[nr] = d
	}
	return pol
}

func compileRule(name string, a Action, conds []Cond) crule {
	r := crule{action: a}
	for _, c := range conds {
		cc := ccond{Cond: c, low32: isInt32Arg(name, c.Index)}
		if cc.low32 {
			cc.Value &= 0xffffffff
			cc.Mask &= 0xffffffff
		}
		r.conds = append(r.conds, cc)
	}
	return r
}

// simplify orders rules most severe first and drops rules that cannot change
// the outcome, so that a syscall whose rules all agree with its base action
// becomes a plain leaf in the decision tree (no argument loads on its path).
func (d decision) simplify() decision {
	sort.SliceStable(d.rules, func(i, j int) bool {
		return d.rules[i].action.severity() > d.rules[j].action.severity()
	})
	// A rule without conditions always holds: nothing after it is reached.
	for i, r := range d.rules {
		if len(r.conds) == 0 {
			d.base, d.rules = r.action, d.rules[:i]
			break
		}
	}
	// Trailing rules that give the base action anyway are no-ops.
	for len(d.rules) > 0 && d.rules[len(d.rules)-1].action == d.base {
		d.rules = d.rules[:len(d.rules)-1]
	}
	d.rules = slices.Clip(d.rules)
	return d
}

// action evaluates the decision for concrete arguments; tests compare it
// with the compiled program.
func (d decision) action(args [6]uint64) Action {
	for _, r := range d.rules {
		if r.holds(args) {
			return r.action
		}
	}
	return d.base
}

func (r crule) holds(args [6]uint64) bool {
	for _, c := range r.conds {
		if !c.holds(args[c.Index]) {
			return false
		}
	}
	return true
}

func (c ccond) holds(v uint64) bool {
	if c.low32 {
		v &= 0xffffffff
	}
	switch c.Op {
	case OpEq:
		return v == c.Value
	case OpNe:
		return v != c.Value
	case OpLt:
		return v < c.Value
	case OpLe:
		return v <= c.Value
	case OpGt:
		return v > c.Value
	case OpGe:
		return v >= c.Value
	case OpMaskedEq:
		return v&c.Mask == c.Value
	}
	return false
}
