package views

import (
	"fmt"
	"strings"

	"github.com/fsviews/fsviews/profiles"
	"github.com/fsviews/fsviews/rlimits"
	"github.com/fsviews/fsviews/seccomp"
)

// The confinement layers of a plan, applied in this order once the view
// is built: rlimits (while fsviews can still raise hard limits), then the
// identity and capability drop, then Landlock, no_new_privs and, last, right
// before execve, the seccomp filter. Each layer the profile does not ask for
// is nil or empty.

// SeccompPlan is the [seccomp] table of a profile.
type SeccompPlan struct {
	Spec     seccomp.Spec `json:"spec"`
	Optional bool         `json:"optional,omitempty"`
	// Log turns every refusal into SECCOMP_RET_LOG (run --seccomp-log):
	// the daemon runs unhindered and the kernel logs what the filter
	// would have refused.
	Log    bool   `json:"log,omitempty"`
	Origin string `json:"origin"`
}

// Effective is the spec the launcher compiles: Spec itself, or with Log
// every refusal made a log action. Syscalls refused with ENOSYS to make libc
// fall back (clone3, numbers newer than the table) keep ENOSYS, and a wrong
// ABI (i386, x32) still kills: neither is something a profile can allow by
// name.
func (s *SeccompPlan) Effective() seccomp.Spec {
	spec := s.Spec
	if !s.Log {
		return spec
	}
	logged := seccomp.ActionLog
	spec.DefaultAction = &logged
	spec.Rules = make([]seccomp.Rule, len(s.Spec.Rules))
	for i, r := range s.Spec.Rules {
		if r.Action != seccomp.ActionAllow {
			r.Action = seccomp.ActionLog
		}
		spec.Rules[i] = r
	}
	return spec
}

// Program compiles the effective spec for the running architecture.
func (s *SeccompPlan) Program() (seccomp.Program, error) {
	return s.Effective().Compile(seccomp.NativeArch())
}

// Installable is Program for the launch, which installs the filter and
// never prints it: a bare preset comes precompiled (seccomp.Spec.Compiled),
// the same instructions without the notes.
func (s *SeccompPlan) Installable() (seccomp.Program, error) {
	return s.Effective().Compiled(seccomp.NativeArch())
}

func (s *SeccompPlan) String() string {
	spec := s.Effective()
	preset := spec.Preset
	if preset == "" {
		preset = "none"
	}
	d := []string{"preset=" + preset}
	if len(spec.Allow) > 0 {
		d = append(d, "allow="+strings.Join(spec.Allow, ","))
	}
	if len(spec.Deny) > 0 {
		d = append(d, "deny="+strings.Join(spec.Deny, ","))
	}
	for _, r := range spec.Rules {
		conds := make([]string, len(r.Args))
		for i, c := range r.Args {
			conds[i] = c.String()
		}
		rule := r.Syscall + ":" + r.Action.String()
		if len(conds) > 0 {
			rule += " if " + strings.Join(conds, " && ")
		}
		d = append(d, "rule("+rule+")")
	}
	def := seccomp.ActionErrno
	if spec.DefaultAction != nil {
		def = *spec.DefaultAction
	}
	d = append(d, "refused="+def.String())
	if spec.AllowX32 {
		d = append(d, "x32=allowed")
	}
	if spec.AllowI386 {
		d = append(d, "i386=allowed")
	}
	if p, err := s.Program(); err == nil {
		d = append(d, fmt.Sprintf("(%d instructions)", p.Len()))
	}
	if s.Log {
		d = append(d, "LOG ONLY: nothing is refused")
	}
	if s.Optional {
		d = append(d, "optional")
	}
	return strings.Join(d, " ")
}

// LimitPlan is one rlimit.
type LimitPlan struct {
	rlimits.Limit
	Origin string `json:"origin"`
}

// LandlockAccess names a set of Landlock filesystem rights.
type LandlockAccess string

const (
	LandlockRO  LandlockAccess = "ro"  // read files, list directories, execute
	LandlockRW  LandlockAccess = "rw"  // all file rights, rename and link across directories too
	LandlockDev LandlockAccess = "dev" // rw, and ioctl on device files (/dev)
)

// LandlockRule grants Access below Path, a path inside the view.
type LandlockRule struct {
	Path     string         `json:"path"`
	Access   LandlockAccess `json:"access"`
	Optional bool           `json:"optional,omitempty"` // the path may be missing (an optional bind)
	Origin   string         `json:"origin,omitempty"`
}

// LandlockPlan is the [landlock] table with its rules resolved.
type LandlockPlan struct {
	Optional bool           `json:"optional,omitempty"`
	Rules    []LandlockRule `json:"rules"`
}

// confinement fills the plan's layers from the profile.
func confinement(p *profiles.Profile, plan *Plan, opt Options) {
	if s := p.Seccomp; s != nil {
		origin := s.Pos.String()
		if s.Implicit {
			origin = "the default: no [seccomp] in " + origin
		}
		plan.Seccomp = &SeccompPlan{Spec: s.Spec, Optional: s.Optional, Log: opt.SeccompLog, Origin: origin}
		if k := opt.Kernel; k != nil && k.Seccomp != nil && s.Optional {
			plan.Seccomp = nil
			plan.Skipped = append(plan.Skipped, fmt.Sprintf("[seccomp] skipped (optional = true): %v", k.Seccomp))
		}
	}
	for _, l := range p.Limits {
		plan.Limits = append(plan.Limits, LimitPlan{Limit: l.Limit, Origin: l.Pos.String()})
	}
	if p.Landlock != nil {
		plan.Landlock = &LandlockPlan{Optional: p.Landlock.Optional, Rules: landlockRules(p)}
		if k := opt.Kernel; k != nil && k.Landlock != nil && p.Landlock.Optional {
			plan.Landlock = nil
			plan.Skipped = append(plan.Skipped, fmt.Sprintf("[landlock] skipped (optional = true): %v", k.Landlock))
		}
	}
	cgroupLimits(p, plan)
}

// landlockRules derives the rules of "auto" from the view and appends
// the profile's own. Auto means: everything in the view can be read,
// listed and executed as mounted (one rule on "/", since a rule covers the
// whole hierarchy below its path, mounts included); writes only where the
// view is writable: read-write binds, state dirs, tmpfs, /dev (with device
// ioctls), and "/" itself when [root] writable = true. Nothing else: /proc,
// read-only binds and the root tmpfs stay read-only even to a daemon that
// could remount them.
func landlockRules(p *profiles.Profile) []LandlockRule {
	var rules []LandlockRule
	if p.Landlock.Auto {
		root := LandlockRO
		if p.Root.Writable {
			root = LandlockRW
		}
		rules = append(rules, LandlockRule{Path: "/", Access: root, Origin: "[root]"})
		for _, b := range p.Binds {
			if b.Mode == profiles.ReadWrite {
				rules = append(rules, LandlockRule{Path: b.Target, Access: LandlockRW, Optional: b.Optional, Origin: b.Pos.String()})
			}
		}
		for _, s := range p.States {
			rules = append(rules, LandlockRule{Path: s.Target, Access: LandlockRW, Origin: s.Pos.String()})
		}
		for _, t := range p.Tmpfs {
			rules = append(rules, LandlockRule{Path: t.Target, Access: LandlockRW, Origin: t.Pos.String()})
		}
		if p.Dev != nil {
			rules = append(rules, LandlockRule{Path: "/dev", Access: LandlockDev, Origin: p.Dev.Pos.String()})
		}
	}
	for _, r := range p.Landlock.Rules {
		access := LandlockRO
		if r.Access == profiles.LandlockRW {
			access = LandlockRW
		}
		rules = append(rules, LandlockRule{Path: r.Path, Access: access, Origin: r.Pos.String()})
	}
	return rules
}

// confineSteps prints the Landlock rules and the filter (Plan.Finish).
func (p *Plan) confineSteps(step func(format string, args ...any)) {
	if l := p.Landlock; l != nil {
		for _, r := range l.Rules {
			extra := ""
			if r.Optional {
				extra += " optional"
			}
			if l.Optional {
				extra += " (landlock optional)"
			}
			step("%-10s %-28s %s%s", "landlock", r.Path, r.Access, extra)
		}
		if len(l.Rules) == 0 {
			step("%-10s %s", "landlock", "no rules: no file access at all")
		}
	}
	if p.Seccomp != nil {
		step("%-10s %s", "seccomp", p.Seccomp)
	}
}
