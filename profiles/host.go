package profiles

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// Host answers the questions validation asks about the machine.
type Host interface {
	Stat(path string) (fs.FileInfo, error)
	Glob(pattern string) ([]string, error)
	LookupUser(name string) (uid, gid int, err error)
	LookupGroup(name string) (gid int, err error)
}

// OSHost is the real host.
type OSHost struct{}

func (OSHost) Stat(p string) (fs.FileInfo, error)    { return os.Stat(p) }
func (OSHost) Glob(pattern string) ([]string, error) { return filepath.Glob(pattern) }

func (OSHost) LookupUser(name string) (int, int, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return -1, -1, err
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return -1, -1, err
	}
	gid, err := strconv.Atoi(u.Gid)
	return uid, gid, err
}

func (OSHost) LookupGroup(name string) (int, error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return -1, err
	}
	return strconv.Atoi(g.Gid)
}

// secrets are host paths that no daemon should see unless its profile
// names them on purpose.
func secrets() []string {
	return []string{
		"/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/ssh/ssh_host_*_key",
		"/root/.ssh", "/home/*/.ssh", "/etc/fsviews", "/var/lib/fsviews",
	}
}

// CheckHost checks what depends on this machine: sources exist, users and
// groups resolve; it fills Security.UID and GID and warns about binds
// that expose secrets or make system directories writable.
func CheckHost(p *Profile, h Host) Problems {
	var probs Problems
	errorf := func(pos Pos, key, format string, args ...any) {
		probs = append(probs, Problem{Pos: pos, Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	warnf := func(pos Pos, key, format string, args ...any) {
		probs = append(probs, Problem{Pos: pos, Key: key, Msg: fmt.Sprintf(format, args...), Warning: true})
	}

	var exposed []string
	for _, pattern := range secrets() {
		if !anyMayExpose(p.Binds, pattern) {
			continue
		}
		matches, _ := h.Glob(pattern)
		exposed = append(exposed, matches...)
	}
	for _, b := range p.Binds {
		fi, err := h.Stat(b.Source)
		switch {
		case err != nil && b.Optional:
			warnf(b.Pos, "[[bind]] source", "optional source %s is missing (%v): the bind will be skipped", b.Source, unwrapPathError(err))
			continue
		case err != nil:
			errorf(b.Pos, "[[bind]] source", "%s: %v: create it on the host, fix the path, or mark the bind optional = true", b.Source, unwrapPathError(err))
			continue
		case !fi.IsDir():
			for _, other := range p.entries() {
				if strings.HasPrefix(other.target, b.Target+"/") {
					errorf(b.Pos, "[[bind]] target", "%s binds the file %s, yet %s sets up %s below it: bind a directory, or move %s", b.Target, b.Source, other.what, other.target, other.target)
				}
			}
		}
		if b.Mode == ReadWrite {
			for _, sys := range []string{"/", "/etc", "/home", "/root", "/usr", "/boot", "/var"} {
				if b.Source == sys {
					warnf(b.Pos, "[[bind]] mode", "read-write bind of %s lets the daemon change the host's %s: bind it \"ro\", or bind only the subdirectory it writes", sys, sys)
				}
			}
		}
		for _, s := range exposed {
			if s == b.Source || strings.HasPrefix(s, strings.TrimSuffix(b.Source, "/")+"/") {
				warnf(b.Pos, "[[bind]] source", "binding %s shows the secret %s to the daemon: bind only the files it needs", b.Source, s)
			}
		}
	}
	for _, f := range p.Files {
		if f.Source == "" {
			continue
		}
		fi, err := h.Stat(f.Source)
		switch {
		case err != nil:
			errorf(f.Pos, "[[file]] source", "%s: %v: fix the path, or write the text with content = \"...\"", f.Source, unwrapPathError(err))
		case !fi.Mode().IsRegular():
			errorf(f.Pos, "[[file]] source", "%s is not a regular file: [[file]] copies files; use [[bind]] for directories", f.Source)
		}
	}

	if pr, bad := checkCommand(p, h); bad {
		probs = append(probs, pr)
	}

	for _, sock := range p.Logging.Sockets() {
		if _, err := h.Stat(sock); err != nil {
			errorf(p.Logging.Pos, "[logging]", "%s: %v: this host has no such logging socket (is journald running?); remove the key", sock, unwrapPathError(err))
		}
	}

	s := &p.Security
	if s.User != "" {
		uid, gid, err := lookupUser(h, s.User)
		if err != nil {
			errorf(s.UserPos, "[security] user", "%v: create the user on the host (useradd --system %s) or give a numeric uid", err, s.User)
		}
		s.UID, s.GID = uid, gid
	}
	if s.Group != "" {
		gid, err := lookupGroup(h, s.Group)
		if err != nil {
			errorf(s.GroupPos, "[security] group", "%v: create the group on the host (groupadd --system %s) or give a numeric gid", err, s.Group)
		}
		s.GID = gid
	}
	return probs
}

// anyMayExpose reports whether some bind could show a match of the
// secret pattern, so that CheckHost globs only patterns that can matter:
// globbing all of them (/home/*/.ssh reads /home) cost every load a few
// directory reads, which showed in the start-up of every run.
//
// Every match lies below the pattern's fixed leading directory (/home for
// /home/*/.ssh; the whole path when it has no wildcard). A bind exposes a
// match at or below its source, so only a source on the same line of
// descent as that directory, above it, equal to it or below it, can
// expose one; a source elsewhere never can.
func anyMayExpose(binds []Bind, pattern string) bool {
	fixed := pattern
	if i := strings.IndexAny(pattern, `*?[\`); i >= 0 {
		fixed = path.Dir(pattern[:i])
	}
	for _, b := range binds {
		if isWithin(fixed, b.Source) || isWithin(b.Source, fixed) {
			return true
		}
	}
	return false
}

// isWithin reports whether p is dir or lies below it.
func isWithin(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

func lookupUser(h Host, name string) (int, int, error) {
	if n, err := strconv.Atoi(name); err == nil && n >= 0 {
		// A bare uid keeps gid = uid unless group says otherwise, as
		// systemd's User= does for numeric ids.
		return n, n, nil
	}
	uid, gid, err := h.LookupUser(name)
	if err != nil {
		return -1, -1, fmt.Errorf("unknown user %q", name)
	}
	return uid, gid, nil
}

func lookupGroup(h Host, name string) (int, error) {
	if n, err := strconv.Atoi(name); err == nil && n >= 0 {
		return n, nil
	}
	gid, err := h.LookupGroup(name)
	if err != nil {
		return -1, fmt.Errorf("unknown group %q", name)
	}
	return gid, nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
