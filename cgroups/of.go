package cgroups

import (
	"fmt"
	"slices"
)

// DirsOf returns where another process is: the directory, under l's
// mounts, of its cgroup in every hierarchy of l, read from its
// /proc/PID/cgroup (procCgroup, the kernel's, relative to the reader's
// cgroup namespace as l is). fsviews exec puts its command there, beside
// the jail's process. Named v1 hierarchies (name=systemd) hold no
// controller and are left out, as Discover leaves them out. A cgroup the
// mounts do not show is an error.
func (l Layout) DirsOf(procCgroup []byte) ([]string, error) {
	var dirs []string
	for _, e := range parseProcCgroup(procCgroup) {
		var h Hierarchy
		if e.v2 {
			if l.V2 == nil {
				continue
			}
			h = *l.V2
		} else {
			found := false
			for _, c := range e.ctrls {
				if h, found = l.v1For(c); found {
					break
				}
			}
			if !found {
				continue
			}
		}
		h.Own = e.path
		dir, ok := h.Dir()
		if !ok {
			return nil, fmt.Errorf("cgroup %s (hierarchy %s) is not visible under %s", e.path, e.line, h.Mount)
		}
		if !slices.Contains(dirs, dir) {
			dirs = append(dirs, dir)
		}
	}
	return dirs, nil
}

// Existing is the group made of directories that exist already, for
// Join: fsviews exec joins the cgroups of the jail's process, which the
// jail's supervisor made and removes.
func Existing(dirs []string) *Group {
	return &Group{dirs: slices.Clone(dirs), by: map[string]placed{}}
}
