package seccomp

import "sort"

// Resolved is a Spec decided for every syscall of one ABI: what the
// compiled program does, in a form other filter languages (the OCI
// runtime spec's seccomp section) can be written from. It is the same
// resolution Compile builds its program from, so an export cannot drift
// from the filter fsviews installs.
type Resolved struct {
	// Unknown is what syscall numbers outside the table get: newer
	// syscalls, and gaps in the numbering.
	Unknown Action
	// Syscalls holds one decision per syscall name of the ABI's table,
	// sorted by name.
	Syscalls []Decided
	// BadArch is what syscalls of a refused ABI get (i386 and x32 on
	// amd64 unless allowed, 32-bit arm on arm64).
	BadArch Action
}

// Decided is what the filter does with one syscall: the action of the first
// rule whose conditions all hold (rules come most severe first), else Base.
type Decided struct {
	Name  string
	Base  Action
	Rules []DecidedRule
}

// DecidedRule is one argument rule: Action applies when every Cond holds.
type DecidedRule struct {
	Action Action
	Args   []DecidedCond
}

// DecidedCond is a condition as the program checks it. Low32 says the
// program compares the argument's low 32 bits only, because the kernel
// declares it an int and ignores the high word (see doc.go, "Arguments");
// Value and Mask are then already cut to 32 bits.
type DecidedCond struct {
	Cond
	Low32 bool
}

// Resolve decides the spec for the native ABI of arch. It fails exactly
// when Check reports problems.
func (s Spec) Resolve(arch Arch) (Resolved, error) {
	if ps := s.Check(arch); len(ps) > 0 {
		return Resolved{}, Problems(ps)
	}
	t := arch.native()
	pol := s.resolve(t)
	r := Resolved{Unknown: pol.unknown, BadArch: badArchAction}
	for name, nr := range t.nums() {
		d := pol.byNr[nr]
		dd := Decided{Name: name, Base: d.base}
		for _, cr := range d.rules {
			rule := DecidedRule{Action: cr.action}
			for _, c := range cr.conds {
				rule.Args = append(rule.Args, DecidedCond{Cond: c.Cond, Low32: c.low32})
			}
			dd.Rules = append(dd.Rules, rule)
		}
		r.Syscalls = append(r.Syscalls, dd)
	}
	sort.Slice(r.Syscalls, func(i, j int) bool { return r.Syscalls[i].Name < r.Syscalls[j].Name })
	return r, nil
}
