package profiles

import (
	"fmt"
	"strings"
	"time"

	"github.com/fsviews/fsviews/cgroups"
)

// Cgroup is the [cgroup] table: limits a cgroup of the jail's own
// enforces on every process of the jail, root included (docs/profiles.md).
type Cgroup struct {
	Pos    Pos
	Limits cgroups.Limits
	// Optional runs the jail without the limits the host cannot apply,
	// saying so on stderr, instead of refusing to start.
	Optional bool
	// asked: a layer wrote a limit, valid or not; a table without one
	// is worth a warning.
	asked bool
	// swapPos is where swap was set, for the check that memory is too.
	swapPos Pos
}

// Wall is [limits] wall: the jail is killed once it has run that long.
type Wall struct {
	Pos     Pos
	Timeout time.Duration // 0: no limit
}

// rawCgroup is the [cgroup] table as written; see raw.go.
type rawCgroup struct {
	Pids       any   `toml:"pids"`
	Memory     any   `toml:"memory"`
	MemoryHigh any   `toml:"memory_high"`
	Swap       any   `toml:"swap"`
	CPU        any   `toml:"cpu"`
	CPUWeight  any   `toml:"cpu_weight"`
	IOWeight   any   `toml:"io_weight"`
	Optional   *bool `toml:"optional"`
}

// cgroupKeys is knownKeys for [cgroup].
func cgroupKeys(table string) []string {
	if table == "cgroup" {
		return []string{"pids", "memory", "memory_high", "swap", "cpu", "cpu_weight", "io_weight", "optional"}
	}
	return nil
}

// maxPids is the kernel's highest pid_max (PID_MAX_LIMIT on 64-bit).
const maxPids = 1 << 22

// minCgroupMemory is below what any process needs to start: a smaller
// limit would only OOM-kill the daemon before it runs.
const minCgroupMemory = 1 << 20

// cgroupLayer reads [cgroup] and [limits] wall of layer l; a later layer
// overrides the keys it sets.
func (b *builder) cgroupLayer(l layer) {
	if r := l.raw.Limits; r != nil && r.Wall != nil {
		b.wall(l, r.Wall.v)
	}
	r := l.raw.Cgroup
	if r == nil {
		return
	}
	if b.p.Cgroup == nil {
		b.p.Cgroup = &Cgroup{}
	}
	c := b.p.Cgroup
	c.Pos, _ = at(l, "cgroup")
	c.asked = c.asked || r.Pids != nil || r.Memory != nil || r.CPU != nil || r.MemoryHigh != nil || r.Swap != nil || r.CPUWeight != nil || r.IOWeight != nil
	if r.Pids != nil {
		pos, key := at(l, "cgroup.pids")
		n, ok := r.Pids.(int64)
		switch {
		case !ok:
			b.errorf(pos, key, "bad value %v: give the most processes and threads the jail may have at once, a number such as pids = 64", r.Pids)
		case n < 1 || n > maxPids:
			b.errorf(pos, key, "pids = %d is out of range: give 1 to %d (the kernel's highest pid_max), e.g. pids = 64", n, maxPids)
		default:
			c.Limits.Pids = n
		}
	}
	if r.Memory != nil {
		pos, key := at(l, "cgroup.memory")
		if n := b.size(l, "cgroup.memory", r.Memory); n > 0 {
			if n < minCgroupMemory {
				b.errorf(pos, key, "memory = %d bytes is too little to start a process: give at least \"1M\", e.g. memory = \"256M\"", n)
			} else {
				c.Limits.Memory = n
			}
		}
	}
	if r.CPU != nil {
		pos, key := at(l, "cgroup.cpu")
		if n, err := cgroups.ParseCPU(r.CPU); err != nil {
			b.errorf(pos, key, "%v", err)
		} else {
			c.Limits.CPU = n
		}
	}
	if r.MemoryHigh != nil {
		pos, key := at(l, "cgroup.memory_high")
		if n := b.size(l, "cgroup.memory_high", r.MemoryHigh); n > 0 {
			if n < minCgroupMemory {
				b.errorf(pos, key, "memory_high = %d bytes would throttle the jail before it starts: give at least \"1M\", e.g. memory_high = \"192M\"", n)
			} else {
				c.Limits.MemoryHigh = n
			}
		}
	}
	if r.Swap != nil {
		if n := b.size(l, "cgroup.swap", r.Swap); n >= 0 {
			c.Limits.Swap = n
			c.swapPos, _ = at(l, "cgroup.swap")
		}
	}
	for _, w := range []struct {
		key string
		v   any
		set *int64
	}{{"cpu_weight", r.CPUWeight, &c.Limits.CPUWeight}, {"io_weight", r.IOWeight, &c.Limits.IOWeight}} {
		if w.v == nil {
			continue
		}
		pos, key := at(l, "cgroup."+w.key)
		n, ok := w.v.(int64)
		switch {
		case !ok:
			b.errorf(pos, key, "bad value %v: give a share from %d to %d against the jail's siblings (100 is the kernel's default), e.g. %s = 50", w.v, cgroups.MinWeight, cgroups.MaxWeight, w.key)
		case n < cgroups.MinWeight || n > cgroups.MaxWeight:
			b.errorf(pos, key, "%s = %d is out of range: give %d to %d (100 is the kernel's default)", w.key, n, cgroups.MinWeight, cgroups.MaxWeight)
		default:
			*w.set = n
		}
	}
	if r.Optional != nil {
		c.Optional = *r.Optional
	}
}

// wall reads [limits] wall: a duration such as "30s" or "1h30m", or a
// number of seconds.
func (b *builder) wall(l layer, v any) {
	pos, key := at(l, "limits.wall")
	const hint = "write a duration such as \"30s\", \"5m\" or \"1h30m\", or a number of seconds"
	var d time.Duration
	switch v := v.(type) {
	case int64:
		if v <= 0 || v > int64(time.Duration(1<<62)/time.Second) {
			b.errorf(pos, key, "wall = %d is out of range: give a positive number of seconds, or %s", v, hint)
			return
		}
		d = time.Duration(v) * time.Second
	case string:
		var err error
		d, err = time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			b.errorf(pos, key, "bad duration %q: %s", v, hint)
			return
		}
		if d < time.Millisecond {
			b.errorf(pos, key, "wall = %q must be at least 1ms: %s; leave the key out for no limit", v, hint)
			return
		}
	default:
		b.errorf(pos, key, "bad duration %v: %s", v, hint)
		return
	}
	b.p.Wall = Wall{Pos: pos, Timeout: d}
}

// cgroupChecks runs once all layers are merged. The jail's cgroup is
// removed and the wall limit enforced by fsviews' supervisor, which only
// the PID-namespace model keeps (docs/systemd.md): either implies it.
func (b *builder) cgroupChecks() {
	p := b.p
	if c := p.Cgroup; c != nil && c.Limits.Swap > 0 && c.Limits.Memory == 0 {
		b.errorf(c.swapPos, "[cgroup] swap", "swap is what the jail may use beyond memory: set memory too (e.g. memory = \"256M\"), or remove swap")
	}
	if c := p.Cgroup; c != nil && !c.Limits.Set() {
		if c.asked {
			p.Cgroup = nil // the bad values are reported
			return
		}
		b.warnf(c.Pos, "cgroup", "the table sets no limit: add pids, memory or cpu (e.g. pids = 64), or remove it")
		p.Cgroup = nil
	}
	if p.Cgroup != nil || p.Wall.Timeout > 0 {
		p.Namespaces.PID = true
	}
}

// cgroupLint warns when RLIMIT_NPROC would be the only bound on the
// processes of a daemon running as root, which it never applies to.
func cgroupLint(p *Profile, root bool) Problems {
	var nproc *Limit
	for i := range p.Limits {
		if p.Limits[i].Name == "nproc" {
			nproc = &p.Limits[i]
		}
	}
	if nproc == nil || (p.Cgroup != nil && p.Cgroup.Limits.Pids > 0) || p.Namespaces.User {
		return nil
	}
	if !root {
		return nil
	}
	return Problems{{Pos: nproc.Pos, Key: "[limits] nproc", Warning: true,
		Msg: fmt.Sprintf("the daemon runs as root, and the kernel never applies RLIMIT_NPROC to root: nothing bounds its processes; add [cgroup] pids = %s, which holds for root too", nprocValue(nproc))}}
}

// nprocValue is the nproc limit as a pids value to suggest.
func nprocValue(l *Limit) string {
	if l.Hard != nil && *l.Hard > 0 && *l.Hard <= maxPids {
		return fmt.Sprint(*l.Hard)
	}
	return "64"
}
