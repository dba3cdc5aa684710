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

// Apply sets each limit of the calling process. A value left nil keeps the
// current one. It goes through x/sys's Prlimit, which tells the Go runtime
// not to put back its own start-up value of nofile at execve.
func Apply(limits []Limit) error {
	numbers := resourceNumbers()
	for _, l := range limits {
		res, ok := numbers[l.Name]
		if !ok {
			return fmt.Errorf("bug: limit %q has no RLIMIT_ number", l.Name)
		}
		var cur unix.Rlimit
		if err := unix.Prlimit(0, res, nil, &cur); err != nil {
			return fmt.Errorf("read limit %s: %w", l.Name, err)
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
			return fmt.Errorf("limit %s: soft %d above the hard limit %d: lower soft or set hard too", l.Name, next.Cur, next.Max)
		}
		if err := unix.Prlimit(0, res, &next, nil); err != nil {
			if err == unix.EPERM {
				return fmt.Errorf("limit %s: raising the hard limit above %d needs CAP_SYS_RESOURCE: %w", l.Name, cur.Max, err)
			}
			return fmt.Errorf("set limit %s to soft %d hard %d: %w", l.Name, next.Cur, next.Max, err)
		}
	}
	return nil
}
