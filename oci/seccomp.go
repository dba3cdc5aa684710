package oci

import (
	"fmt"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/fsviews/fsviews/seccomp"
	"github.com/fsviews/fsviews/views"
)

// ociArch is the libseccomp spelling of the architectures fsviews
// compiles filters for.
func ociArch(a seccomp.Arch) specs.Arch {
	if a == seccomp.ARM64 {
		return specs.ArchAARCH64
	}
	return specs.ArchX86_64
}

// ociAction maps a filter action and its errno (0 for none).
func ociAction(a seccomp.Action) (specs.LinuxSeccompAction, *uint) {
	switch a {
	case seccomp.ActionAllow:
		return specs.ActAllow, nil
	case seccomp.ActionKillProcess:
		return specs.ActKillProcess, nil
	case seccomp.ActionKillThread:
		return specs.ActKillThread, nil
	case seccomp.ActionTrap:
		return specs.ActTrap, nil
	case seccomp.ActionLog:
		return specs.ActLog, nil
	}
	n := uint(a.Errno())
	return specs.ActErrno, &n
}

var ociOps = map[seccomp.Op]specs.LinuxSeccompOperator{
	seccomp.OpEq: specs.OpEqualTo, seccomp.OpNe: specs.OpNotEqual,
	seccomp.OpLt: specs.OpLessThan, seccomp.OpLe: specs.OpLessEqual,
	seccomp.OpGt: specs.OpGreaterThan, seccomp.OpGe: specs.OpGreaterEqual,
	seccomp.OpMaskedEq: specs.OpMaskedEqual,
}

// seccompSection writes the filter fsviews would install as the spec's
// seccomp section. It starts from seccomp.Resolve, the per-syscall
// decisions the BPF program is compiled from, rather than from the
// profile's presets, so both filters give every syscall the same action:
//
//   - defaultAction is the filter's refusal, and every known syscall
//     whose action differs is listed by name;
//   - a syscall with argument rules gets one entry per rule; when its own
//     action is not the default, that action too is conditional, on none
//     of the rules holding (refine), because libseccomp lets an
//     unconditional entry override every conditional one of a syscall;
//   - a condition on an argument the kernel declares int compares the low
//     32 bits only, as fsviews' filter does (CVE-2019-10063): == becomes
//     SCMP_CMP_MASKED_EQ with mask 0xffffffff.
//
// What libseccomp cannot say the same way is a gap: other comparisons of
// int arguments (libseccomp compares 64 bits), two conditions on one
// argument in a rule (runc joins those with "or"), rules with different
// actions for one syscall (libseccomp does not promise that the most
// severe one wins), rules refine cannot turn around, and the i386 and x32
// ABIs.
func seccompSection(sp *views.SeccompPlan, arch seccomp.Arch, g, notes *gaps) (*specs.LinuxSeccomp, error) {
	spec := sp.Effective()
	res, err := spec.Resolve(arch)
	if err != nil {
		return nil, fmt.Errorf("[seccomp] (%s): %w", sp.Origin, err)
	}
	if spec.AllowI386 || spec.AllowX32 {
		g.add(sp.Origin, "[seccomp] allow_i386/allow_x32: the exported filter lists the native architecture only, so the runtime refuses i386 and x32 syscalls")
	}
	// The default is the filter's refusal: every syscall without rules is
	// named anyway, and rules refine the default most easily. Numbers
	// newer than fsviews' table, which a denylist refuses with ENOSYS,
	// then get the refusal.
	def := seccomp.ActionErrno
	if spec.DefaultAction != nil {
		def = *spec.DefaultAction
	}
	if res.Unknown != def {
		notes.add(sp.Origin, "[seccomp]: syscalls newer than fsviews' table get %s from the exported filter instead of %s (runc answers ENOSYS for numbers above those the filter names, itself)", def, res.Unknown)
	}
	defAct, defErrno := ociAction(def)
	out := &specs.LinuxSeccomp{DefaultAction: defAct, DefaultErrnoRet: defErrno, Architectures: []specs.Arch{ociArch(arch)}}
	byAction := map[seccomp.Action][]string{}
	var ruled []specs.LinuxSyscall
	for _, d := range res.Syscalls {
		if d.Base != def {
			byAction[d.Base] = append(byAction[d.Base], d.Name)
		}
		if len(d.Rules) == 0 {
			continue
		}
		if d.Base != def {
			// libseccomp lets a syscall's unconditional entry override its
			// conditional ones: the base action must be conditional too,
			// on none of the rules holding.
			entries, ok := refine(d, def)
			if !ok {
				for _, r := range d.Rules {
					g.add(sp.Origin, "[seccomp] %s: %s when %s: libseccomp cannot refine a syscall the filter otherwise gives %s, so the runtime gives it %s always", d.Name, r.Action, condsString(r), d.Base, d.Base)
				}
				continue
			}
			byAction[d.Base] = byAction[d.Base][:len(byAction[d.Base])-1]
			ruled = append(ruled, entries...)
			continue
		}
		actions := map[seccomp.Action]bool{}
		for _, r := range d.Rules {
			actions[r.Action] = true
			args, err := ruleArgs(d.Name, r)
			if err != nil {
				g.add(sp.Origin, "[seccomp] %s", err)
			}
			act, errno := ociAction(r.Action)
			ruled = append(ruled, specs.LinuxSyscall{Names: []string{d.Name}, Action: act, ErrnoRet: errno, Args: args})
		}
		if len(actions) > 1 {
			g.add(sp.Origin, "[seccomp] %s: rules with different actions; fsviews applies the most severe whose conditions hold, libseccomp does not promise to", d.Name)
		}
	}
	actions := make([]seccomp.Action, 0, len(byAction))
	for a := range byAction {
		actions = append(actions, a)
	}
	sort.Slice(actions, func(i, j int) bool { return actions[i].String() < actions[j].String() })
	for _, a := range actions {
		if len(byAction[a]) == 0 {
			continue
		}
		act, errno := ociAction(a)
		out.Syscalls = append(out.Syscalls, specs.LinuxSyscall{Names: byAction[a], Action: act, ErrnoRet: errno})
	}
	out.Syscalls = append(out.Syscalls, ruled...)
	return out, nil
}

// ruleArgs translates a rule's conditions. The returned error says what
// the runtime checks differently; the args are still the closest form.
func ruleArgs(name string, r seccomp.DecidedRule) ([]specs.LinuxSeccompArg, error) {
	var args []specs.LinuxSeccompArg
	var problem error
	seen := map[int]bool{}
	for _, c := range r.Args {
		if seen[c.Index] && problem == nil {
			problem = fmt.Errorf("%s: two conditions on argument %d in one rule; runc joins them with \"or\", not \"and\"", name, c.Index)
		}
		seen[c.Index] = true
		a := specs.LinuxSeccompArg{Index: uint(c.Index), Op: ociOps[c.Op], Value: c.Value}
		switch {
		case c.Op == seccomp.OpMaskedEq:
			a.Value, a.ValueTwo = c.Mask, c.Value
		case c.Low32 && c.Op == seccomp.OpEq:
			a.Op, a.Value, a.ValueTwo = specs.OpMaskedEqual, 0xffffffff, c.Value
		case c.Low32 && problem == nil:
			problem = fmt.Errorf("%s: %s compares the low 32 bits of an int argument; libseccomp compares all 64", name, c.Cond)
		}
		args = append(args, a)
	}
	return args, problem
}

func condsString(r seccomp.DecidedRule) string {
	s := make([]string, len(r.Args))
	for i, c := range r.Args {
		s[i] = c.Cond.String()
	}
	return strings.Join(s, " && ")
}

// maxSplitBits bounds complement: 2^bits entries at most for the bits
// where the values of an "equals one of" rule set differ.
const maxSplitBits = 4

// refine writes a syscall whose base action differs from the default as
// conditional entries only: the rules' action when one of them holds, and
// the base action when none does. It handles the shapes presets use, all
// rules with one action and one condition on the same argument:
// setuid/setgid mode bits (chmod, openat, mknod), ioctl without TIOCSTI
// and TIOCLINUX, clone without namespace flags, personality values.
func refine(d seccomp.Decided, def seccomp.Action) ([]specs.LinuxSyscall, bool) {
	var conds []seccomp.DecidedCond
	for _, r := range d.Rules {
		if len(r.Args) != 1 || r.Action != d.Rules[0].Action {
			return nil, false
		}
		conds = append(conds, r.Args[0])
	}
	alts, ok := complement(conds)
	if !ok {
		return nil, false
	}
	var out []specs.LinuxSyscall
	if a := d.Rules[0].Action; a != def {
		act, errno := ociAction(a)
		for _, r := range d.Rules {
			args, err := ruleArgs(d.Name, r)
			if err != nil {
				return nil, false
			}
			out = append(out, specs.LinuxSyscall{Names: []string{d.Name}, Action: act, ErrnoRet: errno, Args: args})
		}
	}
	act, errno := ociAction(d.Base)
	for _, a := range alts {
		out = append(out, specs.LinuxSyscall{Names: []string{d.Name}, Action: act, ErrnoRet: errno, Args: []specs.LinuxSeccompArg{a}})
	}
	return out, true
}

// complement returns conditions, any one of which holds exactly when none
// of conds holds; all of conds test the same argument. Every alternative
// is an SCMP_CMP_MASKED_EQ, so an int argument is compared on its low 32
// bits only, as fsviews' filter does:
//
//   - one comparison of a 64-bit argument: the opposite comparison;
//   - "arg & M == M" for several M (bits set): all those bits clear;
//   - "arg & M == V": one bit of M differs from V;
//   - "arg == v" for several v: the argument differs from the values
//     on a bit where they all agree, or its bits where they differ form a
//     pattern none of them has.
func complement(conds []seccomp.DecidedCond) ([]specs.LinuxSeccompArg, bool) {
	c0 := conds[0]
	for _, c := range conds {
		if c.Index != c0.Index || c.Low32 != c0.Low32 || c.Op != c0.Op {
			return nil, false
		}
	}
	alt := func(mask, value uint64) specs.LinuxSeccompArg {
		return specs.LinuxSeccompArg{Index: uint(c0.Index), Op: specs.OpMaskedEqual, Value: mask, ValueTwo: value}
	}
	width := uint(64)
	if c0.Low32 {
		width = 32
	}
	var out []specs.LinuxSeccompArg
	inverse := map[seccomp.Op]specs.LinuxSeccompOperator{
		seccomp.OpEq: specs.OpNotEqual, seccomp.OpNe: specs.OpEqualTo,
		seccomp.OpLt: specs.OpGreaterEqual, seccomp.OpLe: specs.OpGreaterThan,
		seccomp.OpGt: specs.OpLessEqual, seccomp.OpGe: specs.OpLessThan,
	}
	switch {
	case len(conds) == 1 && !c0.Low32 && c0.Op != seccomp.OpMaskedEq:
		return []specs.LinuxSeccompArg{{Index: uint(c0.Index), Op: inverse[c0.Op], Value: c0.Value}}, true
	case len(conds) == 1 && c0.Low32 && c0.Op == seccomp.OpNe:
		return []specs.LinuxSeccompArg{alt(0xffffffff, c0.Value)}, true
	}
	switch c0.Op {
	case seccomp.OpMaskedEq:
		var set uint64
		for _, c := range conds {
			if c.Value != c.Mask {
				set = 0
				break
			}
			set |= c.Mask
		}
		if set != 0 {
			return []specs.LinuxSeccompArg{alt(set, 0)}, true
		}
		if len(conds) != 1 {
			return nil, false
		}
		for i := uint(0); i < 64; i++ {
			if bit := uint64(1) << i; c0.Mask&bit != 0 {
				out = append(out, alt(bit, ^c0.Value&bit))
			}
		}
		return out, true
	case seccomp.OpEq:
		var differ uint64 // bits where the values differ
		for _, c := range conds {
			differ |= c.Value ^ c0.Value
		}
		var split []uint
		for i := uint(0); i < width; i++ {
			if bit := uint64(1) << i; differ&bit != 0 {
				split = append(split, i)
			} else {
				out = append(out, alt(bit, ^c0.Value&bit))
			}
		}
		if len(split) > maxSplitBits {
			return nil, false
		}
		taken := map[uint64]bool{}
		for _, c := range conds {
			taken[c.Value&differ] = true
		}
		for p := 0; p < 1<<len(split) && differ != 0; p++ {
			var pattern uint64
			for j, i := range split {
				if p&(1<<j) != 0 {
					pattern |= 1 << i
				}
			}
			if !taken[pattern] {
				out = append(out, alt(differ, pattern))
			}
		}
		return out, true
	}
	return nil, false
}
