package seccomp

import (
	"fmt"
	"sort"
	"strings"

	"github.com/fsviews/fsviews/internal/suggest"
)

// Spec is a seccomp policy as a profile states it. See the package
// documentation for how Preset, Allow, Deny, DefaultAction and Rules combine.
type Spec struct {
	Preset        string   // "strict" | "stdio" | "daemon" | "default" | "none" | "" (none)
	Allow, Deny   []string // syscall names
	DefaultAction *Action  // what a refused syscall gets; nil means errno (EPERM)
	Rules         []Rule
	// AllowX32 and AllowI386 let x32 and i386 syscalls through the same
	// policy on x86_64; by default they kill the process. Ignored on arm64.
	AllowX32, AllowI386 bool
}

// Problem is one thing wrong with a Spec. Key names the field as a profile
// spells it ("allow[3]", "rule[2].args[1].index") so that the caller can
// point at the file and line; Msg says what is wrong and how to fix it.
type Problem struct {
	Key, Msg string
}

func (p Problem) String() string { return p.Key + ": " + p.Msg }

// Problems is the error Compile returns for a Spec that Check rejects.
type Problems []Problem

func (ps Problems) Error() string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return "invalid seccomp spec: " + strings.Join(s, "; ")
}

// refuseAction is what refused syscalls get.
func (s Spec) refuseAction() Action {
	if s.DefaultAction != nil {
		return *s.DefaultAction
	}
	return ActionErrno
}

// Check validates the spec for arch without compiling it and returns every
// problem found, in field order. A nil result means Compile will succeed.
// Syscall names must exist on some architecture this package knows; names
// absent from arch's table (open on arm64) are accepted and skipped.
func (s Spec) Check(arch Arch) []Problem {
	var ps []Problem
	add := func(key, format string, a ...any) {
		ps = append(ps, Problem{Key: key, Msg: fmt.Sprintf(format, a...)})
	}
	if !arch.valid() {
		add("arch", "unsupported architecture %s: seccomp filters are compiled for amd64 or arm64", arch)
	}
	if _, ok := lookupPreset(s.Preset); !ok {
		msg := fmt.Sprintf("unknown preset %q: use one of %s", s.Preset, strings.Join(presetNames, ", "))
		if c := suggest.Closest(s.Preset, presetNames); c != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", c)
		}
		add("preset", "%s", msg)
	}
	if s.DefaultAction != nil && !s.DefaultAction.valid() {
		add("default_action", "%s", actionProblem(*s.DefaultAction))
	}
	var names []string // computed once, only when a name is unknown
	checkName := func(key, name string) {
		switch {
		case name == "":
			add(key, "empty syscall name: write the kernel's name, e.g. \"openat\"")
		case !knownAnywhere(name):
			if names == nil {
				names = allSyscallNames()
			}
			msg := fmt.Sprintf("unknown syscall %q", name)
			if c := suggest.Closest(name, names); c != "" {
				msg += fmt.Sprintf(": did you mean %q?", c)
			} else {
				msg += ": use the kernel's lowercase name, e.g. \"openat\" or \"clone3\""
			}
			add(key, "%s", msg)
		}
	}
	allowed := map[string]int{}
	for i, n := range s.Allow {
		checkName(fmt.Sprintf("allow[%d]", i), n)
		if _, dup := allowed[n]; !dup {
			allowed[n] = i
		}
	}
	for i, n := range s.Deny {
		key := fmt.Sprintf("deny[%d]", i)
		checkName(key, n)
		if j, ok := allowed[n]; ok && n != "" {
			add(key, "%q is also in allow[%d]: a syscall cannot be both allowed and denied; remove it from one list", n, j)
		}
	}
	seenRule := map[string]int{}
	for i, r := range s.Rules {
		key := fmt.Sprintf("rule[%d]", i)
		checkName(key+".syscall", r.Syscall)
		if !r.Action.valid() {
			add(key+".action", "%s", actionProblem(r.Action))
		}
		condsOK := true
		for j, c := range r.Args {
			if !checkCond(add, fmt.Sprintf("%s.args[%d]", key, j), r.Syscall, c) {
				condsOK = false
			}
		}
		if !condsOK || r.Syscall == "" {
			continue
		}
		sig := ruleSignature(r)
		if j, ok := seenRule[sig]; ok {
			if prev := s.Rules[j]; prev.Action != r.Action && r.Action.valid() && prev.Action.valid() {
				add(key, "same syscall and conditions as rule[%d] but action %s instead of %s: the rules contradict each other; remove one", j, r.Action, prev.Action)
			}
			continue
		}
		seenRule[sig] = i
	}
	return ps
}

func actionProblem(a Action) string {
	if a.IsZero() {
		return "missing action: use allow, errno, errno:ENAME, kill-process, kill-thread, trap or log"
	}
	if a.kind() == kindErrno {
		return fmt.Sprintf("errno %d out of range: use 1..%d", a.Errno(), maxErrno)
	}
	return fmt.Sprintf("unknown action %s: use allow, errno, errno:ENAME, kill-process, kill-thread, trap or log", a)
}

// checkCond reports the problems of one condition and whether it is usable.
func checkCond(add func(key, format string, a ...any), key, syscall string, c Cond) bool {
	ok := true
	if c.Index < 0 || c.Index > 5 {
		add(key+".index", "argument index %d out of range: syscalls have arguments 0..5", c.Index)
		ok = false
	}
	if !c.Op.valid() {
		if c.Op == 0 {
			add(key+".op", "missing op: use one of == != < <= > >= &==")
		} else {
			add(key+".op", "unknown op %d: use one of == != < <= > >= &==", uint8(c.Op))
		}
		return false
	}
	if !ok {
		return false
	}
	width, limit := "64-bit", ^uint64(0)
	if isInt32Arg(syscall, c.Index) {
		width, limit = "32-bit", 0xffffffff
	}
	if c.Op == OpMaskedEq {
		switch {
		case c.Mask == 0:
			add(key+".mask", "op &== needs a non-zero mask: the condition is (arg & mask) == value")
			return false
		case c.Mask > limit:
			add(key+".mask", "mask %#x does not fit argument %d of %s, a %s int the kernel truncates: use a mask <= %#x", c.Mask, c.Index, syscall, width, limit)
			return false
		case c.Value&^c.Mask != 0:
			add(key+".value", "value %#x has bits outside mask %#x, so (arg & mask) == value can never hold: clear those bits or widen the mask", c.Value, c.Mask)
			return false
		}
		return true
	}
	if c.Mask != 0 {
		add(key+".mask", "mask is only used with op &==; remove it or use op &==")
		ok = false
	}
	switch {
	case c.Value > limit:
		add(key+".value", "value %#x overflows argument %d of %s, a %s int the kernel truncates: use a value <= %#x", c.Value, c.Index, syscall, width, limit)
		ok = false
	case c.Op == OpLt && c.Value == 0:
		add(key+".value", "arg < 0 never holds: arguments compare as unsigned; write the two's complement of a negative bound")
		ok = false
	case c.Op == OpGt && c.Value == limit:
		add(key+".value", "arg > %#x never holds for a %s argument", limit, width)
		ok = false
	}
	return ok
}

// ruleSignature identifies a rule's syscall and condition set, in any order.
func ruleSignature(r Rule) string {
	cs := make([]string, len(r.Args))
	for i, c := range r.Args {
		cs[i] = fmt.Sprintf("%d|%d|%d|%d", c.Index, c.Op, c.Value, c.Mask)
	}
	sort.Strings(cs)
	cs = compactStrings(cs)
	return r.Syscall + "/" + strings.Join(cs, ",")
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
