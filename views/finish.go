package views

import (
	"fmt"
	"strings"
)

// StepKind is one of the steps fsviews takes once the view is built, from
// pivot_root to the daemon's execve. Their order is written here only:
// Plan.Finish lists them, `fsviews plan` prints that list, and launch
// interprets it in every process model (in place, the init's forked
// daemon, fsviews exec), refusing a list that lacks a step it must take.
type StepKind string

const (
	StepPivot    StepKind = "pivot"    // pivot_root into the view, detach the old root
	StepHostname StepKind = "hostname" // [namespaces] hostname
	StepLoopback StepKind = "loopback" // bring lo up (net = "loopback")
	StepChdir    StepKind = "chdir"    // the workdir, where the command is looked up
	// StepLimits comes before privileges go: raising a hard limit needs
	// CAP_SYS_RESOURCE; and after the view is built, so a low nofile or
	// fsize cannot break fsviews' own work.
	StepLimits StepKind = "rlimit"
	// StepPrivileges is the one ordered drop of privs.Plan: bounding
	// set, groups, gid, uid, capabilities, ambient set, no_new_privs.
	StepPrivileges StepKind = "privileges"
	StepUmask      StepKind = "umask"   // the caller's, which the build set aside
	StepSession    StepKind = "session" // a new session without a terminal, unless --tty
	StepSignals    StepKind = "signals" // signals the caller ignored reset to their default
	// StepFDs closes what the caller left open without O_CLOEXEC, which
	// would give the daemon a way out of its view: only stdio and the
	// socket activation fds pass.
	StepFDs StepKind = "fds"
	// StepConfine applies Landlock and then the seccomp filter, last: the
	// filter would otherwise have to allow what fsviews itself still does.
	StepConfine StepKind = "confine"
	StepExec    StepKind = "exec"
)

// Step is one step of Plan.Finish with the lines `fsviews plan` prints
// for it.
type Step struct {
	Kind  StepKind
	Lines []string
}

// Steps lists the steps after the view is built, in the order they are
// taken; a step the plan does not need (no hostname, no rlimit, neither
// Landlock nor seccomp) is left out. It describes nothing: the launch
// walks it on every start, and describing the filter means compiling it.
func (p *Plan) Steps() []StepKind {
	steps := []StepKind{StepPivot}
	if p.Hostname != "" {
		steps = append(steps, StepHostname)
	}
	if p.Net == "loopback" {
		steps = append(steps, StepLoopback)
	}
	steps = append(steps, StepChdir)
	if len(p.Limits) > 0 {
		steps = append(steps, StepLimits)
	}
	steps = append(steps, StepPrivileges, StepUmask, StepSession, StepSignals, StepFDs)
	if p.Landlock != nil || p.Seccomp != nil {
		steps = append(steps, StepConfine)
	}
	return append(steps, StepExec)
}

// Finish is Steps with the lines `fsviews plan` prints for each.
func (p *Plan) Finish() []Step {
	var steps []Step
	for _, k := range p.Steps() {
		steps = append(steps, Step{Kind: k, Lines: p.stepLines(k)})
	}
	return steps
}

func (p *Plan) stepLines(k StepKind) []string {
	line := func(what, format string, args ...any) string {
		return fmt.Sprintf("%-10s %s", what, fmt.Sprintf(format, args...))
	}
	switch k {
	case StepPivot:
		return []string{fmt.Sprintf("%-10s %-28s %s", "pivot", "/", "pivot_root into the view, detach the old root")}
	case StepHostname:
		return []string{line("hostname", "%s", p.Hostname)}
	case StepLoopback:
		return []string{line("loopback", "bring lo up")}
	case StepChdir:
		return []string{line("chdir", "%s", p.Workdir)}
	case StepLimits:
		var lines []string
		for _, l := range p.Limits {
			lines = append(lines, line("rlimit", "%s", l.Limit))
		}
		return lines
	case StepPrivileges:
		var privs []string
		if p.UID >= 0 {
			privs = append(privs, line("identity", "uid=%d gid=%d groups=%d", p.UID, p.GID, p.GID))
		}
		caps := "none"
		if len(p.Caps) > 0 {
			caps = strings.Join(p.Caps, ",")
		}
		privs = append(privs, line("caps", "%s", caps))
		if p.NoNewPriv {
			privs = append(privs, line("no_new_privs", "on"))
		}
		return privs
	case StepUmask:
		return []string{line("umask", "the caller's")}
	case StepSession:
		if p.TTY {
			return []string{line("session", "keep the caller's terminal (--tty)")}
		}
		return []string{line("session", "a new one, without a terminal")}
	case StepSignals:
		return []string{line("signals", "those the caller ignored back to their default")}
	case StepFDs:
		return []string{line("fds", "close all but stdio and the socket activation fds")}
	case StepConfine:
		return p.confineLines()
	case StepExec:
		return []string{line("exec", "%q", p.Command)}
	}
	return nil
}

// confineLines are StepConfine's lines: one per Landlock rule, then the
// filter.
func (p *Plan) confineLines() []string {
	var lines []string
	step := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	p.confineSteps(step)
	return lines
}
