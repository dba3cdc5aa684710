package units

import (
	"strconv"

	"github.com/fsviews/fsviews/profiles"
	"github.com/fsviews/fsviews/views"
)

// cgroupLines writes the profile's [cgroup] limits as systemd's own, which
// systemd enforces on the whole unit: fsviews' supervisor and the jail.
// fsviews run still gives the jail a cgroup of its own below the unit's,
// with the same limits; Delegate=yes hands it that subtree.
func cgroupLines(p *profiles.Profile, line func(format string, args ...any)) {
	c := p.Cgroup
	if c == nil {
		return
	}
	line("# [cgroup] limits (%s), enforced by systemd on the whole unit; fsviews", c.Pos)
	line("# gives the jail a cgroup of its own below it with the same limits.")
	if c.Limits.Pids > 0 {
		line("TasksMax=%d", c.Limits.Pids)
	}
	if c.Limits.Memory > 0 {
		line("MemoryMax=%s", views.FormatSize(c.Limits.Memory))
		line("MemorySwapMax=%s", views.FormatSize(c.Limits.Swap))
	}
	if c.Limits.MemoryHigh > 0 {
		line("MemoryHigh=%s", views.FormatSize(c.Limits.MemoryHigh))
	}
	if c.Limits.CPU > 0 {
		// CPUQuota= is a percentage of one CPU: 1.5 CPUs is 150%.
		line("CPUQuota=%s%%", strconv.FormatFloat(float64(c.Limits.CPU)/10, 'f', -1, 64))
	}
	if c.Limits.CPUWeight > 0 {
		line("CPUWeight=%d", c.Limits.CPUWeight)
	}
	if c.Limits.IOWeight > 0 {
		line("IOWeight=%d", c.Limits.IOWeight)
	}
	line("Delegate=yes")
}
