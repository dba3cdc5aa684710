package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// view is the benchmark's view, built the same way by every tool: /usr
// read-only, the bin/sbin/lib/lib64 links into it, /proc, a minimal /dev,
// a tmpfs /tmp, and binds extra read-only binds of bindSrc at /b/0..; the
// root read-only once built. fsviews and bwrap also drop every capability
// (bwrap keeps its bounding set, fsviews empties it); plain drops nothing.
type view struct {
	binds   int
	bindSrc string
	pid     bool
}

func (v view) String() string {
	s := "base view"
	if v.binds > 0 {
		s = fmt.Sprintf("%d ro binds", v.binds)
	}
	if v.pid {
		s += " + pid ns"
	}
	return s
}

// tools knows where the binaries under test are.
type tools struct {
	fsviews  string
	plain    string
	plainDir string // empty dir the plain recipe mounts its root over
	tmp      string // scratch dir for profiles
	pidOK    bool   // fsviews accepts [namespaces] pid = true
	pidWhy   string // why not, in fsviews' words
}

const pidUnavailable = "not available in this build"

// fsviewsProfile writes the view as a profile and returns its path.
func (t *tools) fsviewsProfile(v view, command ...string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "name = \"bench\"\ncommand = %s\n", tomlArray(command))
	b.WriteString(`
[[bind]]
source = "/usr"
[[symlink]]
target = "/bin"
to = "usr/bin"
[[symlink]]
target = "/sbin"
to = "usr/sbin"
[[symlink]]
target = "/lib"
to = "usr/lib"
[[symlink]]
target = "/lib64"
to = "usr/lib64"
[proc]
[dev]
[[tmpfs]]
target = "/tmp"
[security]
capabilities = []
`)
	for i := 0; i < v.binds; i++ {
		fmt.Fprintf(&b, "[[bind]]\nsource = %q\ntarget = \"/b/%d\"\n", v.bindSrc, i)
	}
	// Said either way: a PID namespace is the default since December
	// 2026, and the rows without one compare with bwrap without one.
	fmt.Fprintf(&b, "[namespaces]\npid = %v\n", v.pid)
	name := fmt.Sprintf("view-%d-%v-%s.toml", v.binds, v.pid, strings.ReplaceAll(strings.Join(command, "_"), "/", ""))
	p := filepath.Join(t.tmp, name)
	return p, os.WriteFile(p, []byte(b.String()), 0o644)
}

func tomlArray(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = fmt.Sprintf("%q", w)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func bwrapArgs(v view, command ...string) []string {
	a := []string{"bwrap", "--ro-bind", "/usr", "/usr",
		"--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
		"--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
		"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--cap-drop", "ALL"}
	if v.pid {
		a = append(a, "--unshare-pid")
	}
	for i := 0; i < v.binds; i++ {
		a = append(a, "--ro-bind", v.bindSrc, fmt.Sprintf("/b/%d", i))
	}
	// As fsviews leaves it: the root read-only once everything is in
	// place (bwrap runs its options in order, so this comes last).
	return append(append(a, "--remount-ro", "/"), command...)
}

func (t *tools) plainArgs(v view, command ...string) []string {
	a := []string{t.plain, t.plainDir}
	if v.pid {
		a = append(a, "--pid")
	}
	if v.binds > 0 {
		a = append(a, "--binds", fmt.Sprint(v.binds), v.bindSrc)
	}
	return append(append(a, "--"), command...)
}

// trio returns the three tools' series for view v running command.
func (t *tools) trio(v view, command ...string) (fs, bw, pl *series, err error) {
	fs = newSeries("fsviews", t.fsviews, "run")
	if v.pid && !t.pidOK {
		fs.skip = pidUnavailable + " (" + t.pidWhy + ")"
	} else {
		p, err := t.fsviewsProfile(v, command...)
		if err != nil {
			return nil, nil, nil, err
		}
		fs.argv = append(fs.argv, p)
	}
	bw = newSeries("bwrap", bwrapArgs(v, command...)...)
	pl = newSeries("plain", t.plainArgs(v, command...)...)
	return fs, bw, pl, nil
}
