package seccomp

import (
	"fmt"
	"math/bits"
	"math/rand"
	"slices"
	"testing"
)

// argSets are argument vectors that hit the presets' rules on both sides,
// including values that differ from a rule's only in the high word.
func argSets() [][6]uint64 {
	sets := [][6]uint64{
		{},
		{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)},
		{1, 0x5412},        // ioctl TIOCSTI
		{1, 0x1_0000_5412}, // TIOCSTI with the high word set: the kernel still sees TIOCSTI
		{1, 0x541c},        // TIOCLINUX
		{1, 0x5401},        // TCGETS
		{0x10000000},       // clone(CLONE_NEWUSER), personality(0x10000000)
		{0x3d0f00},         // clone flags of pthread_create
		{0x1_0000_0000},    // personality: high word only
		{0x20008},          // personality(PER_LINUX32|UNAME26)
		{0xffffffff},       // personality query
		{0x0400000},        // personality(READ_IMPLIES_EXEC)
		{0, 0, 0x1},        // openat O_WRONLY
		{0, 0, 0x80000},    // openat O_CLOEXEC
		{0, 0x40, 0x40},    // O_CREAT
		{0, 0, 0, 0x22},    // mmap MAP_PRIVATE|MAP_ANONYMOUS
		{0, 0, 0, 0x2},     // mmap MAP_PRIVATE
		{1, 1, 0, 0, 0, 0}, // socket(AF_UNIX, SOCK_STREAM)
		{2, 1, 0, 0, 0, 0}, // socket(AF_INET, ...)
		{1 << 32, 1, 0, 0, 0, 0},
	}
	rng := rand.New(rand.NewSource(1))
	for range 8 {
		var a [6]uint64
		for i := range a {
			a[i] = rng.Uint64() >> uint(rng.Intn(64))
		}
		sets = append(sets, a)
	}
	return sets
}

func expected(pol policy, nr uint32, args [6]uint64) Action {
	if d, ok := pol.byNr[nr]; ok {
		return d.action(args)
	}
	return pol.unknown
}

// specsUnderTest are the presets and combinations the exhaustive test runs.
func specsUnderTest() map[string]Spec {
	kill, log, enosys := ActionKillProcess, ActionLog, ActionENOSYS
	specs := map[string]Spec{}
	for _, p := range presetNames {
		specs[p] = Spec{Preset: p}
	}
	specs["default+log"] = Spec{Preset: "default", DefaultAction: &log}
	specs["default+allow ptrace+deny read"] = Spec{Preset: "default", Allow: []string{"ptrace"}, Deny: []string{"read"}}
	specs["daemon+kill"] = Spec{Preset: "daemon", DefaultAction: &kill, Deny: []string{"socket"}}
	specs["stdio+enosys"] = Spec{Preset: "stdio", DefaultAction: &enosys}
	specs["none+deny"] = Spec{Deny: []string{"mount", "ptrace"}}
	specs["none+allow"] = Spec{Allow: []string{"read", "write", "exit_group"}}
	specs["allow+rules"] = Spec{
		Allow: []string{"read", "write"},
		Rules: []Rule{
			{Syscall: "socket", Action: ActionAllow, Args: []Cond{{Index: 0, Op: OpEq, Value: 1}}},
			{Syscall: "socket", Action: mkAction(kindErrno, 13), Args: []Cond{{Index: 1, Op: OpEq, Value: 1}, {Index: 0, Op: OpEq, Value: 1}}},
			{Syscall: "mmap", Action: ActionAllow, Args: []Cond{{Index: 3, Op: OpMaskedEq, Mask: 0x20, Value: 0x20}, {Index: 0, Op: OpLt, Value: 1 << 40}}},
			{Syscall: "openat", Action: ActionTrap, Args: []Cond{{Index: 2, Op: OpGe, Value: 0x40}}},
		},
	}
	return specs
}

// TestEveryNumber runs each program over every syscall number (and beyond
// the table) with many argument vectors and compares the result with the
// resolved policy.
func TestEveryNumber(t *testing.T) {
	for name, s := range specsUnderTest() {
		for _, arch := range []Arch{AMD64, ARM64} {
			t.Run(fmt.Sprintf("%s/%s", name, arch), func(t *testing.T) {
				r := newRunner(t, mustCompile(t, s, arch))
				pol := s.resolve(arch.native())
				native := arch.native().auditArch
				limit := arch.native().maxNr() + 100
				extra := []uint32{0x3fffffff, 1 << 20, 0xfffffff}
				if arch == ARM64 {
					extra = append(extra, 0x40000000, 0x80000000, 0xfffffffe)
				}
				args := argSets()
				check := func(nr uint32) {
					for _, a := range args {
						got := r.run(seccompData{nr: nr, arch: native, args: a})
						if want := expected(pol, nr, a); got != want {
							t.Fatalf("nr %d args %#x: got %s, want %s", nr, a, got, want)
						}
					}
				}
				for nr := uint32(0); nr <= limit; nr++ {
					check(nr)
				}
				for _, nr := range extra {
					check(nr)
				}
			})
		}
	}
}

// TestCacheable checks that syscalls decided by number alone never load an
// argument (the kernel's seccomp action cache needs that) and that the cost
// per syscall is logarithmic in the number of runs of equal outcome.
func TestCacheable(t *testing.T) {
	for name, s := range specsUnderTest() {
		for _, arch := range []Arch{AMD64, ARM64} {
			p := mustCompile(t, s, arch)
			pol := s.resolve(arch.native())
			c := compiler{a: &assembler{}, pool: map[uint32]label{}}
			runs := len(c.spans(pol))
			bound := 5 + bits.Len(uint(runs)) // prologue + tree depth + ret
			for nr, d := range pol.byNr {
				tr := trace(p.insns, seccompData{nr: nr, arch: arch.native().auditArch})
				if len(d.rules) == 0 && tr.argLoads != 0 {
					t.Errorf("%s/%s: nr %d has no rules but loads %d arguments", name, arch, nr, tr.argLoads)
				}
				if len(d.rules) == 0 && tr.executed > bound {
					t.Errorf("%s/%s: nr %d runs %d instructions, more than %d for %d runs", name, arch, nr, tr.executed, bound, runs)
				}
			}
		}
	}
}

// TestPresetFacts states what each preset does in plain terms, independently
// of the resolver.
func TestPresetFacts(t *testing.T) {
	eperm, enosys, allow := ActionErrno, ActionENOSYS, ActionAllow
	type fact struct {
		syscall string
		args    [6]uint64
		want    Action
	}
	facts := map[string][]fact{
		"default": {
			{"read", [6]uint64{}, allow}, {"getpid", [6]uint64{}, allow},
			{"mount", [6]uint64{}, eperm}, {"umount2", [6]uint64{}, eperm}, {"pivot_root", [6]uint64{}, eperm},
			{"fsopen", [6]uint64{}, eperm}, {"fsconfig", [6]uint64{}, eperm}, {"fsmount", [6]uint64{}, eperm},
			{"fspick", [6]uint64{}, eperm}, {"move_mount", [6]uint64{}, eperm}, {"open_tree", [6]uint64{}, eperm},
			{"mount_setattr", [6]uint64{}, eperm}, {"unshare", [6]uint64{}, eperm}, {"setns", [6]uint64{}, eperm},
			{"ptrace", [6]uint64{}, eperm}, {"bpf", [6]uint64{}, eperm}, {"perf_event_open", [6]uint64{}, eperm},
			{"kexec_load", [6]uint64{}, eperm}, {"init_module", [6]uint64{}, eperm}, {"finit_module", [6]uint64{}, eperm},
			{"delete_module", [6]uint64{}, eperm}, {"process_vm_readv", [6]uint64{}, eperm}, {"keyctl", [6]uint64{}, eperm},
			{"add_key", [6]uint64{}, eperm}, {"request_key", [6]uint64{}, eperm}, {"open_by_handle_at", [6]uint64{}, eperm},
			{"name_to_handle_at", [6]uint64{}, eperm}, {"userfaultfd", [6]uint64{}, eperm}, {"swapon", [6]uint64{}, eperm},
			{"reboot", [6]uint64{}, eperm}, {"settimeofday", [6]uint64{}, eperm}, {"clock_settime", [6]uint64{}, eperm},
			{"acct", [6]uint64{}, eperm}, {"quotactl", [6]uint64{}, eperm}, {"lookup_dcookie", [6]uint64{}, eperm},
			{"kcmp", [6]uint64{}, eperm}, {"io_uring_setup", [6]uint64{}, eperm},
			{"clone3", [6]uint64{}, enosys},
			{"ioctl", [6]uint64{1, 0x5412}, eperm}, {"ioctl", [6]uint64{1, 0xffffffff_00005412}, eperm},
			{"ioctl", [6]uint64{1, 0x541c}, eperm}, {"ioctl", [6]uint64{1, 0x5401}, allow},
			{"personality", [6]uint64{0}, allow}, {"personality", [6]uint64{0xffffffff}, allow},
			{"personality", [6]uint64{0x0400000}, eperm}, {"personality", [6]uint64{0x1_00000000}, allow},
			{"clone", [6]uint64{0x3d0f00}, allow}, {"clone", [6]uint64{0x10000000 | 17}, eperm},
			{"clone", [6]uint64{0x20000}, eperm},
		},
		"daemon": {
			{"read", [6]uint64{}, allow}, {"socket", [6]uint64{}, allow}, {"epoll_wait", [6]uint64{}, allow},
			{"setuid", [6]uint64{}, allow}, {"chown", [6]uint64{}, allow}, {"sendfile", [6]uint64{}, allow},
			{"wait4", [6]uint64{}, allow}, {"fork", [6]uint64{}, allow}, {"getrandom", [6]uint64{}, allow},
			{"mount", [6]uint64{}, eperm}, {"ptrace", [6]uint64{}, eperm}, {"unshare", [6]uint64{}, eperm},
			{"clone3", [6]uint64{}, enosys}, {"clone", [6]uint64{0x3d0f00}, allow}, {"clone", [6]uint64{0x40000000}, eperm},
			{"ioctl", [6]uint64{1, 0x5412}, eperm}, {"ioctl", [6]uint64{1, 0x5421}, allow},
		},
		"stdio": {
			{"read", [6]uint64{}, allow}, {"write", [6]uint64{}, allow}, {"exit_group", [6]uint64{}, allow},
			{"openat", [6]uint64{0, 0, 0x80000}, allow}, {"openat", [6]uint64{0, 0, 0x1}, eperm},
			{"openat", [6]uint64{0, 0, 0x2}, eperm}, {"openat", [6]uint64{0, 0, 0x40}, eperm},
			{"openat", [6]uint64{0, 0, 0x200}, eperm}, {"openat", [6]uint64{0, 0, 0x1_00000000}, allow},
			{"socket", [6]uint64{1}, eperm}, {"clone", [6]uint64{}, eperm}, {"kill", [6]uint64{}, eperm},
			{"ioctl", [6]uint64{1, 0x5401}, allow}, {"ioctl", [6]uint64{1, 0x5412}, eperm},
			{"openat2", [6]uint64{}, enosys},
		},
		"strict": {
			{"read", [6]uint64{}, allow}, {"write", [6]uint64{}, allow}, {"exit", [6]uint64{}, allow},
			{"rt_sigreturn", [6]uint64{}, allow}, {"execve", [6]uint64{}, allow},
			{"mmap", [6]uint64{0, 4096, 3, 0x22}, allow}, {"mmap", [6]uint64{0, 4096, 3, 0x2, 3}, eperm},
			{"openat", [6]uint64{}, eperm}, {"socket", [6]uint64{}, eperm}, {"getpid", [6]uint64{}, eperm},
		},
		"none": {
			{"mount", [6]uint64{}, allow}, {"ptrace", [6]uint64{}, allow}, {"clone3", [6]uint64{}, allow},
		},
	}
	for preset, fs := range facts {
		for _, arch := range []Arch{AMD64, ARM64} {
			r := newRunner(t, mustCompile(t, Spec{Preset: preset}, arch))
			for _, f := range fs {
				n, ok := arch.native().nums()[f.syscall]
				if !ok {
					continue
				}
				got := r.run(seccompData{nr: n, arch: arch.native().auditArch, args: f.args})
				if got != f.want {
					t.Errorf("%s/%s: %s%#x = %s, want %s", preset, arch, f.syscall, f.args, got, f.want)
				}
			}
			// Numbers newer than the table: ENOSYS in denylists, the default
			// action in allowlists.
			max := arch.native().maxNr()
			want := eperm
			if preset == "default" || preset == "none" {
				want = enosys
			}
			for _, n := range []uint32{max + 1, max + 1000, 0x3fffffff} {
				if got := r.run(seccompData{nr: n, arch: arch.native().auditArch}); got != want {
					t.Errorf("%s/%s: nr %d = %s, want %s", preset, arch, n, got, want)
				}
			}
		}
	}
}

func TestForeignABIs(t *testing.T) {
	const x32 = x32SyscallBit
	mountNr, readNr := nr(t, AMD64, "mount"), nr(t, AMD64, "read")
	i386Mount, i386Getpid := sysnumI386()["mount"], sysnumI386()["getpid"]
	kill, eperm, allow, enosys := ActionKillProcess, ActionErrno, ActionAllow, ActionENOSYS
	cases := []struct {
		name string
		spec Spec
		arch Arch
		data seccompData
		want Action
	}{
		{"i386 refused", Spec{Preset: "default"}, AMD64, seccompData{nr: i386Getpid, arch: auditArchI386}, kill},
		{"aarch64 data on x86_64", Spec{Preset: "none"}, AMD64, seccompData{nr: 0, arch: auditArchAArch64}, kill},
		{"x86_64 data on aarch64", Spec{Preset: "none"}, ARM64, seccompData{nr: 0, arch: auditArchX8664}, kill},
		{"arm compat on aarch64", Spec{Preset: "none"}, ARM64, seccompData{nr: 0, arch: 0x40000028}, kill},
		{"i386 allowed: mount denied", Spec{Preset: "default", AllowI386: true}, AMD64, seccompData{nr: i386Mount, arch: auditArchI386}, eperm},
		{"i386 allowed: getpid", Spec{Preset: "default", AllowI386: true}, AMD64, seccompData{nr: i386Getpid, arch: auditArchI386}, allow},
		{"i386 allowed: newer than table", Spec{Preset: "default", AllowI386: true}, AMD64, seccompData{nr: 5000, arch: auditArchI386}, enosys},
		{"i386 allowed: native still works", Spec{Preset: "default", AllowI386: true}, AMD64, seccompData{nr: mountNr, arch: auditArchX8664}, eperm},
		{"i386 allowed: other arch still killed", Spec{Preset: "default", AllowI386: true}, AMD64, seccompData{nr: 0, arch: auditArchAArch64}, kill},
		{"x32 read refused", Spec{Preset: "default"}, AMD64, seccompData{nr: x32 | readNr, arch: auditArchX8664}, kill},
		{"x32 mount refused", Spec{Preset: "default"}, AMD64, seccompData{nr: x32 | mountNr, arch: auditArchX8664}, kill},
		{"above x32 bit refused", Spec{Preset: "none"}, AMD64, seccompData{nr: 0x80000000, arch: auditArchX8664}, kill},
		{"x32 allowed: read", Spec{Preset: "default", AllowX32: true}, AMD64, seccompData{nr: x32 | readNr, arch: auditArchX8664}, allow},
		{"x32 allowed: mount denied", Spec{Preset: "default", AllowX32: true}, AMD64, seccompData{nr: x32 | mountNr, arch: auditArchX8664}, eperm},
		{"x32 allowed: x32-only numbers are unknown", Spec{Preset: "default", AllowX32: true}, AMD64, seccompData{nr: x32 | 514, arch: auditArchX8664}, enosys},
		{"x32 allowed in allowlist", Spec{Preset: "strict", AllowX32: true}, AMD64, seccompData{nr: x32 | mountNr, arch: auditArchX8664}, eperm},
		{"-1 is an unknown number (denylist)", Spec{Preset: "default"}, AMD64, seccompData{nr: 0xffffffff, arch: auditArchX8664}, enosys},
		{"-1 is an unknown number (allowlist)", Spec{Preset: "daemon"}, AMD64, seccompData{nr: 0xffffffff, arch: auditArchX8664}, eperm},
		{"-1 with x32 allowed", Spec{Preset: "default", AllowX32: true}, AMD64, seccompData{nr: 0xffffffff, arch: auditArchX8664}, enosys},
		{"allow_x32 ignored on arm64", Spec{Preset: "default", AllowX32: true, AllowI386: true}, ARM64, seccompData{nr: 0, arch: auditArchI386}, kill},
	}
	for _, c := range cases {
		r := newRunner(t, mustCompile(t, c.spec, c.arch))
		if got := r.run(c.data); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}

// TestListSemantics pins down how preset, allow, deny and default_action combine.
func TestListSemantics(t *testing.T) {
	kill, log := ActionKillProcess, ActionLog
	eacces := errnoAction(t, "errno:EACCES")
	eperm, enosys, allow := ActionErrno, ActionENOSYS, ActionAllow
	cases := []struct {
		name    string
		spec    Spec
		syscall string
		args    [6]uint64
		want    Action
	}{
		{"deny alone refuses the named", Spec{Deny: []string{"mount"}}, "mount", [6]uint64{}, eperm},
		{"deny alone allows the rest", Spec{Deny: []string{"mount"}}, "ptrace", [6]uint64{}, allow},
		{"deny with none", Spec{Preset: "none", Deny: []string{"mount"}}, "clone3", [6]uint64{}, allow},
		{"deny uses default_action", Spec{Deny: []string{"mount"}, DefaultAction: &eacces}, "mount", [6]uint64{}, eacces},
		{"allow alone makes an allowlist", Spec{Allow: []string{"read"}}, "read", [6]uint64{}, allow},
		{"allowlist refuses the rest", Spec{Allow: []string{"read"}}, "write", [6]uint64{}, eperm},
		{"allowlist default_action", Spec{Allow: []string{"read"}, DefaultAction: &kill}, "write", [6]uint64{}, kill},
		{"allow adds to an allowlist preset", Spec{Preset: "stdio", Allow: []string{"socket"}}, "socket", [6]uint64{}, allow},
		{"deny removes from an allowlist preset", Spec{Preset: "daemon", Deny: []string{"socket"}}, "socket", [6]uint64{}, eperm},
		{"deny removes preset rules", Spec{Preset: "stdio", Deny: []string{"openat"}}, "openat", [6]uint64{}, eperm},
		{"allow un-denies in the denylist preset", Spec{Preset: "default", Allow: []string{"ptrace"}}, "ptrace", [6]uint64{}, allow},
		{"allow replaces preset rules", Spec{Preset: "default", Allow: []string{"personality"}}, "personality", [6]uint64{0x400000}, allow},
		{"allow of clone3 in default", Spec{Preset: "default", Allow: []string{"clone3"}}, "clone3", [6]uint64{}, allow},
		{"deny adds to the denylist preset", Spec{Preset: "default", Deny: []string{"read"}}, "read", [6]uint64{}, eperm},
		{"default_action applies to preset refusals", Spec{Preset: "default", DefaultAction: &log}, "mount", [6]uint64{}, log},
		{"default_action applies to preset rules", Spec{Preset: "default", DefaultAction: &log}, "ioctl", [6]uint64{0, 0x5412}, log},
		{"clone3 stays ENOSYS under log", Spec{Preset: "default", DefaultAction: &log}, "clone3", [6]uint64{}, enosys},
		{"user rule on top of preset", Spec{Preset: "daemon", Rules: []Rule{{Syscall: "socket", Action: eacces, Args: []Cond{{Index: 0, Op: OpNe, Value: 1}}}}}, "socket", [6]uint64{2}, eacces},
		{"user rule on top of preset, other branch", Spec{Preset: "daemon", Rules: []Rule{{Syscall: "socket", Action: eacces, Args: []Cond{{Index: 0, Op: OpNe, Value: 1}}}}}, "socket", [6]uint64{1}, allow},
		{"most severe matching rule wins", Spec{Rules: []Rule{
			{Syscall: "socket", Action: allow, Args: []Cond{{Index: 0, Op: OpEq, Value: 1}}},
			{Syscall: "socket", Action: kill, Args: []Cond{{Index: 1, Op: OpEq, Value: 3}}},
		}}, "socket", [6]uint64{1, 3}, kill},
		{"rule without conditions", Spec{Rules: []Rule{{Syscall: "ptrace", Action: kill}}}, "ptrace", [6]uint64{}, kill},
		{"allow rule in allowlist", Spec{Allow: []string{"read"}, Rules: []Rule{{Syscall: "socket", Action: allow, Args: []Cond{{Index: 0, Op: OpEq, Value: 1}}}}}, "socket", [6]uint64{1}, allow},
		{"allow rule in allowlist, refused", Spec{Allow: []string{"read"}, Rules: []Rule{{Syscall: "socket", Action: allow, Args: []Cond{{Index: 0, Op: OpEq, Value: 1}}}}}, "socket", [6]uint64{2}, eperm},
		{"rules alone keep a denylist", Spec{Rules: []Rule{{Syscall: "socket", Action: eperm, Args: []Cond{{Index: 0, Op: OpEq, Value: 2}}}}}, "read", [6]uint64{}, allow},
	}
	for _, c := range cases {
		for _, arch := range []Arch{AMD64, ARM64} {
			r := newRunner(t, mustCompile(t, c.spec, arch))
			got := r.run(seccompData{nr: nr(t, arch, c.syscall), arch: arch.native().auditArch, args: c.args})
			if got != c.want {
				t.Errorf("%s (%s): got %s, want %s", c.name, arch, got, c.want)
			}
		}
	}
}

// bigSpec returns a spec with n rules over many syscalls, each with two
// conditions, so that the program is far longer than 255 instructions.
func bigSpec(arch Arch, n int, oneSyscall bool) Spec {
	var names []string
	for name := range arch.native().nums() {
		names = append(names, name)
	}
	sortStrings(names)
	s := Spec{Preset: "default"}
	actions := []Action{ActionAllow, ActionErrno, ActionENOSYS, ActionKillThread, ActionTrap, ActionLog, ActionKillProcess}
	for i := range n {
		name := names[i%len(names)]
		if oneSyscall {
			name = "write"
		}
		conds := []Cond{
			{Index: i % 6, Op: Op(1 + i%6), Value: uint64(i) << (i % 40)},
			{Index: (i + 1) % 6, Op: OpMaskedEq, Mask: 0xff << (i % 48), Value: uint64(i%200) << (i % 48)},
		}
		for j, c := range conds {
			if isInt32Arg(name, c.Index) {
				conds[j].Value = uint64(i)
				if c.Op == OpMaskedEq {
					conds[j].Value, conds[j].Mask = uint64(i&0xff), 0xff
				}
			}
		}
		s.Rules = append(s.Rules, Rule{Syscall: name, Action: actions[i%len(actions)], Args: conds})
	}
	return s
}

func TestLongPrograms(t *testing.T) {
	for _, oneSyscall := range []bool{false, true} {
		for _, arch := range []Arch{AMD64, ARM64} {
			s := bigSpec(arch, 300, oneSyscall)
			if ps := s.Check(arch); len(ps) > 0 {
				t.Fatalf("bigSpec is invalid: %v", ps)
			}
			p := mustCompile(t, s, arch)
			if p.Len() < 1000 {
				t.Fatalf("300-rule program has only %d instructions", p.Len())
			}
			t.Logf("300 rules (one syscall: %v) on %s: %d instructions", oneSyscall, arch, p.Len())
			r := newRunner(t, p)
			pol := s.resolve(arch.native())
			sets := argSets()
			// Arguments that satisfy some of the rules, not just random ones.
			for _, rule := range s.Rules[:60] {
				var a [6]uint64
				for _, c := range rule.Args {
					a[c.Index] = c.Value
				}
				sets = append(sets, a)
			}
			for nr := uint32(0); nr <= arch.native().maxNr()+10; nr++ {
				for _, a := range sets {
					got := r.run(seccompData{nr: nr, arch: arch.native().auditArch, args: a})
					if want := expected(pol, nr, a); got != want {
						t.Fatalf("nr %d args %#x: got %s, want %s", nr, a, got, want)
					}
				}
			}
		}
	}
}

func TestTooLong(t *testing.T) {
	s := bigSpec(AMD64, 1000, true)
	_, err := s.Compile(AMD64)
	if err == nil {
		t.Fatal("a 1000-rule filter on one syscall compiled; want an error about the kernel's limit")
	}
	t.Log(err)
}

func TestAssemblerTrampolines(t *testing.T) {
	// One jump whose both targets are far, one of them not a ret.
	a := &assembler{}
	far, farRet := a.newLabel(), a.newLabel()
	a.load(offNr, "")
	a.jump(opJeqK, 7, far, farRet, "")
	for range 300 {
		a.and(0xffffffff)
	}
	a.bind(far)
	a.and(0xffffffff)
	a.ret(ActionAllow, "")
	a.bind(farRet)
	a.ret(ActionErrno, "")
	insns, _, err := a.assemble()
	if err != nil {
		t.Fatal(err)
	}
	p := Program{arch: AMD64, insns: insns}
	r := newRunner(t, p)
	if got := r.run(seccompData{nr: 7}); got != ActionAllow {
		t.Errorf("nr 7: %s", got)
	}
	if got := r.run(seccompData{nr: 8}); got != ActionErrno {
		t.Errorf("nr 8: %s", got)
	}
	if insns[2].Op != opJa || insns[3].Op != opRetK {
		t.Errorf("want a ja then a copied ret after the far jump:\n%s", p.Disassemble())
	}
}

// A program crosses to another process as MarshalBinary's bytes and is
// the same program there, instruction for instruction.
func TestProgramBinary(t *testing.T) {
	for _, arch := range []Arch{AMD64, ARM64} {
		p, err := Spec{Preset: "default"}.Compile(arch)
		if err != nil {
			t.Fatal(err)
		}
		b, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var q Program
		if err := q.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if q.Arch() != arch || !slices.Equal(q.Instructions(), p.Instructions()) {
			t.Errorf("%s: decoded %d instructions for %s, want %d for %s", arch, q.Len(), q.Arch(), p.Len(), arch)
		}
	}
	for _, bad := range [][]byte{nil, {1}, {1, 0, 0, 0}, {9, 0, 0, 0, 0, 0, 0, 0, 0}} {
		var q Program
		if err := q.UnmarshalBinary(bad); err == nil {
			t.Errorf("UnmarshalBinary(%v) = nil error", bad)
		}
	}
}
