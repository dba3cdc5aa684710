package profiles

import (
	"testing"

	"github.com/fsviews/fsviews/seccomp"
)

// confineCases are bad [seccomp], [limits] and [landlock] tables: each
// mistake is reported by Load (so by check) with its file:line and key.
// TestLoadProblems runs them with problemCases, and FuzzLoad starts from them.
var confineCases = []problemCase{
	{name: "unknown syscall suggests the closest",
		text:  lines(`[seccomp]`, `preset = "default"`, `deny = ["mount", "unshar"]`),
		wants: []want{{pos: P + "3", key: "[seccomp] deny", msg: `unknown syscall "unshar": did you mean "unshare"?`}}},
	{name: "unknown syscall in a rule",
		text:  lines(`[seccomp]`, `[[seccomp.rule]]`, `syscall = "sockett"`, `action = "errno"`),
		wants: []want{{pos: P + "3", key: "[[seccomp.rule]] #1 syscall", msg: `unknown syscall "sockett": did you mean "socket"?`}}},
	{name: "unknown preset",
		text:  lines(`[seccomp]`, `preset = "deamon"`),
		wants: []want{{pos: P + "2", key: "[seccomp] preset", msg: `unknown preset "deamon": use one of strict, stdio, daemon, default, none (did you mean "daemon"?)`}}},
	{name: "unknown default action",
		text:  lines(`[seccomp]`, `preset = "daemon"`, `default_action = "kill"`),
		wants: []want{{pos: P + "3", key: "[seccomp] default_action", msg: `unknown action "kill": use allow, errno, errno:ENAME, kill-process, kill-thread, trap or log`}}},
	{name: "unknown errno",
		text:  lines(`[seccomp]`, `default_action = "errno:ENOSUCH"`, `deny = ["mount"]`),
		wants: []want{{pos: P + "2", key: "[seccomp] default_action", msg: `unknown errno "ENOSUCH"`}}},
	{name: "unknown rule action",
		text:  lines(`[seccomp]`, `[[seccomp.rule]]`, `syscall = "socket"`, `action = "deny"`),
		wants: []want{{pos: P + "4", key: "[[seccomp.rule]] #1 action", msg: `unknown action "deny"`}}},
	{name: "rule without an action",
		text:  lines(`[seccomp]`, `[[seccomp.rule]]`, `syscall = "socket"`),
		wants: []want{{pos: P + "2", key: "[[seccomp.rule]] #1", msg: "missing action"}}},
	{name: "argument index above 5, inline args",
		text:  lines(`[seccomp]`, `[[seccomp.rule]]`, `syscall = "socket"`, `action = "errno"`, `args = [{ index = 6, op = "==", value = 2 }]`),
		wants: []want{{pos: P + "5", key: "[[seccomp.rule]] #1 args[0] index", msg: "argument index 6 out of range: syscalls have arguments 0..5"}}},
	{name: "argument index above 5, args tables, second rule",
		text: lines(`[seccomp]`,
			`[[seccomp.rule]]`, `syscall = "kill"`, `action = "errno"`,
			`[[seccomp.rule.args]]`, `index = 1`, `op = "=="`, `value = 9`,
			`[[seccomp.rule]]`, `syscall = "socket"`, `action = "errno"`,
			`[[seccomp.rule.args]]`, `index = 0`, `op = "=="`, `value = 2`,
			`[[seccomp.rule.args]]`, `index = 9`, `op = "=="`, `value = 1`),
		wants: []want{{pos: P + "17", key: "[[seccomp.rule]] #2 args[1] index", msg: "argument index 9 out of range"}}},
	{name: "value overflows a 32-bit argument",
		text: lines(`[seccomp]`, `[[seccomp.rule]]`, `syscall = "socket"`, `action = "errno"`,
			`[[seccomp.rule.args]]`, `index = 0`, `op = "=="`, `value = 0x100000001`),
		wants: []want{{pos: P + "8", key: "[[seccomp.rule]] #1 args[0] value", msg: "value 0x100000001 overflows argument 0 of socket, a 32-bit int the kernel truncates: use a value <= 0xffffffff"}}},
	{name: "value overflows 64 bits",
		text:  lines(`[seccomp]`, `[[seccomp.rule]]`, `syscall = "mmap"`, `action = "errno"`, `args = [{ index = 2, op = "==", value = "0x10000000000000000" }]`),
		wants: []want{{pos: P + "5", key: "[[seccomp.rule]] #1 args[0] value", msg: `value "0x10000000000000000" overflows 64 bits`}}},
	{name: "bad values in args tables name their own lines",
		text: lines(`[seccomp]`, `[[seccomp.rule]]`, `syscall = "mmap"`, `action = "errno"`,
			`[[seccomp.rule.args]]`, `index = 2`, `op = "=="`, `value = "four"`,
			`[[seccomp.rule.args]]`, `op = "=="`, `value = 1`,
			`[[seccomp.rule.args]]`, `index = 3`, `op = "&=="`, `value = 1`, `mask = "0xg"`),
		wants: []want{
			{pos: P + "8", key: "[[seccomp.rule]] #1 args[0] value", msg: `bad number "four": write an integer, or a string such as "0x1f"`},
			{pos: P + "9", key: "[[seccomp.rule]] #1 args[1] index", msg: "missing: say which argument to compare"},
			{pos: P + "16", key: "[[seccomp.rule]] #1 args[2] mask", msg: `bad number "0xg"`},
		}},
	{name: "negative value",
		text:  lines(`[seccomp]`, `[[seccomp.rule]]`, `syscall = "mmap"`, `action = "errno"`, `args = [{ index = 4, op = "==", value = -1 }]`),
		wants: []want{{pos: P + "5", key: "[[seccomp.rule]] #1 args[0] value", msg: `negative value -1: arguments compare as unsigned numbers; write the two's complement as a string`}}},
	{name: "unknown op",
		text:  lines(`[seccomp]`, `[[seccomp.rule]]`, `syscall = "mmap"`, `action = "errno"`, `args = [{ index = 2, op = "=", value = 4 }]`),
		wants: []want{{pos: P + "5", key: "[[seccomp.rule]] #1 args[0] op", msg: `unknown op "="`}}},
	{name: "missing index",
		text:  lines(`[seccomp]`, `[[seccomp.rule]]`, `syscall = "mmap"`, `action = "errno"`, `args = [{ op = "==", value = 4 }]`),
		wants: []want{{pos: P + "5", key: "[[seccomp.rule]] #1 args[0] index", msg: "missing: say which argument to compare"}}},
	{name: "rules that contradict each other",
		text: lines(`[seccomp]`,
			`[[seccomp.rule]]`, `syscall = "socket"`, `action = "errno"`, `args = [{ index = 0, op = "==", value = 2 }]`,
			`[[seccomp.rule]]`, `syscall = "socket"`, `action = "allow"`, `args = [{ index = 0, op = "==", value = 2 }]`),
		wants: []want{{pos: P + "6", key: "[[seccomp.rule]] #2", msg: "same syscall and conditions as [[seccomp.rule]] #1 (" + P + "2) but action allow instead of errno: the rules contradict each other"}}},
	{name: "a syscall allowed in an include and denied here",
		text:  lines(`include = ["base.toml"]`, `[seccomp]`, `deny = ["ptrace"]`),
		more:  map[string]string{"base.toml": lines(`[seccomp]`, `preset = "daemon"`, `allow = ["ptrace"]`)},
		wants: []want{{pos: P + "3", key: "[seccomp] deny", msg: `"ptrace" is also in [seccomp] allow (library:base.toml:3): a syscall cannot be both allowed and denied`}}},
	{name: "unknown seccomp key",
		text:  lines(`[seccomp]`, `presets = "default"`, `deny = ["mount"]`),
		wants: []want{{pos: P + "2", key: "[seccomp] presets", msg: `did you mean "preset"?`}}},
	{name: "seccomp without no_new_privs",
		text:  lines(`[security]`, `no_new_privs = false`, `[seccomp]`, `preset = "default"`),
		wants: []want{{pos: P + "3", key: "seccomp", msg: "a seccomp filter needs no_new_privs"}}},

	{name: "an empty filter warns",
		text:  lines(`command = ["/bin/true"]`, `[seccomp]`, `optional = true`),
		wants: []want{{pos: P + "2", key: "seccomp", msg: "the filter names nothing to refuse", warning: true}},
		loads: true},

	{name: "unknown limit suggests the closest",
		text:  lines(`[limits]`, `nofiles = 1024`),
		wants: []want{{pos: P + "2", key: "[limits] nofiles", msg: `unknown key "nofiles"; did you mean "nofile"?`}}},
	{name: "bad limit values",
		text: lines(`[limits]`, `nofile = "many"`, `core = -1`, `as = "1X"`, `cpu = "10M"`, `rtprio = 100`,
			`nproc = { soft = 20, hard = 10 }`, `stack = { soft = "8M", max = "16M" }`, `data = {}`),
		wants: []want{
			{pos: P + "2", key: "[limits] nofile", msg: `bad value "many": use a number or "infinity"`},
			{pos: P + "3", key: "[limits] core", msg: `negative value -1`},
			{pos: P + "4", key: "[limits] as", msg: `bad value "1X": use bytes, a size such as "64M" or "1G", or "infinity"`},
			{pos: P + "5", key: "[limits] cpu", msg: `bad value "10M": use a number or "infinity"`},
			{pos: P + "6", key: "[limits] rtprio", msg: "value 100 out of range: rtprio limits go up to 99"},
			{pos: P + "7", key: "[limits] nproc", msg: "soft limit 20 is above the hard limit 10"},
			{pos: P + "8", key: "[limits] stack", msg: `unknown key "max": a limit is a value, or a table with soft and hard`},
			{pos: P + "9", key: "[limits] data", msg: "empty table: give soft, hard or both"},
		}},

	{name: "bad landlock rules",
		text: lines(`[landlock]`, `[[landlock.rule]]`, `path = "srv"`, `access = "ro"`, `[[landlock.rule]]`, `path = "/srv"`, `access = "write"`),
		wants: []want{
			{pos: P + "3", key: "[[landlock.rule]] #1 path", msg: `relative path "srv": view paths are absolute`},
			{pos: P + "7", key: "[[landlock.rule]] #2 access", msg: `bad access "write": use "ro"`},
		}},
	{name: "landlock without no_new_privs",
		text:  lines(`[security]`, `no_new_privs = false`, `[landlock]`),
		wants: []want{{pos: P + "3", key: "landlock", msg: "landlock needs no_new_privs"}}},
}

func TestConfineLoads(t *testing.T) {
	files := map[string]string{
		"base.toml": lines(`[seccomp]`, `preset = "daemon"`, `allow = ["ptrace"]`, `[limits]`, `nofile = 64`, `core = 0`),
		"p.toml": lines(`include = ["base.toml"]`,
			`[seccomp]`, `deny = ["mkdir"]`, `default_action = "errno:ENOSYS"`, `allow_i386 = true`, `optional = true`,
			`[[seccomp.rule]]`, `syscall = "socket"`, `action = "errno"`, `args = [{ index = 0, op = "!=", value = 1 }]`,
			`[[seccomp.rule]]`, `syscall = "mmap"`, `action = "kill-process"`,
			`[[seccomp.rule.args]]`, `index = 2`, `op = "&=="`, `value = 4`, `mask = "0x4"`,
			`[limits]`, `nofile = { soft = 128, hard = "infinity" }`, `as = "1G"`,
			`[landlock]`, `auto = false`, `[[landlock.rule]]`, `path = "/srv/"`, `access = "rw"`,
			`[namespaces]`, `net = "host"`),
	}
	p, probs := mapLoader(files, testHost()).Load("p")
	if p == nil || len(probs) != 0 {
		t.Fatalf("Load: %v", probs)
	}
	s := p.Seccomp
	enosys := seccomp.ActionENOSYS
	if s.Spec.Preset != "daemon" || len(s.Spec.Allow) != 1 || s.Spec.Deny[0] != "mkdir" || *s.Spec.DefaultAction != enosys ||
		!s.Spec.AllowI386 || s.Spec.AllowX32 || !s.Optional || s.Pos.String() != P+"2" {
		t.Errorf("seccomp = %+v", s)
	}
	if len(s.Spec.Rules) != 2 || s.Spec.Rules[0].Args[0] != (seccomp.Cond{Index: 0, Op: seccomp.OpNe, Value: 1}) ||
		s.Spec.Rules[1].Args[0] != (seccomp.Cond{Index: 2, Op: seccomp.OpMaskedEq, Value: 4, Mask: 4}) || s.Spec.Rules[1].Action != seccomp.ActionKillProcess {
		t.Errorf("rules = %+v", s.Spec.Rules)
	}
	got := []string{}
	for _, l := range p.Limits {
		got = append(got, l.Limit.String()+"@"+l.Pos.String())
	}
	want := []string{"core=0@library:base.toml:6", "nofile=128/infinity@" + P + "20", "as=1G@" + P + "21"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("limits = %q, want %q", got, want)
	}
	if l := p.Landlock; l.Auto || len(l.Rules) != 1 || l.Rules[0].Path != "/srv" || l.Rules[0].Access != LandlockRW {
		t.Errorf("landlock = %+v", l)
	}
	if probs := Lint(p, 1000); len(probs) != 0 {
		t.Errorf("Lint with net = \"host\" said: %v", probs)
	}
}

func TestLintHostNetwork(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		warns      bool
	}{
		{"left to the default", lines(`command = ["/bin/true"]`), true},
		{"said explicitly", lines(`[namespaces]`, `net = "host"`), false},
		{"cut off", lines(`[namespaces]`, `net = "none"`), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, probs := mapLoader(map[string]string{"p.toml": tc.text}, testHost()).Load("p")
			if p == nil || len(probs) != 0 {
				t.Fatalf("Load: %v", probs)
			}
			var wants []want
			if tc.warns {
				wants = []want{{pos: "library:p.toml", key: "[namespaces] net", msg: `shares the host's network because no file says otherwise: write net = "host"`, warning: true}}
			}
			checkProblems(t, Lint(p, 1000), wants)
		})
	}
}

func TestLintRootDaemon(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		caller     int
		wants      []want
	}{
		{"root in the host PID namespace", lines(`[namespaces]`, `net = "none"`, `pid = false`), 0,
			[]want{{pos: P + "3", key: "[namespaces] pid", msg: "runs as uid 0 in the host's PID namespace: it can signal every host process of uid 0", warning: true}}},
		{"non-root caller, no user", lines(`[namespaces]`, `net = "none"`, `pid = false`), 1000, nil},
		{"root with its own PID namespace", lines(`[namespaces]`, `net = "none"`), 0, nil},
		{"nproc for root", lines(`[namespaces]`, `net = "none"`, `[limits]`, `nproc = 64`), 0,
			[]want{{pos: P + "4", key: "[limits] nproc", msg: "the daemon runs as root, and the kernel never applies RLIMIT_NPROC to root: nothing bounds its processes; add [cgroup] pids = 64", warning: true}}},
		{"nproc with CAP_SYS_RESOURCE", lines(`[namespaces]`, `net = "none"`, `[security]`, `user = "33"`, `capabilities = ["SYS_RESOURCE"]`, `[limits]`, `nproc = 64`), 0,
			[]want{{pos: P + "7", key: "[limits] nproc", msg: "does not apply RLIMIT_NPROC to a process with CAP_SYS_RESOURCE", warning: true}}},
		{"nproc for a user", lines(`[namespaces]`, `net = "none"`, `[security]`, `user = "33"`, `[limits]`, `nproc = 64`), 0, nil},
		{"no_new_privs off leaves no filter", lines(`[namespaces]`, `net = "none"`, `[security]`, `user = "33"`, `no_new_privs = false`), 0,
			[]want{{pos: "library:p.toml", key: "[security] no_new_privs", msg: "no syscall filter", warning: true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, probs := mapLoader(map[string]string{"p.toml": tc.text}, testHost()).Load("p")
			if p == nil || len(probs) != 0 {
				t.Fatalf("Load: %v", probs)
			}
			checkProblems(t, Lint(p, tc.caller), tc.wants)
		})
	}
}
