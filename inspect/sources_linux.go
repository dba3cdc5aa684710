package inspect

import (
	"fmt"
	"path"
	"strings"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/audit"
	"github.com/fsviews/fsviews/mounts"
	"github.com/fsviews/fsviews/registry"
	"github.com/fsviews/fsviews/views"
)

// SourceNow is one source of a plan as the host has it now: what the next
// start would bind or copy.
type SourceNow struct {
	registry.Source
	// Err says why the source cannot be opened now (missing, or a link
	// fsviews does not follow); the identity is then empty.
	Err string `json:"error,omitempty"`
}

// ReadSources opens each bind, socket and [[file]] source of plan as
// fsviews run does (mounts.OpenSource with mounts.SourceLinks: no link
// followed unless the profile says follow = true) and says which file it
// is. fsviews run records them
// when the jail starts; inspect reads them again to compare. Nothing is
// read from the files: they are opened O_PATH, which neither blocks on a
// FIFO nor needs read permission.
func ReadSources(plan *views.Plan) []SourceNow {
	var out []SourceNow
	// Raw descriptors and one fstat each (mounts.OpenBindSource):
	// fsviews run reads every source here on its start path.
	links := map[bool]mounts.Links{false: mounts.SourceLinks(plan.UserNS, false), true: mounts.SourceLinks(plan.UserNS, true)}
	for _, op := range plan.Ops {
		if op.Source == "" || (op.Kind != views.Bind && op.Kind != views.Socket && op.Kind != views.File) {
			continue
		}
		s := SourceNow{Source: registry.Source{Target: op.Target, Path: op.Source}}
		src, err := mounts.OpenBindSource(op.Source, links[op.Follow])
		if err != nil {
			s.Err = err.Error()
			out = append(out, s)
			continue
		}
		st := src.Stat()
		s.Resolved, s.Dev, s.Ino = src.Name(), st.Dev, st.Ino
		src.Close()
		out = append(out, s)
	}
	return out
}

// identity prints a source's device and inode as stat(1) and mountinfo
// show them.
func identity(s registry.Source) string {
	id := fmt.Sprintf("device %d:%d inode %d", unix.Major(s.Dev), unix.Minor(s.Dev), s.Ino)
	if s.Resolved != "" && s.Resolved != s.Path {
		id += " (" + s.Resolved + ")"
	}
	return id
}

// compareSources sets each source recorded at start against what the host
// has now. A source swapped since (another inode, or now a link fsviews
// does not follow) is drift: the jail still shows the old file, and the
// next start would show the new one or refuse. Sources without a record
// (an optional bind absent at start, a record of an older fsviews) are
// not listed.
func compareSources(recorded []registry.Source, now []SourceNow) []Check {
	var out []Check
	for _, rec := range recorded {
		c := Check{Name: rec.Path, Want: identity(rec), Note: "at " + rec.Target}
		i := -1
		for j, n := range now {
			if n.Target == rec.Target && n.Path == rec.Path {
				i = j
				break
			}
		}
		switch {
		case i < 0:
			c.Got = "not in the plan's sources"
		case now[i].Err != "":
			c.Got = "cannot be opened now"
			c.Note = "at " + rec.Target + "; replaced since the jail started: " + now[i].Err
		case now[i].Dev != rec.Dev || now[i].Ino != rec.Ino:
			c.Got = identity(now[i].Source)
			c.Note = "at " + rec.Target + "; replaced since the jail started: the jail still has what it was given then, the next start would take this one"
		default:
			c.Got, c.OK = identity(now[i].Source), true
		}
		out = append(out, c)
	}
	return out
}

// mountedSource checks that the live mount m of a bind shows the source
// recorded at start: the same device, and the same place in its file
// system (mountinfo's root field) as the source has on the host now. A
// source moved or replaced after the bind was made (mv, a rename over it,
// rm) leaves the mount showing another root.
func mountedSource(src registry.Source, m *mountinfo.Info, host []*mountinfo.Info) []string {
	dev := unix.Mkdev(uint32(m.Major), uint32(m.Minor))
	if dev != src.Dev {
		return []string{fmt.Sprintf("on device %d:%d, but its source %s was on %d:%d when the jail started",
			m.Major, m.Minor, src.Path, unix.Major(src.Dev), unix.Minor(src.Dev))}
	}
	hm := hostMountOf(src.Resolved, src.Dev, host)
	if hm == nil {
		return nil // the host has unmounted that file system: sources: says the source changed
	}
	want := path.Join(hm.Root, strings.TrimPrefix(src.Resolved, strings.TrimSuffix(hm.Mountpoint, "/")))
	if m.Root != want {
		// Quoted: the jail may have named what it moved there.
		return []string{fmt.Sprintf("shows %s of its file system, but the source %s is %s there: the source was moved or replaced since the jail started",
			audit.QuoteName(m.Root), src.Path, audit.QuoteName(want))}
	}
	return nil
}

// hostMountOf is the host mount that holds p on device dev: the one with
// the longest mount point above p, the topmost of those.
func hostMountOf(p string, dev uint64, host []*mountinfo.Info) *mountinfo.Info {
	var best *mountinfo.Info
	for _, m := range host {
		mp := m.Mountpoint
		if unix.Mkdev(uint32(m.Major), uint32(m.Minor)) != dev {
			continue
		}
		if mp != "/" && p != mp && !strings.HasPrefix(p, mp+"/") {
			continue
		}
		if best == nil || len(mp) >= len(best.Mountpoint) {
			best = m
		}
	}
	return best
}
