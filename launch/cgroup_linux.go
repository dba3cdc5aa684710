package launch

import (
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/fsviews/fsviews/cgroups"
	"github.com/fsviews/fsviews/views"
)

// jailLimits are the limits the supervisor enforces on the whole jail
// from outside: its cgroup and its wall-clock limit.
type jailLimits struct {
	plan  *views.Plan
	group *cgroups.Group // nil without [cgroup], or when all of it was skipped
	wall  *time.Timer
	// wallHit is set when the wall limit killed the jail.
	wallHit atomic.Bool
}

// newJailLimits creates the jail's cgroup, before the jail exists: a
// limit the host cannot apply stops the run here (unless optional), with
// nothing started. stderr gets what an optional [cgroup] skips.
func newJailLimits(plan *views.Plan, stderr io.Writer) (*jailLimits, error) {
	jl := &jailLimits{plan: plan}
	c := plan.Cgroup
	if c == nil {
		return jl, nil
	}
	layout, err := cgroups.Discover()
	if err != nil {
		if !c.Optional {
			return nil, failed("[cgroup] (%s): %w", c.Origin, err)
		}
		fmt.Fprintf(stderr, "fsviews: %s: [cgroup] is optional and skipped: %v\n", plan.Name, err)
		return jl, nil
	}
	// The supervisor's PID makes the name unique among live jails of
	// one name; a run that was killed before it could clean up leaves
	// an empty cgroup that a later run of the same name and PID removes.
	name := fmt.Sprintf("fsviews-%s-%d", plan.Name, os.Getpid())
	g, skipped, err := cgroups.Create(layout, name, c.Limits, c.Optional)
	if err != nil {
		return nil, failed("[cgroup] (%s): %w; or mark the table optional = true to run without what the host cannot apply", c.Origin, err)
	}
	for _, s := range skipped {
		fmt.Fprintf(stderr, "fsviews: %s: [cgroup] is optional, skipped: %v\n", plan.Name, s)
	}
	jl.group = g
	return jl, nil
}

// start puts the jail's PID 1 into the cgroup, before it has read its
// job (so before it can start anything), and arms the wall limit. kill
// ends the whole jail: PID 1 of its PID namespace, whose death makes the
// kernel kill every other process in it.
func (jl *jailLimits) start(pid int, kill func()) error {
	if jl.group != nil {
		if err := jl.group.Join(pid); err != nil {
			return fmt.Errorf("[cgroup] (%s): %w", jl.plan.Cgroup.Origin, err)
		}
	}
	if w := time.Duration(jl.plan.Wall); w > 0 {
		jl.wall = time.AfterFunc(w, func() {
			jl.wallHit.Store(true)
			kill()
		})
	}
	return nil
}

// end stops the wall limit, reads what the limits did, removes the
// cgroup, and turns the jail's end into what fsviews run reports.
func (jl *jailLimits) end(err error, stderr io.Writer) error {
	if jl.wall != nil {
		jl.wall.Stop()
	}
	var why string
	if jl.group != nil {
		ev := jl.group.Events()
		if ev.OOMKills > 0 {
			why = fmt.Sprintf("the jail reached its memory limit ([cgroup] memory = %s, %s): the kernel's OOM killer killed %d process(es)",
				views.FormatSize(jl.group.Limits.Memory), jl.plan.Cgroup.Origin, ev.OOMKills)
		} else if ev.ForksRefused > 0 {
			why = fmt.Sprintf("the jail reached its process limit ([cgroup] pids = %d, %s): %d fork(s) were refused",
				jl.group.Limits.Pids, jl.plan.Cgroup.Origin, ev.ForksRefused)
		}
		if rmErr := jl.group.Remove(); rmErr != nil {
			fmt.Fprintf(stderr, "fsviews: %s: %v\n", jl.plan.Name, rmErr)
		}
	}
	if jl.wallHit.Load() {
		wall := fmt.Sprintf("the jail ran for its wall-clock limit ([limits] wall = %s) and was killed, every process of it", jl.plan.Wall)
		if why != "" {
			wall += "; before that, " + why
		}
		return &Exited{Code: views.WallExitStatus, Why: wall}
	}
	if e, ok := err.(*Exited); ok && why != "" {
		e.Why = why
	}
	return err
}
