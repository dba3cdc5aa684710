package profiles

import (
	"sort"
	"strings"
)

// viewEntry is anything that occupies a path in the view.
type viewEntry struct {
	target string
	what   string // "[[bind]]", "[proc]", ...
	pos    Pos
	leaf   bool // a symlink or a file: nothing can live below it
}

func (b *builder) crossChecks() {
	p := b.p
	if !b.nameSet && !validName(p.Name) {
		b.errorf(p.Origin, "name", "the profile name %q (from the file name) cannot name a state directory: set name = \"...\" with letters, digits, '.', '_' and '-'", p.Name)
	}
	if p.Hostname != "" && !p.Namespaces.UTS {
		b.errorf(b.hostPos, "hostname", "setting a hostname needs its own UTS namespace: add uts = true under [namespaces]")
	}
	if p.Namespaces.AsPID1 && !p.Namespaces.PID {
		b.errorf(b.asPID1Pos, "[namespaces] as_pid_1", "as_pid_1 needs a PID namespace: remove pid = false under [namespaces]")
	}
	if p.Security.Group != "" && p.Security.User == "" {
		b.errorf(p.Security.GroupPos, "[security] group", "group without user: set user as well, or leave both out to keep the caller's")
	}

	entries := p.entries()
	first := map[string]viewEntry{}
	for _, e := range entries {
		if prev, dup := first[e.target]; dup {
			b.errorf(e.pos, e.what+" target", "%s is already used by %s at %s: each view path can be set up once; remove one of them", e.target, prev.what, prev.pos)
			continue
		}
		first[e.target] = e
	}
	for _, e := range entries {
		for dir := parentOf(e.target); dir != "/"; dir = parentOf(dir) {
			anc, ok := first[dir]
			if !ok {
				continue
			}
			switch {
			case anc.what == "[[symlink]]":
				b.errorf(e.pos, e.what+" target", "%s is below %s, which this profile makes a symlink (%s): name the directory the link points to instead", e.target, dir, anc.pos)
			case anc.leaf:
				b.errorf(e.pos, e.what+" target", "%s is below %s, which %s at %s makes a file", e.target, dir, anc.what, anc.pos)
			case anc.what == "[proc]":
				b.errorf(e.pos, e.what+" target", "%s is below /proc, which the kernel owns: mount it elsewhere", e.target)
			}
		}
	}
}

// writableSourceChecks refuses a source the jail itself could replace: one
// below a read-write bind of the same profile, or below the state root. A
// jail writing there could swap it for a link or other files before the
// next start (fsviews never follows such a link, but the profile would
// then depend on what the jail left).
func (b *builder) writableSourceChecks() {
	p := b.p
	stateRoot := DefaultStateRoot
	if p.StateRoot != "" {
		stateRoot = p.StateRoot
	}
	// Only the read-write binds can hold a source, and a profile has few
	// of them: each source is checked against those, not against every
	// bind (quadratic in the binds, most of a 1000-bind profile's load).
	type writable struct {
		bind   Bind
		prefix string
	}
	var rw []writable
	for _, w := range p.Binds {
		if w.Mode == ReadWrite {
			rw = append(rw, writable{w, strings.TrimSuffix(w.Source, "/") + "/"})
		}
	}
	statePrefix := strings.TrimSuffix(stateRoot, "/") + "/"
	check := func(src string, pos Pos, key string) {
		for _, w := range rw {
			if w.bind.Source != src && strings.HasPrefix(src, w.prefix) {
				b.errorf(pos, key, "%s lies inside %s, which the jail can write through its read-write bind (%s): it could replace the source before the next start; bind a path outside it, or make that bind read-only", src, w.bind.Source, w.bind.Pos)
				return
			}
		}
		if src == stateRoot || strings.HasPrefix(src, statePrefix) {
			b.errorf(pos, key, "%s lies inside the state root %s, where jails write their state: bind a path outside it", src, stateRoot)
		}
	}
	for _, x := range p.Binds {
		check(x.Source, x.Pos, "[[bind]] source")
	}
	for _, x := range p.Files {
		if x.Source != "" {
			check(x.Source, x.Pos, "[[file]] source")
		}
	}
}

// viewEntries lists every target in a stable order: by path, then as written.
func (p *Profile) entries() []viewEntry {
	var es []viewEntry
	for _, x := range p.Binds {
		es = append(es, viewEntry{x.Target, "[[bind]]", x.Pos, false})
	}
	for _, x := range p.Tmpfs {
		es = append(es, viewEntry{x.Target, "[[tmpfs]]", x.Pos, false})
	}
	for _, x := range p.States {
		es = append(es, viewEntry{x.Target, "[[state]]", x.Pos, false})
	}
	for _, x := range p.Dirs {
		es = append(es, viewEntry{x.Target, "[[dir]]", x.Pos, false})
	}
	for _, x := range p.Symlinks {
		es = append(es, viewEntry{x.Target, "[[symlink]]", x.Pos, true})
	}
	for _, x := range p.Files {
		es = append(es, viewEntry{x.Target, "[[file]]", x.Pos, true})
	}
	if p.Proc != nil {
		es = append(es, viewEntry{"/proc", "[proc]", p.Proc.Pos, false})
	}
	if p.Dev != nil {
		es = append(es, viewEntry{"/dev", "[dev]", p.Dev.Pos, false})
	}
	for _, s := range p.Logging.Sockets() {
		es = append(es, viewEntry{s, "[logging]", p.Logging.Pos, true})
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].target < es[j].target })
	return es
}

func parentOf(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}
