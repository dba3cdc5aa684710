package profiles

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// lines joins its arguments into a file, one a line, so that a case's
// line numbers can be read off the argument list (the first is line 1).
func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

// fakeHost is a host made of a path -> is-a-directory map and user and
// group tables. Glob matches over the map, as filepath.Glob would over the
// real tree.
type fakeHost struct {
	paths  map[string]bool
	users  map[string][2]int
	groups map[string]int
}

func (h fakeHost) Stat(p string) (fs.FileInfo, error) {
	isDir, ok := h.paths[p]
	if !ok {
		return nil, &fs.PathError{Op: "stat", Path: p, Err: fs.ErrNotExist}
	}
	return fakeInfo{name: path.Base(p), dir: isDir}, nil
}

func (h fakeHost) Glob(pattern string) ([]string, error) {
	var out []string
	for p := range h.paths {
		ok, err := path.Match(pattern, p)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (h fakeHost) LookupUser(name string) (int, int, error) {
	if ids, ok := h.users[name]; ok {
		return ids[0], ids[1], nil
	}
	return -1, -1, fmt.Errorf("user: unknown user %s", name)
}

func (h fakeHost) LookupGroup(name string) (int, error) {
	if gid, ok := h.groups[name]; ok {
		return gid, nil
	}
	return -1, fmt.Errorf("group: unknown group %s", name)
}

type fakeInfo struct {
	name string
	dir  bool
}

func (fi fakeInfo) Name() string { return fi.name }
func (fi fakeInfo) Size() int64  { return 0 }
func (fi fakeInfo) Mode() fs.FileMode {
	if fi.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
func (fi fakeInfo) ModTime() time.Time { return time.Time{} }
func (fi fakeInfo) IsDir() bool        { return fi.dir }
func (fi fakeInfo) Sys() any           { return nil }

// testHost is a small Debian-like host.
func testHost() fakeHost {
	const dir, file = true, false
	return fakeHost{
		paths: map[string]bool{
			"/": dir, "/usr": dir, "/usr/bin": dir, "/usr/lib": dir, "/etc": dir, "/etc/ssh": dir,
			"/etc/passwd": file, "/etc/group": file, "/etc/shadow": file, "/etc/gshadow": file,
			"/etc/hosts": file, "/etc/resolv.conf": file, "/etc/ssh/ssh_host_ed25519_key": file,
			"/etc/ssh/sshd_config": file, "/srv": dir, "/srv/www": dir, "/srv/www/static": dir,
			"/srv/config.json": file, "/home": dir, "/home/alice": dir, "/home/alice/.ssh": dir,
			"/var": dir, "/var/log": dir, "/root": dir, "/dev/null": file,
			"/srv/www/app.json": file, "/srv/state": dir, "/srv/state/other": dir,
			"/proc": dir, "/proc/sys": dir, "/sys": dir, "/sys/fs": dir,
		},
		users:  map[string][2]int{"www-data": {33, 33}, "alice": {1000, 1000}, "root": {0, 0}},
		groups: map[string]int{"www-data": 33, "adm": 4, "alice": 1000, "root": 0},
	}
}

// mapLoader loads profiles from an in-memory library; files maps names
// such as "p.toml" or "base/x.toml" to their text.
func mapLoader(files map[string]string, h Host) Loader {
	lib := fstest.MapFS{}
	for name, text := range files {
		lib[name] = &fstest.MapFile{Data: []byte(text)}
	}
	return Loader{Library: lib, Host: h}
}

// want describes one expected problem: "FILE:LINE" as Pos.String prints
// it, the key exactly, a substring of the message, and whether it is a
// warning.
type want struct {
	pos, key, msg string
	warning       bool
}

func (w want) String() string {
	kind := "error"
	if w.warning {
		kind = "warning"
	}
	return fmt.Sprintf("%s %s: %s: ...%s...", kind, w.pos, w.key, w.msg)
}

func (w want) matches(p Problem) bool {
	return p.Pos.String() == w.pos && p.Key == w.key && strings.Contains(p.Msg, w.msg) && p.Warning == w.warning
}

// checkProblems requires got to be exactly wants, in order.
func checkProblems(t *testing.T, got Problems, wants []want) {
	t.Helper()
	ok := len(got) == len(wants)
	for i := 0; ok && i < len(wants); i++ {
		ok = wants[i].matches(got[i])
	}
	if ok {
		return
	}
	var g, w []string
	for _, p := range got {
		prefix := "error   "
		if p.Warning {
			prefix = "warning "
		}
		g = append(g, prefix+p.String())
	}
	for _, x := range wants {
		w = append(w, x.String())
	}
	t.Errorf("problems differ\n got (%d):\n\t%s\nwant (%d):\n\t%s", len(got), strings.Join(g, "\n\t"), len(wants), strings.Join(w, "\n\t"))
}
