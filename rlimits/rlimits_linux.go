package rlimits

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// resourceNumbers maps names to RLIMIT_* (they differ on a few
// architectures, so they come from x/sys rather than a table of our own).
func resourceNumbers() map[string]int {
	return map[string]int{
		"cpu": unix.RLIMIT_CPU, "fsize": unix.RLIMIT_FSIZE, "data": unix.RLIMIT_DATA,
		"stack": unix.RLIMIT_STACK, "core": unix.RLIMIT_CORE, "rss": unix.RLIMIT_RSS,
		"nproc": unix.RLIMIT_NPROC, "nofile": unix.RLIMIT_NOFILE, "memlock": unix.RLIMIT_MEMLOCK,
		"as": unix.RLIMIT_AS, "locks": unix.RLIMIT_LOCKS, "sigpending": unix.RLIMIT_SIGPENDING,
		"msgqueue": unix.RLIMIT_MSGQUEUE, "nice": unix.RLIMIT_NICE, "rtprio": unix.RLIMIT_RTPRIO,
		"rttime": unix.RLIMIT_RTTIME,
	}
}

// Target is a limit as it will be set: its RLIMIT_* number and both
// values, worked out from the process's current ones.
type Target struct {
	Name     string
	Resource int
	Value    unix.Rlimit
	Current  unix.Rlimit
}

// What says what setting t does, for an error: raising a hard limit needs
// CAP_SYS_RESOURCE.
func (t Target) What() string {
	what := fmt.Sprintf("set limit %s to soft %d hard %d", t.Name, t.Value.Cur, t.Value.Max)
	if t.Value.Max > t.Current.Max {
		what += fmt.Sprintf(" (raising the hard limit above %d needs CAP_SYS_RESOURCE)", t.Current.Max)
	}
	return what
}

// Next works out each limit from the calling process's current ones: a
// value left nil keeps the current one. fsviews' init computes them before
// it forks the daemon, whose child then sets them with raw system calls.
func Next(limits []Limit) ([]Target, error) {
	numbers := resourceNumbers()
	var out []Target
	for _, l := range limits {
		res, ok := numbers[l.Name]
		if !ok {
			return nil, fmt.Errorf("bug: limit %q has no RLIMIT_ number", l.Name)
		}
		var cur unix.Rlimit
		if err := unix.Prlimit(0, res, nil, &cur); err != nil {
			return nil, fmt.Errorf("read limit %s: %w", l.Name, err)
		}
		next := cur
		if l.Hard != nil {
			next.Max = *l.Hard
			if l.Soft == nil && next.Cur > next.Max {
				next.Cur = next.Max
			}
		}
		if l.Soft != nil {
			next.Cur = *l.Soft
		}
		if next.Cur > next.Max {
			return nil, fmt.Errorf("limit %s: soft %d above the hard limit %d: lower soft or set hard too", l.Name, next.Cur, next.Max)
		}
		out = append(out, Target{Name: l.Name, Resource: res, Value: next, Current: cur})
	}
	return out, nil
}

// Apply sets each limit of the calling process (see Next). It goes through
// x/sys's Prlimit, which tells the Go runtime not to put back its own
// start-up value of nofile at execve.
func Apply(limits []Limit) error {
	targets, err := Next(limits)
	if err != nil {
		return err
	}
	for _, t := range targets {
		if err := unix.Prlimit(0, t.Resource, &t.Value, nil); err != nil {
			return fmt.Errorf("%s: %w", t.What(), err)
		}
	}
	return nil
}
