package rlimits

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/fsviews/fsviews/internal/suggest"
)

// Infinity is RLIM_INFINITY: no limit.
const Infinity = math.MaxUint64

// Unit says how a limit's values are written.
type Unit int

const (
	Count        Unit = iota // a number of things (files, processes, signals)
	Bytes                    // bytes; "64M" and the like are accepted
	Seconds                  // CPU seconds
	Microseconds             // rttime
	Priority                 // nice (1..40, i.e. nice 19..-20) and rtprio (0..99)
)

// Resource describes one limit.
type Resource struct {
	Name string // the profile key, e.g. "nofile"
	Unit Unit
	Max  uint64 // largest meaningful value other than Infinity; 0 means any
	// Proc is the limit's row in /proc/PID/limits (the kernel's lnames
	// in fs/proc/base.c), where an auditor reads it back.
	Proc string
}

// Resources lists every limit a profile can set, in the order of
// getrlimit(2).
func Resources() []Resource {
	return []Resource{
		{Name: "cpu", Unit: Seconds, Proc: "Max cpu time"},                       // CPU time in seconds (SIGXCPU, then SIGKILL)
		{Name: "fsize", Unit: Bytes, Proc: "Max file size"},                      // largest file the process may write (SIGXFSZ)
		{Name: "data", Unit: Bytes, Proc: "Max data size"},                       // data segment and heap size
		{Name: "stack", Unit: Bytes, Proc: "Max stack size"},                     // main thread stack size
		{Name: "core", Unit: Bytes, Proc: "Max core file size"},                  // core dump size (0: no core dumps)
		{Name: "rss", Unit: Bytes, Proc: "Max resident set"},                     // resident set size (ignored by Linux since 2.6)
		{Name: "nproc", Unit: Count, Proc: "Max processes"},                      // processes and threads of the daemon's real user id
		{Name: "nofile", Unit: Count, Proc: "Max open files"},                    // open file descriptors (one more than the largest fd)
		{Name: "memlock", Unit: Bytes, Proc: "Max locked memory"},                // locked memory (mlock, SHM_LOCK, io_uring)
		{Name: "as", Unit: Bytes, Proc: "Max address space"},                     // virtual address space
		{Name: "locks", Unit: Count, Proc: "Max file locks"},                     // file locks (ignored by Linux since 2.4.25)
		{Name: "sigpending", Unit: Count, Proc: "Max pending signals"},           // queued signals of the daemon's real user id
		{Name: "msgqueue", Unit: Bytes, Proc: "Max msgqueue size"},               // bytes in POSIX message queues
		{Name: "nice", Unit: Priority, Max: 40, Proc: "Max nice priority"},       // ceiling of the nice value as 20 - nice (1..40)
		{Name: "rtprio", Unit: Priority, Max: 99, Proc: "Max realtime priority"}, // ceiling of the real-time priority (0..99)
		{Name: "rttime", Unit: Microseconds, Proc: "Max realtime timeout"},       // CPU time in microseconds under a real-time policy without blocking
	}
}

// Names lists the profile keys of Resources.
func Names() []string {
	rs := Resources()
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Name
	}
	return names
}

// Lookup finds a resource by name. The error suggests the closest name.
func Lookup(name string) (Resource, error) {
	for _, r := range Resources() {
		if r.Name == name {
			return r, nil
		}
	}
	msg := fmt.Sprintf("unknown limit %q", name)
	if best := suggest.Closest(name, Names()); best != "" {
		msg += fmt.Sprintf("; did you mean %q?", best)
	}
	return Resource{}, fmt.Errorf("%s; limits are: %s", msg, strings.Join(Names(), ", "))
}

// Limit is one limit to set. A nil Soft or Hard keeps the value the daemon
// would inherit.
type Limit struct {
	Name string  `json:"name"`
	Soft *uint64 `json:"soft,omitempty"`
	Hard *uint64 `json:"hard,omitempty"`
}

// Format prints a value the way a profile writes it.
func Format(r Resource, v uint64) string {
	if v == Infinity {
		return "infinity"
	}
	if r.Unit == Bytes {
		for _, u := range []struct {
			shift uint
			name  string
		}{{40, "T"}, {30, "G"}, {20, "M"}, {10, "k"}} {
			if v >= 1<<u.shift && v%(1<<u.shift) == 0 {
				return fmt.Sprintf("%d%s", v>>u.shift, u.name)
			}
		}
	}
	return strconv.FormatUint(v, 10)
}

func (l Limit) String() string {
	r, _ := Lookup(l.Name)
	show := func(v *uint64) string {
		if v == nil {
			return "inherited"
		}
		return Format(r, *v)
	}
	if l.Soft != nil && l.Hard != nil && *l.Soft == *l.Hard {
		return l.Name + "=" + show(l.Soft)
	}
	return fmt.Sprintf("%s=%s/%s", l.Name, show(l.Soft), show(l.Hard))
}

var sizePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([0-9]+)\s*([kKmMgGtT]?)(i?[bB])?$`) })

// ParseValue parses one value of r as a profile writes it: a non-negative
// integer, "infinity" (or "unlimited"), a decimal string, or for byte limits
// a size with a binary unit ("64M", "1G", "512k").
func ParseValue(r Resource, v any) (uint64, error) {
	var n uint64
	switch v := v.(type) {
	case int64:
		if v < 0 {
			return 0, fmt.Errorf("negative value %d: use a number >= 0 or \"infinity\"", v)
		}
		n = uint64(v)
	case string:
		s := strings.TrimSpace(v)
		if s == "infinity" || s == "unlimited" {
			return Infinity, nil
		}
		m := sizePattern().FindStringSubmatch(s)
		if m == nil || (r.Unit != Bytes && (m[2] != "" || m[3] != "")) {
			return 0, fmt.Errorf("bad value %q: %s", v, syntax(r))
		}
		num, err := strconv.ParseUint(m[1], 10, 64)
		shift := map[string]uint{"": 0, "k": 10, "m": 20, "g": 30, "t": 40}[strings.ToLower(m[2])]
		if err != nil || num > (math.MaxUint64>>shift)-1 {
			return 0, fmt.Errorf("value %q is too large: use \"infinity\" for no limit", v)
		}
		n = num << shift
	default:
		return 0, fmt.Errorf("bad value %v: %s", v, syntax(r))
	}
	if n == Infinity {
		return 0, fmt.Errorf("value %d is RLIM_INFINITY: write \"infinity\"", n)
	}
	if r.Max != 0 && n > r.Max {
		return 0, fmt.Errorf("value %d out of range: %s limits go up to %d", n, r.Name, r.Max)
	}
	return n, nil
}

func syntax(r Resource) string {
	switch r.Unit {
	case Bytes:
		return "use bytes, a size such as \"64M\" or \"1G\", or \"infinity\""
	case Priority:
		return fmt.Sprintf("use a number 0..%d", r.Max)
	}
	return "use a number or \"infinity\""
}
