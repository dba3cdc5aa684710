package views

import (
	"errors"
	"strings"
	"testing"

	"github.com/fsviews/fsviews/profiles"
	"github.com/fsviews/fsviews/rlimits"
	"github.com/fsviews/fsviews/seccomp"
)

func TestLandlockAutoFollowsTheView(t *testing.T) {
	p := &profiles.Profile{
		Name: "x", Workdir: "/",
		Binds: []profiles.Bind{
			{Source: "/usr", Target: "/usr", Mode: profiles.ReadOnly},
			{Source: "/srv/data", Target: "/srv/data", Mode: profiles.ReadWrite, Optional: true},
		},
		Tmpfs:    []profiles.Tmpfs{{Target: "/tmp"}},
		States:   []profiles.State{{Target: "/var/lib/x"}},
		Proc:     &profiles.Proc{},
		Dev:      &profiles.Mounted{},
		Landlock: &profiles.Landlock{Auto: true, Rules: []profiles.LandlockRule{{Path: "/proc", Access: profiles.LandlockRW}}},
	}
	plan := Compile(p, Options{})
	var got []string
	for _, r := range plan.Landlock.Rules {
		s := r.Path + " " + string(r.Access)
		if r.Optional {
			s += " optional"
		}
		got = append(got, s)
	}
	want := "/ ro|/srv/data rw optional|/var/lib/x rw|/tmp rw|/dev dev|/proc rw"
	if strings.Join(got, "|") != want {
		t.Errorf("rules:\n got %s\nwant %s", strings.Join(got, "|"), want)
	}

	p.Root.Writable = true
	p.Landlock = &profiles.Landlock{Auto: false}
	plan = Compile(p, Options{})
	if len(plan.Landlock.Rules) != 0 || !strings.Contains(plan.String(), "landlock   no rules: no file access at all") {
		t.Errorf("auto = false without rules: %+v\n%s", plan.Landlock, plan)
	}
}

func TestSeccompLogRefusesNothing(t *testing.T) {
	kill := seccomp.ActionKillProcess
	spec := seccomp.Spec{Preset: "daemon", DefaultAction: &kill, Rules: []seccomp.Rule{
		{Syscall: "socket", Action: seccomp.ActionErrno, Args: []seccomp.Cond{{Index: 0, Op: seccomp.OpNe, Value: 1}}},
		{Syscall: "kill", Action: seccomp.ActionAllow},
	}}
	p := &profiles.Profile{Name: "x", Workdir: "/", Seccomp: &profiles.Seccomp{Spec: spec}}
	plan := Compile(p, Options{SeccompLog: true})
	eff := plan.Seccomp.Effective()
	if *eff.DefaultAction != seccomp.ActionLog || eff.Rules[0].Action != seccomp.ActionLog || eff.Rules[1].Action != seccomp.ActionAllow {
		t.Errorf("effective spec under --seccomp-log: %+v", eff)
	}
	if *spec.DefaultAction != seccomp.ActionKillProcess || spec.Rules[0].Action != seccomp.ActionErrno {
		t.Errorf("Effective changed the profile's spec: %+v", spec)
	}
	if s := plan.String(); !strings.Contains(s, "seccomp    preset=daemon rule(socket:log if arg0 != 0x1) rule(kill:allow) refused=log (") ||
		!strings.Contains(s, "LOG ONLY: nothing is refused") {
		t.Errorf("plan:\n%s", s)
	}
	if _, err := plan.Seccomp.Program(); err != nil {
		t.Errorf("Program: %v", err)
	}
	plan = Compile(p, Options{})
	if s := plan.String(); !strings.Contains(s, "refused=kill-process") || strings.Contains(s, "LOG ONLY") {
		t.Errorf("plan without --seccomp-log:\n%s", s)
	}
}

func TestPlanStepsOrder(t *testing.T) {
	n := uint64(64)
	p := &profiles.Profile{Name: "x", Workdir: "/", Security: profiles.Security{NoNewPrivs: true, UID: -1},
		Limits:   []profiles.Limit{{Limit: rlimitNofile(&n)}},
		Landlock: &profiles.Landlock{Auto: true},
		Seccomp:  &profiles.Seccomp{Spec: seccomp.Spec{Preset: "default"}, Optional: true},
	}
	s := Compile(p, Options{}).String()
	var order []string
	for _, line := range strings.Split(s, "\n") {
		if f := strings.Fields(line); len(f) > 1 && !strings.HasPrefix(line, "#") {
			order = append(order, f[1])
		}
	}
	want := "root remount-ro pivot chdir rlimit caps no_new_privs umask session signals fds landlock seccomp exec"
	if strings.Join(order, " ") != want {
		t.Errorf("steps %q, want %q\n%s", strings.Join(order, " "), want, s)
	}
	if !strings.Contains(s, "rlimit     nofile=64") || !strings.Contains(s, "refused=errno") || !strings.Contains(s, "optional") {
		t.Errorf("plan:\n%s", s)
	}
}

func rlimitNofile(n *uint64) rlimits.Limit { return rlimits.Limit{Name: "nofile", Soft: n, Hard: n} }

// A layer the host's kernel cannot enforce is left out of the plan when
// the profile marks it optional, and the plan says so; a required one
// stays (the launch then refuses). Under systemd-nspawn, whose filter
// refuses landlock_create_ruleset, run skipped an optional [landlock]
// while inspect later called it ok.
func TestKernelLeavesOutOptionalLayers(t *testing.T) {
	noLandlock := &Kernel{Landlock: errors.New("landlock_create_ruleset: operation not permitted")}
	p := &profiles.Profile{Name: "x", Workdir: "/", Security: profiles.Security{NoNewPrivs: true, UID: -1},
		Landlock: &profiles.Landlock{Auto: true, Optional: true, Pos: profiles.Pos{File: "x.toml", Line: 7}}}
	plan := Compile(p, Options{Kernel: noLandlock})
	if plan.Landlock != nil || len(plan.Skipped) != 1 || !strings.Contains(plan.Skipped[0], "[landlock] skipped (optional = true): landlock_create_ruleset: operation not permitted") {
		t.Errorf("optional landlock on a kernel without it: landlock %+v, skipped %q", plan.Landlock, plan.Skipped)
	}
	if !strings.Contains(plan.String(), "# [landlock] skipped (optional = true)") {
		t.Errorf("plan does not say what it left out:\n%s", plan)
	}
	p.Landlock.Optional = false
	if plan := Compile(p, Options{Kernel: noLandlock}); plan.Landlock == nil || len(plan.Skipped) != 0 {
		t.Errorf("a required layer must stay in the plan: landlock %+v, skipped %q", plan.Landlock, plan.Skipped)
	}
	p.Landlock.Optional = true
	if plan := Compile(p, Options{Kernel: &Kernel{}}); plan.Landlock == nil || len(plan.Skipped) != 0 {
		t.Errorf("a kernel that enforces it: landlock %+v, skipped %q", plan.Landlock, plan.Skipped)
	}
}
