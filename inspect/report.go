package inspect

import (
	"fmt"
	"strconv"
)

// Status is the verdict on one mount.
type Status uint8

// The verdicts on a mount; see the package doc.
const (
	Planned Status = iota + 1
	Changed
	Unexpected
	Missing
	Skipped
)

var statusNames = [...]string{Planned: "planned", Changed: "changed", Unexpected: "unexpected", Missing: "missing", Skipped: "skipped"}

func (s Status) String() string {
	if s >= Planned && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "status(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText writes the name String returns.
func (s Status) MarshalText() ([]byte, error) {
	if s < Planned || int(s) >= len(statusNames) {
		return nil, fmt.Errorf("marshal mount status %d: out of range", uint8(s))
	}
	return []byte(statusNames[s]), nil
}

// UnmarshalText accepts the names String returns.
func (s *Status) UnmarshalText(b []byte) error {
	for i, n := range statusNames {
		if n != "" && n == string(b) {
			*s = Status(i)
			return nil
		}
	}
	return fmt.Errorf("unknown mount status %q", b)
}

// Drift reports whether the status means the jail is not as planned.
func (s Status) Drift() bool { return s == Changed || s == Unexpected || s == Missing }

// Mount is the verdict on one mount point of the jail.
type Mount struct {
	Status Status `json:"status"`
	// Path is the view path (the mount point as the jail sees it).
	Path string `json:"path"`
	// Kind is the plan op that mounts it ("bind", "tmpfs", ...), or
	// "submount" for a mount a recursive bind carried; empty when
	// unexpected.
	Kind string `json:"kind,omitempty"`
	// Source is the host path of a bind or state dir, from the plan.
	Source string `json:"source,omitempty"`
	// FSType, Options and MountSource are what mountinfo says; empty when
	// missing.
	FSType      string `json:"fstype,omitempty"`
	Options     string `json:"options,omitempty"`
	MountSource string `json:"mount_source,omitempty"`
	// Want lists the attributes the plan asks for ("ro", "nosuid", ...).
	Want []string `json:"want,omitempty"`
	// Why says what differs, for changed, unexpected and skipped.
	Why []string `json:"why,omitempty"`
	// Origin is the profile file:line of the op.
	Origin string `json:"origin,omitempty"`
}

// Check is one enforced property, observed against the plan.
type Check struct {
	// Name is what was checked: "CapEff", "NoNewPrivs", "ns mnt", "uid",
	// "rlimit NOFILE", ...
	Name string `json:"name"`
	Want string `json:"want,omitempty"` // empty when the plan says nothing
	Got  string `json:"got"`
	// OK is false on drift. A property the plan does not set is OK.
	OK bool `json:"ok"`
	// Note explains a verdict, e.g. which capability is extra.
	Note string `json:"note,omitempty"`
}

// Report is the whole verdict on a jail.
type Report struct {
	Mounts   []Mount `json:"mounts"`
	Enforced []Check `json:"enforced"`
	// Sources are the bind, socket and [[file]] sources recorded at
	// start against the host's now (empty for a record without them).
	Sources []Check `json:"sources,omitempty"`
	// Processes are the jail's processes besides the daemon and
	// fsviews' init (its workers), each judged as the daemon is.
	Processes []ProcessReport `json:"processes,omitempty"`
}

// ProcessReport is the verdict on one more process of the jail.
type ProcessReport struct {
	PID   int     `json:"pid"`
	Comm  string  `json:"comm"`
	OK    bool    `json:"ok"`
	Drift []Check `json:"drift,omitempty"` // the checks that failed
}

// Drift reports whether anything differs from the plan.
func (r *Report) Drift() bool {
	for _, m := range r.Mounts {
		if m.Status.Drift() {
			return true
		}
	}
	for _, c := range append(r.Enforced, r.Sources...) {
		if !c.OK {
			return true
		}
	}
	for _, p := range r.Processes {
		if !p.OK {
			return true
		}
	}
	return false
}
