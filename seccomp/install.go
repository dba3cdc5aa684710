package seccomp

import "strings"

// InstallFlags are SECCOMP_FILTER_FLAG_* values for InstallWith.
type InstallFlags uint

const (
	// FlagTSync applies the filter to every thread of the process, not only
	// the calling one; the Go runtime has many threads, so a filter meant for
	// the whole process needs it (or an exec from a locked thread right after).
	FlagTSync InstallFlags = 1 << iota
	// FlagLog logs every action except allow to the audit log, not only
	// kill and log actions.
	FlagLog
	// FlagSpecAllow keeps speculative store bypass mitigation off.
	FlagSpecAllow
)

func (f InstallFlags) String() string {
	var s []string
	for _, x := range []struct {
		f    InstallFlags
		name string
	}{{FlagTSync, "TSYNC"}, {FlagLog, "LOG"}, {FlagSpecAllow, "SPEC_ALLOW"}} {
		if f&x.f != 0 {
			s = append(s, x.name)
		}
	}
	if len(s) == 0 {
		return "0"
	}
	return strings.Join(s, "|")
}
