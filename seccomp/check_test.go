package seccomp

import (
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	eacces := mkAction(kindErrno, 13)
	badErrno := mkAction(kindErrno, 0)
	badKind := mkAction(99, 0)
	type want struct{ key, msg string }
	cases := []struct {
		name string
		spec Spec
		arch Arch
		want []want
	}{
		{"valid preset", Spec{Preset: "daemon"}, AMD64, nil},
		{"valid empty", Spec{}, ARM64, nil},
		{"name absent on this arch is skipped", Spec{Allow: []string{"open", "fork"}}, ARM64, nil},
		{"i386-only name is known", Spec{Deny: []string{"socketcall"}}, AMD64, nil},
		{"unknown arch", Spec{}, Arch(9), []want{{"arch", "unsupported architecture"}}},
		{"unknown preset", Spec{Preset: "deamon"}, AMD64, []want{{"preset", `unknown preset "deamon": use one of strict, stdio, daemon, default, none (did you mean "daemon"?)`}}},
		{"unknown preset, nothing close", Spec{Preset: "kubernetes"}, AMD64, []want{{"preset", `unknown preset "kubernetes": use one of`}}},
		{"unknown allow", Spec{Allow: []string{"read", "opennat"}}, AMD64, []want{{"allow[1]", `unknown syscall "opennat": did you mean "openat"?`}}},
		{"unknown deny", Spec{Deny: []string{"clone4"}}, AMD64, []want{{"deny[0]", `unknown syscall "clone4": did you mean "clone"?`}}},
		{"nothing close", Spec{Deny: []string{"frobnicate_everything"}}, AMD64, []want{{"deny[0]", `unknown syscall "frobnicate_everything": use the kernel's lowercase name`}}},
		{"upper case", Spec{Deny: []string{"MOUNT"}}, AMD64, []want{{"deny[0]", `unknown syscall "MOUNT"`}}},
		{"empty name", Spec{Allow: []string{""}}, AMD64, []want{{"allow[0]", "empty syscall name"}}},
		{"allowed and denied", Spec{Allow: []string{"read", "ptrace"}, Deny: []string{"ptrace"}}, AMD64, []want{{"deny[0]", `"ptrace" is also in allow[1]: a syscall cannot be both allowed and denied`}}},
		{"bad default action", Spec{DefaultAction: &badErrno}, AMD64, []want{{"default_action", "errno 0 out of range"}}},
		{"unknown default action", Spec{DefaultAction: &badKind}, AMD64, []want{{"default_action", "unknown action"}}},
		{"rule without syscall", Spec{Rules: []Rule{{Action: ActionAllow}}}, AMD64, []want{{"rule[0].syscall", "empty syscall name"}}},
		{"rule unknown syscall", Spec{Rules: []Rule{{Syscall: "sockett", Action: ActionAllow}}}, AMD64, []want{{"rule[0].syscall", `did you mean "socket"?`}}},
		{"rule without action", Spec{Rules: []Rule{{Syscall: "socket"}}}, AMD64, []want{{"rule[0].action", "missing action"}}},
		{"rule bad action", Spec{Rules: []Rule{{Syscall: "socket", Action: badKind}}}, AMD64, []want{{"rule[0].action", "unknown action"}}},
		{"index too big", Spec{Rules: []Rule{{Syscall: "socket", Action: ActionAllow, Args: []Cond{{Index: 6, Op: OpEq}}}}}, AMD64, []want{{"rule[0].args[0].index", "argument index 6 out of range: syscalls have arguments 0..5"}}},
		{"negative index", Spec{Rules: []Rule{{Syscall: "socket", Action: ActionAllow, Args: []Cond{{Index: -1, Op: OpEq}}}}}, AMD64, []want{{"rule[0].args[0].index", "argument index -1 out of range"}}},
		{"missing op", Spec{Rules: []Rule{{Syscall: "socket", Action: ActionAllow, Args: []Cond{{Index: 0}}}}}, AMD64, []want{{"rule[0].args[0].op", "missing op"}}},
		{"unknown op", Spec{Rules: []Rule{{Syscall: "socket", Action: ActionAllow, Args: []Cond{{Index: 0, Op: 42}}}}}, AMD64, []want{{"rule[0].args[0].op", "unknown op 42"}}},
		{"mask without &==", Spec{Rules: []Rule{{Syscall: "write", Action: ActionAllow, Args: []Cond{{Index: 0, Op: OpEq, Mask: 0xff}}}}}, AMD64, []want{{"rule[0].args[0].mask", "mask is only used with op &=="}}},
		{"&== without mask", Spec{Rules: []Rule{{Syscall: "write", Action: ActionAllow, Args: []Cond{{Index: 0, Op: OpMaskedEq}}}}}, AMD64, []want{{"rule[0].args[0].mask", "op &== needs a non-zero mask"}}},
		{"value outside mask", Spec{Rules: []Rule{{Syscall: "write", Action: ActionAllow, Args: []Cond{{Index: 0, Op: OpMaskedEq, Mask: 0xff, Value: 0x100}}}}}, AMD64, []want{{"rule[0].args[0].value", "value 0x100 has bits outside mask 0xff"}}},
		{"32-bit overflow", Spec{Rules: []Rule{{Syscall: "ioctl", Action: ActionErrno, Args: []Cond{{Index: 1, Op: OpEq, Value: 0x1_00005412}}}}}, AMD64, []want{{"rule[0].args[0].value", "value 0x100005412 overflows argument 1 of ioctl, a 32-bit int the kernel truncates: use a value <= 0xffffffff"}}},
		{"32-bit mask overflow", Spec{Rules: []Rule{{Syscall: "socket", Action: ActionErrno, Args: []Cond{{Index: 0, Op: OpMaskedEq, Mask: 0x1_00000000}}}}}, AMD64, []want{{"rule[0].args[0].mask", "mask 0x100000000 does not fit argument 0 of socket"}}},
		{"never below zero", Spec{Rules: []Rule{{Syscall: "write", Action: ActionErrno, Args: []Cond{{Index: 0, Op: OpLt, Value: 0}}}}}, AMD64, []want{{"rule[0].args[0].value", "arg < 0 never holds: arguments compare as unsigned"}}},
		{"never above max", Spec{Rules: []Rule{{Syscall: "write", Action: ActionErrno, Args: []Cond{{Index: 0, Op: OpGt, Value: ^uint64(0)}}}}}, AMD64, []want{{"rule[0].args[0].value", "arg > 0xffffffffffffffff never holds"}}},
		{"contradicting rules", Spec{Rules: []Rule{
			{Syscall: "socket", Action: ActionAllow, Args: []Cond{{Index: 0, Op: OpEq, Value: 1}, {Index: 1, Op: OpEq, Value: 2}}},
			{Syscall: "socket", Action: eacces, Args: []Cond{{Index: 1, Op: OpEq, Value: 2}, {Index: 0, Op: OpEq, Value: 1}}},
		}}, AMD64, []want{{"rule[1]", "same syscall and conditions as rule[0] but action errno:EACCES instead of allow: the rules contradict each other"}}},
		{"contradicting unconditional rules", Spec{Rules: []Rule{
			{Syscall: "ptrace", Action: ActionKillProcess}, {Syscall: "ptrace", Action: ActionErrno},
		}}, AMD64, []want{{"rule[1]", "same syscall and conditions as rule[0]"}}},
		{"duplicate rules agree", Spec{Rules: []Rule{
			{Syscall: "ptrace", Action: ActionErrno}, {Syscall: "ptrace", Action: ActionErrno},
		}}, AMD64, nil},
		{"every problem at once", Spec{Preset: "x", Allow: []string{"nope"}, Rules: []Rule{{Syscall: "read", Args: []Cond{{Index: 9, Op: OpEq}}}}}, AMD64, []want{
			{"preset", "unknown preset"}, {"allow[0]", "unknown syscall"}, {"rule[0].action", "missing action"}, {"rule[0].args[0].index", "out of range"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.spec.Check(c.arch)
			if len(got) != len(c.want) {
				t.Fatalf("got %d problems %q, want %d", len(got), got, len(c.want))
			}
			for i, w := range c.want {
				if got[i].Key != w.key || !strings.Contains(got[i].Msg, w.msg) {
					t.Errorf("problem %d = %q, want key %q and message containing %q", i, got[i], w.key, w.msg)
				}
			}
			_, err := c.spec.Compile(c.arch)
			var ps Problems
			if len(c.want) > 0 && !errors.As(err, &ps) {
				t.Errorf("Compile error %v is not Problems", err)
			}
			if len(c.want) == 0 && err != nil {
				t.Errorf("Compile: %v", err)
			}
		})
	}
}

func TestPresetNamesExist(t *testing.T) {
	for _, name := range presetNames {
		p, _ := lookupPreset(name)
		var all []string
		all = append(all, p.names...)
		all = append(all, p.enosys...)
		for _, r := range p.rules {
			all = append(all, r.syscall)
			for _, c := range r.args {
				if ps := (Spec{Rules: []Rule{{Syscall: r.syscall, Action: ActionAllow, Args: []Cond{c}}}}).Check(AMD64); len(ps) > 0 {
					t.Errorf("preset %s rule on %s: %v", name, r.syscall, ps)
				}
			}
		}
		for _, n := range all {
			if !knownAnywhere(n) {
				t.Errorf("preset %s lists %q, which is no syscall on any architecture", name, n)
			}
		}
	}
}

func TestParseAction(t *testing.T) {
	cases := []struct {
		in, out, err string
	}{
		{"allow", "allow", ""}, {"errno", "errno", ""}, {"errno:EPERM", "errno", ""},
		{"errno:ENOSYS", "errno:ENOSYS", ""}, {"errno:EACCES", "errno:EACCES", ""}, {"errno:13", "errno:EACCES", ""},
		{"errno:eacces", "errno:EACCES", ""}, {"errno:EOPNOTSUPP", "errno:ENOTSUP", ""}, {"errno:4095", "errno:4095", ""},
		{"kill-process", "kill-process", ""}, {"kill-thread", "kill-thread", ""}, {"trap", "trap", ""}, {"log", "log", ""},
		{"", "", "empty action"}, {"errno:0", "", "errno 0 out of range"}, {"errno:4096", "", "out of range"},
		{"errno:EFOO", "", `unknown errno "EFOO"`}, {"kill", "", `unknown action "kill"`},
		{"alow", "", `did you mean "allow"?`}, {"deny", "", "unknown action"},
	}
	for _, c := range cases {
		a, err := ParseAction(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseAction(%q) error = %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || a.String() != c.out {
			t.Errorf("ParseAction(%q) = %s, %v; want %s", c.in, a, err, c.out)
			continue
		}
		text, err := a.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Action
		if err := back.UnmarshalText(text); err != nil || back != a {
			t.Errorf("round trip of %q: %s, %v", c.in, back, err)
		}
	}
	if _, err := Action(0).MarshalText(); err == nil {
		t.Error("marshalling the zero Action succeeded")
	}
}

func TestParseOp(t *testing.T) {
	for _, s := range []string{"==", "!=", "<", "<=", ">", ">=", "&=="} {
		op, err := ParseOp(s)
		if err != nil || op.String() != s {
			t.Errorf("ParseOp(%q) = %v, %v", s, op, err)
		}
		var back Op
		text, _ := op.MarshalText()
		if err := back.UnmarshalText(text); err != nil || back != op {
			t.Errorf("round trip %q: %v %v", s, back, err)
		}
	}
	for _, s := range []string{"", "=", "&", "=<", "eq"} {
		if _, err := ParseOp(s); err == nil || !strings.Contains(err.Error(), "use one of == != < <= > >= &==") {
			t.Errorf("ParseOp(%q) error = %v", s, err)
		}
	}
}

func TestDisassemble(t *testing.T) {
	p := mustCompile(t, Spec{Preset: "default"}, AMD64)
	d := p.Disassemble()
	for _, s := range []string{
		"   0: ld   [4]", "; arch", "jeq  #0xc000003e", "; x86_64", "; kill-process",
		"; errno:ENOSYS", "nr >= ", "ioctl rule 0: arg1 == 0x5412", "personality: no rule holds; errno",
	} {
		if !strings.Contains(d, s) {
			t.Errorf("disassembly lacks %q:\n%s", s, d)
		}
	}
	if n := strings.Count(d, "\n"); n != p.Len() {
		t.Errorf("%d lines for %d instructions", n, p.Len())
	}
}
