package seccomp

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// parseFuzzSpec reads a small line format, one directive a line:
//
//	preset NAME | allow NAME... | deny NAME... | default ACTION | x32 | i386 | arm64
//	rule SYSCALL ACTION [INDEX OP VALUE [MASK]]...
//
// Unparseable parts are kept as invalid values, so that Check sees them too.
func parseFuzzSpec(text string) (Spec, Arch) {
	var s Spec
	arch := AMD64
	num := func(f string) uint64 {
		n, _ := strconv.ParseUint(f, 0, 64)
		return n
	}
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "preset":
			if len(f) > 1 {
				s.Preset = f[1]
			}
		case "allow":
			s.Allow = append(s.Allow, f[1:]...)
		case "deny":
			s.Deny = append(s.Deny, f[1:]...)
		case "default":
			if len(f) > 1 {
				a, _ := ParseAction(f[1])
				s.DefaultAction = &a
			}
		case "x32":
			s.AllowX32 = true
		case "i386":
			s.AllowI386 = true
		case "arm64":
			arch = ARM64
		case "rule":
			if len(f) < 3 {
				continue
			}
			a, _ := ParseAction(f[2])
			r := Rule{Syscall: f[1], Action: a}
			rest := f[3:]
			for len(rest) >= 3 {
				op, err := ParseOp(rest[1])
				if err != nil {
					op = Op(num(rest[1]))
				}
				c := Cond{Index: int(int8(num(rest[0]))), Op: op, Value: num(rest[2])}
				rest = rest[3:]
				if op == OpMaskedEq && len(rest) > 0 {
					c.Mask = num(rest[0])
					rest = rest[1:]
				}
				r.Args = append(r.Args, c)
			}
			s.Rules = append(s.Rules, r)
		}
	}
	return s, arch
}

// FuzzCompile checks that Compile never panics, agrees with Check, and
// produces a structurally valid program that behaves like its policy.
func FuzzCompile(f *testing.F) {
	f.Add("preset default")
	f.Add("preset daemon\ndeny socket\nrule socket allow 0 == 1")
	f.Add("allow read write\ndefault kill-process\nrule write errno:EACCES 0 > 2 1 &== 0xff 0x10 0xff")
	f.Fuzz(func(t *testing.T, text string) {
		s, arch := parseFuzzSpec(text)
		problems := s.Check(arch)
		p, err := s.Compile(arch)
		if len(problems) > 0 {
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("Check found %v but Compile returned %v", problems, err)
			}
			return
		}
		if err != nil {
			if strings.Contains(err.Error(), "kernel's limit") {
				return
			}
			t.Fatalf("Check passed but Compile failed: %v", err)
		}
		if err := validate(p.insns); err != nil {
			t.Fatalf("invalid program: %v\n%s", err, p.Disassemble())
		}
		r := newRunner(t, p)
		pol := s.resolve(arch.native())
		for _, n := range []uint32{0, 1, 16, 56, 101, 165, 435, arch.native().maxNr() + 1} {
			for _, a := range argSets()[:6] {
				if got, want := r.run(seccompData{nr: n, arch: arch.native().auditArch, args: a}), expected(pol, n, a); got != want {
					t.Fatalf("nr %d args %#x: got %s, want %s", n, a, got, want)
				}
			}
		}
	})
}
