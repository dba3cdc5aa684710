package rlimits

import "golang.org/x/sys/unix"

// Hard returns the calling process's hard limit of the resource a profile
// names name; ok is false for a name it does not know or a failed read.
// A rootless jail cannot go above it (raising needs CAP_SYS_RESOURCE on
// the host), so check compares [limits] against it.
func Hard(name string) (limit uint64, ok bool) {
	res, known := resourceNumbers()[name]
	if !known {
		return 0, false
	}
	var cur unix.Rlimit
	if err := unix.Prlimit(0, res, nil, &cur); err != nil {
		return 0, false
	}
	return cur.Max, true
}
