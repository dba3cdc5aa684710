package profiles

import (
	"fmt"
	"path"
	"strings"
)

// checkCommand reports a profile's program that the host does not have.
// A library profile names its daemon by absolute path (/usr/sbin/nginx);
// on a host without the package the view is built correctly and only the
// final exec fails, or, when the package also owns a bound directory
// (/etc/nginx), a missing bind source is reported instead: both read as
// a problem with the view, not with the host. So the program is looked up
// on the host through the profile's binds, and a missing one is named.
func checkCommand(p *Profile, h Host) (Problem, bool) {
	if len(p.Command) == 0 || !path.IsAbs(p.Command[0]) {
		return Problem{}, false
	}
	prog := p.Command[0]
	hostPath, bind, ok := p.HostPath(prog)
	if !ok {
		// The program lives in the view's own files (a [[file]], a
		// state dir): only the run can tell.
		return Problem{}, false
	}
	via := ""
	if hostPath != prog {
		via = fmt.Sprintf(" (the view shows it from %s, through the bind of %s)", hostPath, bind)
	}
	fi, err := h.Stat(hostPath)
	switch {
	case err != nil:
		return Problem{Pos: p.CommandPos, Key: "command", Msg: fmt.Sprintf(
			"%s is not installed on this host%s: %v: install the package providing %s (apt-file search %s names it), or fix the path",
			prog, via, unwrapPathError(err), hostPath, hostPath)}, true
	case fi.IsDir() || fi.Mode().Perm()&0o111 == 0:
		return Problem{Pos: p.CommandPos, Key: "command", Msg: fmt.Sprintf(
			"%s is not an executable file on this host%s: name the program itself, or make it executable", prog, via)}, true
	}
	return Problem{}, false
}

// HostPath maps a view path to the host path a [[bind]] shows there,
// following the profile's own [[symlink]]s (such as /sbin -> usr/sbin)
// on the way. bind is the target of the bind that covers it. ok is false
// when the innermost thing the view sets up at or above the path is not a
// bind: the path is then in the root, a tmpfs, a state dir or a file the
// profile writes, and has no host counterpart.
func (p *Profile) HostPath(viewPath string) (hostPath, bind string, ok bool) {
	cur := path.Clean(viewPath)
	// A chain of links longer than the profile's symlinks is a loop.
	for range len(p.Symlinks) + 1 {
		moved := false
		for _, s := range p.Symlinks {
			rest, below := cutDir(cur, s.Target)
			if !below {
				continue
			}
			to := s.To
			if !path.IsAbs(to) {
				to = path.Join(path.Dir(s.Target), to)
			}
			cur, moved = path.Join(to, rest), true
			break
		}
		if !moved {
			break
		}
	}
	// The innermost thing the view sets up at or above the path decides:
	// a tmpfs or a file inside a bound directory hides what the bind shows.
	best := viewEntry{}
	for _, e := range p.entries() {
		if _, below := cutDir(cur, e.target); below && len(e.target) > len(best.target) {
			best = e
		}
	}
	if best.what != "[[bind]]" {
		return "", "", false
	}
	for _, b := range p.Binds {
		if b.Target == best.target {
			rest, _ := cutDir(cur, b.Target)
			return path.Join(b.Source, rest), b.Target, true
		}
	}
	return "", "", false
}

// cutDir returns p relative to dir ("" for dir itself) when p is dir or
// below it.
func cutDir(p, dir string) (string, bool) {
	if p == dir {
		return "", true
	}
	if dir == "/" {
		return strings.TrimPrefix(p, "/"), true
	}
	rest, ok := strings.CutPrefix(p, dir+"/")
	return rest, ok
}
