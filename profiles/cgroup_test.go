package profiles

import (
	"testing"
	"time"

	"github.com/fsviews/fsviews/cgroups"
)

// cgroupCases are bad [cgroup] tables and [limits] wall values; run by
// TestLoadProblems, and seeds of FuzzLoad.
var cgroupCases = []problemCase{
	{name: "cgroup pids zero",
		text:  lines(`[cgroup]`, `pids = 0`),
		wants: []want{{pos: P + "2", key: "[cgroup] pids", msg: "pids = 0 is out of range: give 1 to 4194304"}}},
	{name: "cgroup pids as a string",
		text:  lines(`[cgroup]`, `pids = "64"`),
		wants: []want{{pos: P + "2", key: "[cgroup] pids", msg: "bad value 64: give the most processes"}}},
	{name: "cgroup memory bad size",
		text:  lines(`[cgroup]`, `pids = 5`, `memory = "32 megs"`),
		wants: []want{{pos: P + "3", key: "[cgroup] memory", msg: `bad size "32 megs": use bytes with an optional unit k, M or G`}}},
	{name: "cgroup memory too small",
		text:  lines(`[cgroup]`, `memory = "4k"`),
		wants: []want{{pos: P + "2", key: "[cgroup] memory", msg: `memory = 4096 bytes is too little to start a process: give at least "1M"`}}},
	{name: "cgroup cpu zero",
		text:  lines(`[cgroup]`, `cpu = "0%"`),
		wants: []want{{pos: P + "2", key: "[cgroup] cpu", msg: "cpu share 0% must be positive"}}},
	{name: "cgroup cpu below the kernel's least",
		text:  lines(`[cgroup]`, `cpu = "0.5%"`),
		wants: []want{{pos: P + "2", key: "[cgroup] cpu", msg: `below 1% of one CPU`}}},
	{name: "cgroup cpu words",
		text:  lines(`[cgroup]`, `cpu = "half"`),
		wants: []want{{pos: P + "2", key: "[cgroup] cpu", msg: `bad cpu share "half": write a share of one CPU such as "50%"`}}},
	{name: "cgroup unknown controller",
		text:  lines(`[cgroup]`, `pids = 5`, `blkio = 100`),
		wants: []want{{pos: P + "3", key: "[cgroup] blkio", msg: `unknown key "blkio"; [cgroup] accepts: pids, memory, memory_high, swap, cpu, cpu_weight, io_weight, optional`}}},
	{name: "cgroup misspelt weight",
		text:  lines(`[cgroup]`, `pids = 5`, `io_wieght = 100`),
		wants: []want{{pos: P + "3", key: "[cgroup] io_wieght", msg: `unknown key "io_wieght"; did you mean "io_weight"?`}}},
	{name: "cgroup weight out of range",
		text: lines(`[cgroup]`, `cpu_weight = 0`, `io_weight = 20000`),
		wants: []want{{pos: P + "2", key: "[cgroup] cpu_weight", msg: "cpu_weight = 0 is out of range: give 1 to 10000"},
			{pos: P + "3", key: "[cgroup] io_weight", msg: "io_weight = 20000 is out of range: give 1 to 10000"}}},
	{name: "cgroup weight as a string",
		text:  lines(`[cgroup]`, `cpu_weight = "high"`),
		wants: []want{{pos: P + "2", key: "[cgroup] cpu_weight", msg: "bad value high: give a share from 1 to 10000"}}},
	{name: "cgroup swap without memory",
		text:  lines(`[cgroup]`, `pids = 5`, `swap = "1G"`),
		wants: []want{{pos: P + "3", key: "[cgroup] swap", msg: "swap is what the jail may use beyond memory: set memory too"}}},
	{name: "cgroup memory_high too small",
		text:  lines(`[cgroup]`, `memory_high = "4k"`),
		wants: []want{{pos: P + "2", key: "[cgroup] memory_high", msg: "memory_high = 4096 bytes would throttle the jail before it starts"}}},
	{name: "cgroup misspelt key",
		text: lines(`[cgroup]`, `memroy = "1G"`),
		wants: []want{{pos: P + "1", key: "cgroup", msg: "the table sets no limit", warning: true},
			{pos: P + "2", key: "[cgroup] memroy", msg: `did you mean "memory"?`}}},
	{name: "cgroup without limits",
		text:  lines(`command = ["/bin/true"]`, `[cgroup]`, `optional = true`),
		wants: []want{{pos: P + "2", key: "cgroup", msg: "the table sets no limit", warning: true}},
		loads: true},
	{name: "wall bad duration",
		text:  lines(`[limits]`, `wall = "30 secs"`),
		wants: []want{{pos: P + "2", key: "[limits] wall", msg: `bad duration "30 secs": write a duration such as "30s"`}}},
	{name: "wall negative",
		text:  lines(`[limits]`, `wall = -5`),
		wants: []want{{pos: P + "2", key: "[limits] wall", msg: "wall = -5 is out of range"}}},
	{name: "wall zero",
		text:  lines(`[limits]`, `wall = "0s"`),
		wants: []want{{pos: P + "2", key: "[limits] wall", msg: `wall = "0s" must be at least 1ms`}}},
}

func TestCgroupLoads(t *testing.T) {
	files := map[string]string{
		"base.toml": lines(`[cgroup]`, `pids = 64`, `memory = "1G"`, `[limits]`, `wall = 10`),
		"p.toml": lines(`include = ["base.toml"]`, `command = ["/bin/true"]`,
			`[cgroup]`, `memory = "32M"`, `cpu = "20%"`, `optional = true`,
			`[limits]`, `wall = "1m30s"`, `nofile = 64`),
	}
	p, probs := mapLoader(files, testHost()).Load("p")
	if p == nil || len(probs) != 0 {
		t.Fatalf("Load: %v", probs)
	}
	want := cgroups.Limits{Pids: 64, Memory: 32 << 20, CPU: 200}
	if c := p.Cgroup; c == nil || c.Limits != want || !c.Optional || c.Pos.String() != P+"3" {
		t.Errorf("cgroup = %+v, want %+v", c, want)
	}
	if p.Wall.Timeout != 90*time.Second || p.Wall.Pos.String() != P+"8" {
		t.Errorf("wall = %+v", p.Wall)
	}
	if !p.Namespaces.PID {
		t.Error("[cgroup] did not imply the supervisor (pid = true)")
	}
	if len(p.Limits) != 1 || p.Limits[0].Name != "nofile" {
		t.Errorf("limits = %+v", p.Limits)
	}
}

func TestWallImpliesPID(t *testing.T) {
	p, probs := mapLoader(map[string]string{"p.toml": lines(`command = ["/bin/sleep", "9"]`, `[limits]`, `wall = "2s"`)}, testHost()).Load("p")
	if p == nil || len(probs) != 0 {
		t.Fatalf("Load: %v", probs)
	}
	if !p.Namespaces.PID || p.Wall.Timeout != 2*time.Second || p.Cgroup != nil {
		t.Errorf("namespaces %+v wall %+v cgroup %+v", p.Namespaces, p.Wall, p.Cgroup)
	}
}

func TestLintNprocOnlyForRoot(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		warnAt     string // the nproc line, "" for no warning
	}{
		{"root with nproc only", lines(`[limits]`, `nproc = 100`), "4"},
		{"explicit root user", lines(`[security]`, `user = "root"`, `[limits]`, `nproc = 100`), "6"},
		{"root with cgroup pids", lines(`[limits]`, `nproc = 100`, `[cgroup]`, `pids = 100`), ""},
		{"another user", lines(`[security]`, `user = "www-data"`, `[limits]`, `nproc = 100`), ""},
		{"no nproc", lines(`[limits]`, `nofile = 100`), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, probs := mapLoader(map[string]string{"p.toml": lines(`[namespaces]`, `net = "none"`) + tc.text}, testHost()).Load("p")
			if p == nil || len(probs) != 0 {
				t.Fatalf("Load: %v", probs)
			}
			var wants []want
			if tc.warnAt != "" {
				wants = []want{{pos: P + tc.warnAt, key: "[limits] nproc", msg: "the kernel never applies RLIMIT_NPROC to root: nothing bounds its processes; add [cgroup] pids = 100", warning: true}}
			}
			checkProblems(t, Lint(p, 0), wants)
		})
	}
}
