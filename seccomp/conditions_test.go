package seccomp

import "testing"

// TestConditions checks every op against Go's own comparison, with inputs
// that differ from the value only in the high or only in the low word.
func TestConditions(t *testing.T) {
	values := []uint64{0, 1, 0x5412, 0xffffffff, 0x1_00000000, 0x0102_0304_0506_0708, 0xffffffff_ffffffff, 0x8000_0000_0000_0000}
	inputs := []uint64{0, 1, 2, 0x5411, 0x5412, 0x5413, 0xfffffffe, 0xffffffff, 0x1_00000000, 0x1_00005412,
		0xffffffff_00005412, 0x0102_0304_0506_0707, 0x0102_0304_0506_0708, 0x0102_0304_0506_0709,
		0x0102_0303_0506_0708, 0x0102_0305_0506_0708, 0x0002_0304_0506_0708, 0x8000_0000_0000_0000,
		0x7fff_ffff_ffff_ffff, 0xffffffff_ffffffff}
	masks := []uint64{0xff, 0xffff0000, 0xffffffff, 0xffffffff_00000000, 0x0f0f0f0f_0f0f0f0f, ^uint64(0), 0x1_00000001}
	eval := map[Op]func(a, v uint64) bool{
		OpEq: func(a, v uint64) bool { return a == v }, OpNe: func(a, v uint64) bool { return a != v },
		OpLt: func(a, v uint64) bool { return a < v }, OpLe: func(a, v uint64) bool { return a <= v },
		OpGt: func(a, v uint64) bool { return a > v }, OpGe: func(a, v uint64) bool { return a >= v },
	}
	type tc struct {
		cond Cond
		eval func(uint64) bool
	}
	var cases []tc
	for op, f := range eval {
		for _, v := range values {
			if (op == OpLt && v == 0) || (op == OpGt && v == ^uint64(0)) {
				continue // Check rejects conditions that never hold
			}
			for idx := range 6 {
				cases = append(cases, tc{Cond{Index: idx, Op: op, Value: v}, func(a uint64) bool { return f(a, v) }})
			}
		}
	}
	for _, m := range masks {
		for _, v := range values {
			v &= m
			cases = append(cases, tc{Cond{Index: 2, Op: OpMaskedEq, Mask: m, Value: v}, func(a uint64) bool { return a&m == v }})
		}
	}
	for _, arch := range []Arch{AMD64, ARM64} {
		for _, c := range cases {
			// write (a 64-bit-argument syscall) is allowed only when the condition holds.
			s := Spec{Allow: []string{"read"}, Rules: []Rule{{Syscall: "write", Action: ActionAllow, Args: []Cond{c.cond}}}}
			r := newRunner(t, mustCompile(t, s, arch))
			for _, in := range inputs {
				var args [6]uint64
				for i := range args {
					args[i] = ^in // the other arguments must not matter
				}
				args[c.cond.Index] = in
				want := ActionErrno
				if c.eval(in) {
					want = ActionAllow
				}
				if got := r.run(seccompData{nr: nr(t, arch, "write"), arch: arch.native().auditArch, args: args}); got != want {
					t.Fatalf("%s: %s with arg %#x: got %s, want %s", arch, c.cond, in, got, want)
				}
			}
		}
	}
}

// TestInt32Arguments checks that arguments the kernel truncates are compared
// on their low word only, for allow and deny rules.
func TestInt32Arguments(t *testing.T) {
	s := Spec{Rules: []Rule{
		{Syscall: "ioctl", Action: ActionErrno, Args: []Cond{{Index: 1, Op: OpEq, Value: 0x5412}}},
		{Syscall: "socket", Action: ActionKillProcess, Args: []Cond{{Index: 0, Op: OpGt, Value: 16}}},
	}}
	for _, arch := range []Arch{AMD64, ARM64} {
		r := newRunner(t, mustCompile(t, s, arch))
		run := func(name string, args [6]uint64) Action {
			return r.run(seccompData{nr: nr(t, arch, name), arch: arch.native().auditArch, args: args})
		}
		for _, cmd := range []uint64{0x5412, 0x1_00005412, 0xdead0000_00005412} {
			if got := run("ioctl", [6]uint64{0, cmd}); got != ActionErrno {
				t.Errorf("%s: ioctl cmd %#x = %s, want errno", arch, cmd, got)
			}
		}
		if got := run("socket", [6]uint64{0x1_00000001}); got != ActionAllow {
			t.Errorf("%s: socket(0x1_00000001) = %s, want allow (the kernel sees AF_UNIX)", arch, got)
		}
		if got := run("socket", [6]uint64{17}); got != ActionKillProcess {
			t.Errorf("%s: socket(17) = %s, want kill-process", arch, got)
		}
	}
}
