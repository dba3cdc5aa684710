package profiles

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/BurntSushi/toml"

	"github.com/fsviews/fsviews/internal/suggest"
)

// Loader finds, reads and validates profiles.
type Loader struct {
	// SearchDirs are searched, in order, for a profile named by bare name
	// ("nginx" means DIR/nginx.toml); the bundled Library comes after them.
	SearchDirs []string
	// Library holds the bundled profiles; nil for none.
	Library fs.FS
	// Host answers questions about the host (do sources exist, who is
	// "www-data"); nil skips those checks.
	Host Host
	// Trust, when set, must accept every profile file, include and
	// [[file]] source on disk before it is used (Trusted, for root).
	Trust func(path string) error

	// bare is set while find sorts the available names into those that
	// load and those that do not: a profile of either kind may include a
	// missing name, whose find must not sort them again.
	bare bool
}

// source is one profile file, on disk or in the bundled library.
type source struct {
	display string // how messages name it
	id      string // identity for include-cycle detection
	lib     bool   // path is inside Library
	path    string
}

// layer is one decoded file; includes come before the file that names them.
type layer struct {
	src  source
	raw  rawProfile
	keys keyLines
}

// Load reads the profile ref (a path, or a bare name looked up in the
// search path and the library), merges its includes and validates it. The
// profile is nil when any problem is an error; problems holds the warnings
// either way.
func (l Loader) Load(ref string) (*Profile, Problems) {
	src, probs := l.find(ref)
	if probs != nil {
		return nil, probs
	}
	layers, probs := l.readLayers(src, nil, Pos{}, map[string]bool{})
	if layers == nil {
		return nil, probs
	}
	p, more := build(src, layers)
	probs = dropMisspeltMissing(append(probs, more...))
	if l.Host != nil {
		probs = append(probs, CheckHost(p, l.Host)...)
	}
	if l.Trust != nil {
		for _, f := range p.Files {
			if f.Source == "" {
				continue
			}
			if err := l.Trust(f.Source); err != nil && !errors.Is(err, fs.ErrNotExist) {
				probs = append(probs, Problem{Pos: f.Pos, Key: "[[file]] source", Msg: fmt.Sprintf("refusing %s: %v", f.Source, err)})
			}
		}
	}
	probs.sort()
	if probs.Errors() != nil {
		return nil, probs
	}
	return p, probs
}

func (l Loader) find(ref string) (source, Problems) {
	if ref == "" {
		return source{}, Problems{{Pos: Pos{File: "(command line)"}, Msg: "no profile named: give a path or a bundled profile name such as \"minimal\""}}
	}
	if strings.ContainsRune(ref, '/') || strings.HasSuffix(ref, ".toml") {
		return diskSource(ref), nil
	}
	for _, dir := range l.SearchDirs {
		p := filepath.Join(dir, ref+".toml")
		if _, err := os.Stat(p); err == nil {
			return diskSource(p), nil
		}
	}
	if l.Library != nil {
		if _, err := fs.Stat(l.Library, ref+".toml"); err == nil {
			return source{display: "library:" + ref + ".toml", id: "library:" + ref + ".toml", lib: true, path: ref + ".toml"}, nil
		}
	}
	names := l.Available()
	where := "the bundled library"
	if len(l.SearchDirs) > 0 {
		where = strings.Join(l.SearchDirs, ", ") + " or " + where
	}
	msg := fmt.Sprintf("no profile named %q in %s", ref, where)
	if l.bare {
		return source{}, Problems{{Pos: Pos{File: ref}, Msg: msg}}
	}
	// Only a profile that loads is worth suggesting: one with errors
	// would fail next, with more to read.
	good, broken := l.sortLoadable(names)
	if best := suggest.Closest(ref, good); best != "" {
		msg += fmt.Sprintf("; did you mean %q?", best)
	}
	msg += "; available: " + strings.Join(good, ", ")
	if len(broken) > 0 {
		msg += "; with errors (fsviews check NAME says which): " + strings.Join(broken, ", ")
	}
	return source{}, Problems{{Pos: Pos{File: ref}, Msg: msg}}
}

// sortLoadable splits names into the profiles that load without an error
// and those that do not.
func (l Loader) sortLoadable(names []string) (good, broken []string) {
	l.bare = true
	for _, n := range names {
		if p, _ := l.Load(n); p != nil {
			good = append(good, n)
		} else {
			broken = append(broken, n)
		}
	}
	return good, broken
}

// Text returns the text of a file Load read, named as Profile.FilesRead
// names it ("library:base/libc.toml" or a path), for fsviews profiles show.
func (l Loader) Text(display string) ([]byte, error) {
	if p, ok := strings.CutPrefix(display, "library:"); ok {
		if l.Library == nil {
			return nil, fmt.Errorf("%s: no bundled library", display)
		}
		return fs.ReadFile(l.Library, p)
	}
	return os.ReadFile(display)
}

// Available lists the profile names that Load accepts as bare names.
func (l Loader) Available() []string {
	seen := map[string]bool{}
	for _, dir := range l.SearchDirs {
		matches, _ := filepath.Glob(filepath.Join(dir, "*.toml"))
		for _, m := range matches {
			seen[strings.TrimSuffix(filepath.Base(m), ".toml")] = true
		}
	}
	if l.Library != nil {
		matches, _ := fs.Glob(l.Library, "*.toml")
		for _, m := range matches {
			seen[strings.TrimSuffix(m, ".toml")] = true
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// diskSource names the file at p by device and inode where it exists, so
// that the same file reached through two names (a symlink loop such as
// d -> ., then d/d/x.toml) is one file to the cycle and repeat checks.
func diskSource(p string) source {
	id, err := filepath.Abs(p)
	if err != nil {
		id = p
	}
	if fi, err := os.Stat(p); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			id = fmt.Sprintf("inode:%d:%d", st.Dev, st.Ino)
		}
	}
	return source{display: p, id: id, path: p}
}

// maxIncludes bounds the files one profile may pull in: with each file
// read once, only a wide tree could grow past it, and no profile needs
// that many.
const maxIncludes = 64

func (l Loader) read(src source) ([]byte, error) {
	if src.lib {
		return fs.ReadFile(l.Library, src.path)
	}
	return os.ReadFile(src.path)
}

// include resolves name relative to the including file. A relative name
// that does not exist beside a file on disk falls back to the bundled
// library, so that /etc/fsviews/app.toml can include "base/libc.toml".
func (l Loader) include(from source, name string) source {
	if from.lib {
		p := path.Clean(path.Join(path.Dir(from.path), name))
		return source{display: "library:" + p, id: "library:" + p, lib: true, path: p}
	}
	p := name
	if !filepath.IsAbs(name) {
		p = filepath.Join(filepath.Dir(from.path), name)
	}
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) && !filepath.IsAbs(name) && l.Library != nil {
		libPath := path.Clean(name)
		if _, err := fs.Stat(l.Library, libPath); err == nil {
			return source{display: "library:" + libPath, id: "library:" + libPath, lib: true, path: libPath}
		}
	}
	return diskSource(p)
}

// readLayers decodes src and, depth first, the files it includes. from is
// where src was included, so that a missing include is reported there.
// stack is the chain of files including src, for cycles; seen holds every
// file read so far: a file included a second time is skipped (its keys
// are in already), which keeps a chain of files each including the next
// twice linear instead of exponential.
func (l Loader) readLayers(src source, stack []source, from Pos, seen map[string]bool) ([]layer, Problems) {
	if i := slices.IndexFunc(stack, func(s source) bool { return s.id == src.id }); i >= 0 {
		var chain []string
		for _, s := range stack[i:] {
			chain = append(chain, s.display)
		}
		chain = append(chain, src.display)
		return nil, Problems{{Pos: from, Key: "include",
			Msg: "include cycle: " + strings.Join(chain, " -> ") + "; remove one of these includes"}}
	}
	if seen[src.id] {
		return nil, nil
	}
	if len(seen) >= maxIncludes {
		return nil, Problems{{Pos: from, Key: "include",
			Msg: fmt.Sprintf("more than %d files included; a profile needs a few bases: merge or drop includes", maxIncludes)}}
	}
	seen[src.id] = true
	if l.Trust != nil && !src.lib {
		if err := l.Trust(src.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			at := from
			if at.File == "" {
				at = Pos{File: src.display}
			}
			return nil, Problems{{Pos: at, Key: keyIf(from.File != "", "include"), Msg: fmt.Sprintf("refusing %s: %v", src.display, err)}}
		}
	}
	data, err := l.read(src)
	if err != nil {
		if from.File != "" {
			return nil, Problems{{Pos: from, Key: "include", Msg: fmt.Sprintf("cannot include %s: %v; include paths are relative to the including file", src.display, err)}}
		}
		msg := fmt.Sprintf("cannot read profile: %v", err)
		if errors.Is(err, fs.ErrNotExist) {
			msg = "no such profile file; check the path, or name a bundled profile without a path (fsviews profiles lists them)"
		}
		return nil, Problems{{Pos: Pos{File: src.display}, Msg: msg}}
	}
	var raw rawProfile
	keys := scanKeyLines(data)
	md, err := toml.Decode(string(data), &raw)
	var perr toml.ParseError
	if err != nil && !errors.As(err, &perr) {
		return nil, typeProblems(src.display, string(data), err, keys)
	}
	if err != nil {
		return nil, Problems{decodeProblem(src.display, err, keys)}
	}
	if probs := caseProblems(src.display, md, keys); probs != nil {
		// What the decoder made of the file depends on map order: build
		// nothing from it, as for a syntax error.
		return nil, append(probs, unknownKeys(src.display, md, keys)...)
	}
	probs := unknownKeys(src.display, md, keys)
	var layers []layer
	for _, inc := range raw.Include {
		at := Pos{File: src.display, Line: keys.line("include")}
		if strings.TrimSpace(inc) == "" {
			probs = append(probs, Problem{Pos: at, Key: "include", Msg: "empty include path; name a profile file such as \"base/libc.toml\""})
			continue
		}
		sub, subProbs := l.readLayers(l.include(src, inc), append(stack, src), at, seen)
		probs = append(probs, subProbs...)
		layers = append(layers, sub...)
	}
	return append(layers, layer{src: src, raw: raw, keys: keys}), probs
}

func decodeProblem(file string, err error, keys keyLines) Problem {
	var perr toml.ParseError
	if errors.As(err, &perr) {
		msg := perr.Message
		if perr.Usage != "" {
			msg += " (" + strings.TrimSpace(perr.Usage) + ")"
		}
		key := ""
		if perr.LastKey != "" {
			key = humanKey(perr.LastKey)
		}
		return Problem{Pos: Pos{File: file, Line: perr.Position.Line}, Key: key,
			Msg: "TOML syntax: " + msg + "; see docs/profiles.md for the format"}
	}
	// The decoder's errors for a value of the wrong type are plain
	// errors, not ParseErrors: "toml: line 3 (last key "command"):
	// incompatible types: ...".
	if m := typeErrorPattern().FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		// The decoder names the key without array indexes ("bind.mode");
		// the line tells which [[bind]] it was.
		found, indexed := keys.findAt(m[2], line)
		if line == 0 {
			line = found
		}
		return Problem{Pos: Pos{File: file, Line: line}, Key: humanKey(indexed),
			Msg: "wrong type: " + m[3] + "; see docs/profiles.md for the format"}
	}
	return Problem{Pos: Pos{File: file}, Msg: "TOML: " + err.Error() + "; see docs/profiles.md for the format"}
}

// caseProblems reports keys that match a key of the format only when
// case is ignored. The decoder matches struct fields case-insensitively,
// so [security] User = "root" would quietly set user, and with both
// "user" and "User" in one table the one that wins would depend on map
// order.
func caseProblems(file string, md toml.MetaData, keys keyLines) Problems {
	var probs Problems
	var reported []string
	for _, k := range md.Keys() {
		if plainKey(k[len(k)-1]) {
			// Every known key is plain too, and two plain keys are
			// equal under case folding only when equal: no finding, and
			// no work for the thousands of keys of a large profile.
			continue
		}
		full := strings.Join(k, ".")
		if slices.ContainsFunc(reported, func(r string) bool { return full == r || strings.HasPrefix(full, r+".") }) {
			continue
		}
		table, name := strings.Join(k[:len(k)-1], "."), k[len(k)-1]
		for _, known := range knownKeys(table) {
			if name != known && strings.EqualFold(name, known) {
				reported = append(reported, full)
				line, indexed := keys.find(full)
				probs = append(probs, Problem{Pos: Pos{File: file, Line: line}, Key: humanKey(indexed),
					Msg: fmt.Sprintf("unknown key %q; did you mean %q? (keys are case-sensitive)", name, known)})
				break
			}
		}
	}
	return probs
}

// plainKey reports whether name is made of lower-case ASCII letters,
// digits and '_' only, as every known key is.
func plainKey(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// unknownKeys turns keys the decoder did not use into problems, each with
// the closest known key. A misspelt table is reported once, not once per
// key inside it.
func unknownKeys(file string, md toml.MetaData, keys keyLines) Problems {
	var probs Problems
	var reported []string
	for _, k := range md.Undecoded() {
		full := strings.Join(k, ".")
		if slices.ContainsFunc(reported, func(r string) bool { return strings.HasPrefix(full, r+".") }) {
			continue
		}
		reported = append(reported, full)
		table, name := strings.Join(k[:len(k)-1], "."), k[len(k)-1]
		line, indexed := keys.find(full)
		msg := fmt.Sprintf("unknown key %q", name)
		known := knownKeys(table)
		if best := suggest.Closest(name, known); best != "" {
			msg += fmt.Sprintf("; did you mean %q?", best)
		} else if len(known) > 0 {
			where := "the top level"
			if table != "" {
				where = "[" + table + "]"
			}
			msg += fmt.Sprintf("; %s accepts: %s", where, strings.Join(known, ", "))
		}
		probs = append(probs, Problem{Pos: Pos{File: file, Line: line}, Key: humanKey(indexed), Msg: msg})
	}
	return probs
}

// dropMisspeltMissing leaves out "missing" for a key that an unknown key
// of the same entry was probably meant to be: "sorce" in a [[bind]] is
// reported once, as unknown with "did you mean \"source\"?", not also as
// "source: missing".
func dropMisspeltMissing(probs Problems) Problems {
	meant := map[string]bool{}
	for _, pr := range probs {
		_, guess, ok := strings.Cut(pr.Msg, `did you mean "`)
		if !ok || !strings.HasPrefix(pr.Msg, "unknown key") {
			continue
		}
		guess, _, _ = strings.Cut(guess, `"`)
		entry := pr.Key[:strings.LastIndexAny(pr.Key, " .")+1]
		meant[pr.Pos.File+"\x00"+entry+guess] = true
	}
	kept := probs[:0:0]
	for _, pr := range probs {
		if strings.HasPrefix(pr.Msg, "missing") && meant[pr.Pos.File+"\x00"+pr.Key] {
			continue
		}
		kept = append(kept, pr)
	}
	return kept
}

func keyIf(cond bool, key string) string {
	if cond {
		return key
	}
	return ""
}
