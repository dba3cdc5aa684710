package views

import (
	"fmt"
	"strings"
	"time"

	"github.com/fsviews/fsviews/cgroups"
	"github.com/fsviews/fsviews/profiles"
)

// CgroupPlan is the [cgroup] table: the supervisor creates a cgroup of
// the jail's own with these limits and moves the jail's PID 1 into it
// before it builds anything.
type CgroupPlan struct {
	cgroups.Limits
	Optional bool   `json:"optional,omitempty"`
	Origin   string `json:"origin"`
}

func (c *CgroupPlan) String() string {
	var d []string
	if c.Pids > 0 {
		d = append(d, fmt.Sprintf("pids=%d", c.Pids))
	}
	if c.Memory > 0 {
		d = append(d, "memory="+FormatSize(c.Memory), "swap="+FormatSize(c.Swap))
	}
	if c.MemoryHigh > 0 {
		d = append(d, "memory_high="+FormatSize(c.MemoryHigh))
	}
	if c.CPU > 0 {
		d = append(d, "cpu="+strings.ReplaceAll(cgroups.FormatCPU(c.CPU), " ", ""))
	}
	if c.CPUWeight > 0 {
		d = append(d, fmt.Sprintf("cpu_weight=%d", c.CPUWeight))
	}
	if c.IOWeight > 0 {
		d = append(d, fmt.Sprintf("io_weight=%d", c.IOWeight))
	}
	if c.Optional {
		d = append(d, "optional")
	}
	return strings.Join(d, " ")
}

// Duration is a time.Duration that prints and marshals as "30s".
type Duration time.Duration

func (d Duration) String() string { return time.Duration(d).String() }

func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: %w", b, err)
	}
	*d = Duration(v)
	return nil
}

// WallExitStatus is how fsviews run exits when [limits] wall ended the
// jail: timeout(1)'s, distinct from the daemon's own statuses and from
// fsviews' 125-127.
const WallExitStatus = 124

// cgroupLimits fills the plan's cgroup and wall limit from the profile.
func cgroupLimits(p *profiles.Profile, plan *Plan) {
	if c := p.Cgroup; c != nil {
		plan.Cgroup = &CgroupPlan{Limits: c.Limits, Optional: c.Optional, Origin: c.Pos.String()}
	}
	plan.Wall = Duration(p.Wall.Timeout)
}

// cgroupHeader prints the limits the supervisor enforces, in Plan.String.
func (p *Plan) cgroupHeader(b *strings.Builder) {
	if p.Cgroup != nil {
		fmt.Fprintf(b, "# cgroup: %s (a cgroup of the jail's own, removed when it ends)\n", p.Cgroup)
	}
	if p.Wall > 0 {
		fmt.Fprintf(b, "# wall: every process killed after %s (exit status %d)\n", p.Wall, WallExitStatus)
	}
}
