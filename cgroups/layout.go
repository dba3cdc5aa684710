package cgroups

import (
	"bufio"
	"bytes"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/moby/sys/mountinfo"
)

// Hierarchy is one mounted cgroup hierarchy and the caller's place in it.
type Hierarchy struct {
	Version int    // 1 or 2
	Mount   string // where it is mounted, e.g. /sys/fs/cgroup/memory
	// Root is the cgroup the mount shows at Mount (mountinfo's root
	// field): "/" on a host, the container's cgroup inside one.
	Root string
	// Controllers are the v1 hierarchy's controllers, from its mount
	// options; empty for v2, whose controllers are listed per cgroup
	// (cgroup.controllers).
	Controllers []string
	// Own is the caller's cgroup in this hierarchy, from /proc/self/cgroup.
	Own string
}

// Dir is the caller's cgroup as a directory under the mount, or false when
// the mount does not show it (the caller's cgroup is outside Root).
func (h Hierarchy) Dir() (string, bool) {
	rel, ok := strings.CutPrefix(h.Own, h.Root)
	if !ok || (rel != "" && h.Root != "/" && !strings.HasPrefix(rel, "/")) {
		return "", false
	}
	return path.Join(h.Mount, rel), true
}

// Layout is where the cgroup hierarchies of this host are mounted.
type Layout struct {
	V2 *Hierarchy           // the unified hierarchy, nil when not mounted
	V1 map[string]Hierarchy // by controller name
}

// ParseLayout reads /proc/self/cgroup (procCgroup) and the cgroup mounts
// of /proc/self/mountinfo into a Layout. A hierarchy mounted more than
// once counts once: the first mount that shows the caller's cgroup.
func ParseLayout(procCgroup []byte, mounts []*mountinfo.Info) (Layout, error) {
	own := map[string]string{} // "" for v2, else a controller
	for _, e := range parseProcCgroup(procCgroup) {
		if e.v2 {
			own[""] = e.path
			continue
		}
		for _, c := range e.ctrls {
			own[c] = e.path
		}
	}
	if len(own) == 0 {
		return Layout{}, fmt.Errorf("/proc/self/cgroup names no cgroup: the kernel has no cgroup support")
	}
	l := Layout{V1: map[string]Hierarchy{}}
	for _, m := range mounts {
		switch m.FSType {
		case "cgroup2":
			p, ok := own[""]
			if !ok || l.V2 != nil {
				continue
			}
			h := Hierarchy{Version: 2, Mount: m.Mountpoint, Root: m.Root, Own: p}
			if _, ok := h.Dir(); ok {
				l.V2 = &h
			}
		case "cgroup":
			var ctrls []string
			for _, o := range strings.Split(m.VFSOptions, ",") {
				if _, ok := own[o]; ok && !strings.HasPrefix(o, "name=") {
					ctrls = append(ctrls, o)
				}
			}
			if len(ctrls) == 0 {
				continue
			}
			h := Hierarchy{Version: 1, Mount: m.Mountpoint, Root: m.Root, Controllers: ctrls, Own: own[ctrls[0]]}
			if _, ok := h.Dir(); !ok {
				continue
			}
			for _, c := range ctrls {
				if _, seen := l.V1[c]; !seen {
					l.V1[c] = h
				}
			}
		}
	}
	return l, nil
}

// procEntry is one line of /proc/PID/cgroup, "ID:CONTROLLERS:PATH".
type procEntry struct {
	v2    bool     // the unified hierarchy's line, "0::PATH"
	ctrls []string // a v1 hierarchy's controllers (name=... included)
	path  string   // relative to the reader's cgroup namespace
	line  string   // as read, for messages
}

// parseProcCgroup reads the lines of a /proc/PID/cgroup; malformed ones
// are left out.
func parseProcCgroup(b []byte) []procEntry {
	var out []procEntry
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		id, rest, ok1 := strings.Cut(sc.Text(), ":")
		ctrls, p, ok2 := strings.Cut(rest, ":")
		if !ok1 || !ok2 || id == "" {
			continue
		}
		e := procEntry{path: p, line: sc.Text()}
		if id == "0" && ctrls == "" {
			e.v2 = true
		} else {
			e.ctrls = strings.Split(ctrls, ",")
		}
		out = append(out, e)
	}
	return out
}

// v1For returns the v1 hierarchy holding controller c.
func (l Layout) v1For(c string) (Hierarchy, bool) {
	h, ok := l.V1[c]
	return h, ok && slices.Contains(h.Controllers, c)
}
