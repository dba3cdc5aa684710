package profiles

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/fsviews/fsviews/caps"
)

// builder folds layers into a Profile, collecting every problem.
type builder struct {
	p     *Profile
	probs Problems
	// where each scalar was last set, for conflicting-value messages
	capsSet   bool
	nameSet   bool // a layer set name, so the file name does not matter
	hostPos   Pos
	asPID1Pos Pos
	conf      confineState // [seccomp], [limits], [landlock]
}

func build(top source, layers []layer) (*Profile, Problems) {
	b := &builder{p: &Profile{
		Name:       strings.TrimSuffix(path.Base(filepath.ToSlash(top.path)), ".toml"),
		Origin:     Pos{File: top.display},
		Workdir:    "/",
		Root:       Root{Mode: 0o755},
		Env:        Env{Clear: true, Set: map[string]string{}},
		Security:   Security{NoNewPrivs: true, UID: -1, GID: -1},
		Namespaces: Namespaces{Net: NetHost, PID: true, Cgroup: true},
	}}
	for _, l := range layers {
		b.p.FilesRead = append(b.p.FilesRead, l.src.display)
		b.layer(l)
	}
	if !b.capsSet {
		b.p.Security.Caps = DefaultCaps()
	}
	b.crossChecks()
	b.writableSourceChecks()
	b.procChecks()
	b.defaultSeccomp()
	b.confineChecks()
	b.cgroupChecks()
	return b.p, b.probs
}

func (b *builder) errorf(pos Pos, key, format string, args ...any) {
	b.probs = append(b.probs, Problem{Pos: pos, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (b *builder) warnf(pos Pos, key, format string, args ...any) {
	b.probs = append(b.probs, Problem{Pos: pos, Key: key, Msg: fmt.Sprintf(format, args...), Warning: true})
}

// at returns the position and human name of key path in layer l.
func at(l layer, keyPath string) (Pos, string) {
	return Pos{File: l.src.display, Line: l.keys.line(keyPath)}, humanKey(keyPath)
}

func (b *builder) layer(l layer) {
	r, p := l.raw, b.p
	if r.Name != nil {
		pos, key := at(l, "name")
		if !validName(*r.Name) {
			b.errorf(pos, key, "bad name %q: use letters, digits, '.', '_' and '-' (it names the state directory)", *r.Name)
		}
		p.Name, b.nameSet = *r.Name, true
	}
	if r.Command != nil {
		pos, key := at(l, "command")
		if len(r.Command) == 0 || r.Command[0] == "" {
			b.errorf(pos, key, "empty command: name the program to run, e.g. command = [\"/usr/sbin/nginx\", \"-g\", \"daemon off;\"]")
		} else if !filepath.IsAbs(r.Command[0]) && strings.ContainsRune(r.Command[0], '/') {
			b.errorf(pos, key, "relative program path %q: use an absolute path inside the view, or a bare name looked up in PATH", r.Command[0])
		}
		p.Command, p.CommandPos = r.Command, pos
	}
	if r.Workdir != nil {
		pos, key := at(l, "workdir")
		if t, ok := b.viewPath(pos, key, *r.Workdir, true); ok {
			p.Workdir = t
		}
	}
	if r.Hostname != nil {
		pos, key := at(l, "hostname")
		if !validHostname(*r.Hostname) {
			b.errorf(pos, key, "bad hostname %q: use up to 64 letters, digits, '-' and '.'", *r.Hostname)
		}
		p.Hostname, b.hostPos = *r.Hostname, pos
	}
	if r.StateRoot != nil {
		pos, key := at(l, "state_root")
		if t, ok := b.hostPath(pos, key, *r.StateRoot); ok {
			p.StateRoot = t
		}
	}
	if r.Root != nil {
		b.root(l, *r.Root)
	}
	for i, rb := range r.Bind {
		b.bind(l, i, rb)
	}
	for i, rt := range r.Tmpfs {
		pos, key := at(l, indexedKey("tmpfs", i, "target"))
		t, ok := b.viewPath(pos, key, rt.Target, false)
		size := b.size(l, fmt.Sprintf("tmpfs#%d.size", i), rt.Size)
		mode := b.mode(l, fmt.Sprintf("tmpfs#%d.mode", i), rt.Mode, 0o1777)
		if ok {
			p.Tmpfs = append(p.Tmpfs, Tmpfs{Pos: pos, Target: t, Size: size, Mode: mode})
		}
	}
	for i, rs := range r.State {
		pos, key := at(l, indexedKey("state", i, "target"))
		t, ok := b.viewPath(pos, key, rs.Target, false)
		mode := b.mode(l, fmt.Sprintf("state#%d.mode", i), rs.Mode, 0o700)
		if ok {
			p.States = append(p.States, State{Pos: pos, Target: t, Mode: mode})
		}
	}
	for i, rd := range r.Dir {
		pos, key := at(l, indexedKey("dir", i, "target"))
		t, ok := b.viewPath(pos, key, rd.Target, false)
		mode := b.mode(l, fmt.Sprintf("dir#%d.mode", i), rd.Mode, 0o755)
		if ok {
			p.Dirs = append(p.Dirs, Dir{Pos: pos, Target: t, Mode: mode})
		}
	}
	for i, rs := range r.Symlink {
		pos, key := at(l, indexedKey("symlink", i, "target"))
		t, ok := b.viewPath(pos, key, rs.Target, false)
		if rs.To == "" {
			toPos, toKey := at(l, indexedKey("symlink", i, "to"))
			b.errorf(toPos, toKey, "missing: say where the link points, e.g. to = \"usr/bin\"")
			ok = false
		}
		if ok {
			p.Symlinks = append(p.Symlinks, Symlink{Pos: pos, Target: t, To: rs.To})
		}
	}
	for i, rf := range r.File {
		b.file(l, i, rf)
	}
	if r.Proc != nil {
		b.proc(l, *r.Proc)
	}
	if r.Dev != nil {
		pos, _ := at(l, "dev")
		p.Dev = &Mounted{Pos: pos}
	}
	if r.Env != nil {
		b.env(l, *r.Env)
	}
	if r.Security != nil {
		b.security(l, *r.Security)
	}
	if r.Namespaces != nil {
		b.namespaces(l, *r.Namespaces)
	}
	if r.Logging != nil {
		if r.Logging.Syslog != nil {
			p.Logging.Syslog = *r.Logging.Syslog
		}
		if r.Logging.Journal != nil {
			p.Logging.Journal = *r.Logging.Journal
		}
		p.Logging.Pos, _ = at(l, "logging")
	}
	b.confineLayer(l)
	b.cgroupLayer(l)
}

func (b *builder) root(l layer, r rawRoot) {
	if r.Size != nil {
		b.p.Root.Size = b.size(l, "root.size", r.Size)
	}
	if r.Mode != nil {
		b.p.Root.Mode = b.mode(l, "root.mode", r.Mode, 0o755)
	}
	if r.Writable != nil {
		b.p.Root.Writable = *r.Writable
	}
}

func (b *builder) bind(l layer, i int, rb rawBind) {
	srcPos, srcKey := at(l, indexedKey("bind", i, "source"))
	src, ok := b.hostPath(srcPos, srcKey, rb.Source)
	target := rb.Target
	tgtPos, tgtKey := at(l, indexedKey("bind", i, "target"))
	t, tok := src, ok
	if target != "" {
		t, tok = b.viewPath(tgtPos, tgtKey, target, false)
	} else if ok {
		tgtPos = srcPos
		t, tok = b.viewPath(srcPos, srcKey, src, false)
	}
	mode := ReadOnly
	switch rb.Mode {
	case "", "ro":
	case "rw":
		mode = ReadWrite
	default:
		pos, key := at(l, indexedKey("bind", i, "mode"))
		b.errorf(pos, key, "bad mode %q: use \"ro\" (read-only, the default) or \"rw\" (read-write)", rb.Mode)
	}
	if ok && mode == ReadWrite && kernelTree(src) {
		pos, key := at(l, indexedKey("bind", i, "mode"))
		b.errorf(pos, key, "%s is kernel state: a read-write bind lets the daemon change the host's kernel settings; use mode = \"ro\", or [proc] for a /proc of the jail's own", src)
		ok = false
	}
	if ok && tok {
		b.p.Binds = append(b.p.Binds, Bind{Pos: tgtPos, Source: src, Target: t, Mode: mode, Optional: rb.Optional, Follow: rb.Follow})
	}
}

func (b *builder) file(l layer, i int, rf rawFile) {
	pos, key := at(l, indexedKey("file", i, "target"))
	t, ok := b.viewPath(pos, key, rf.Target, false)
	mode := b.mode(l, fmt.Sprintf("file#%d.mode", i), rf.Mode, 0o644)
	f := File{Pos: pos, Target: t, Mode: mode, Follow: rf.Follow}
	switch {
	case rf.Content != nil && rf.Source != "":
		b.errorf(pos, humanKey(fmt.Sprintf("file#%d", i)), "both content and source: keep one (content writes the text, source copies a host file)")
		ok = false
	case rf.Content != nil:
		f.Content = *rf.Content
	case rf.Source != "":
		srcPos, srcKey := at(l, indexedKey("file", i, "source"))
		var sok bool
		f.Source, sok = b.hostPath(srcPos, srcKey, rf.Source)
		ok = ok && sok
	default:
		b.errorf(pos, humanKey(fmt.Sprintf("file#%d", i)), "no content: add content = \"...\" or source = \"/host/path\"")
		ok = false
	}
	if ok {
		b.p.Files = append(b.p.Files, f)
	}
}

func (b *builder) env(l layer, r rawEnv) {
	if r.Clear != nil {
		b.p.Env.Clear = *r.Clear
	}
	// In name order, so that problems on one line (set = { ... }) come
	// out the same way every time.
	names := make([]string, 0, len(r.Set))
	for name := range r.Set {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		value := r.Set[name]
		pos, key := at(l, "env.set."+name)
		switch {
		case !validEnvName(name):
			b.errorf(pos, key, "bad variable name %q: use letters, digits and '_', not starting with a digit", name)
		case strings.ContainsRune(value, 0):
			b.errorf(pos, key, "the value of %s contains a NUL byte, which an environment cannot hold: remove it", name)
		default:
			b.p.Env.Set[name] = value
		}
	}
	for _, name := range r.Keep {
		if !validEnvName(name) {
			pos, key := at(l, "env.keep")
			b.errorf(pos, key, "bad variable name %q: use letters, digits and '_', not starting with a digit", name)
			continue
		}
		b.p.Env.Keep = append(b.p.Env.Keep, name)
	}
}

func (b *builder) security(l layer, r rawSecurity) {
	s := &b.p.Security
	if r.NoNewPrivs != nil {
		s.NoNewPrivs = *r.NoNewPrivs
	}
	if r.User != nil {
		s.User = *r.User
		s.UserPos, _ = at(l, "security.user")
	}
	if r.Group != nil {
		s.Group = *r.Group
		s.GroupPos, _ = at(l, "security.group")
	}
	if r.Capabilities != nil {
		b.capsSet = true
		s.Caps = []string{}
		pos, key := at(l, "security.capabilities")
		s.CapsPos = pos
		for _, name := range r.Capabilities {
			_, canon, err := caps.Parse(name)
			if err != nil {
				b.errorf(pos, key, "%v", err)
				continue
			}
			if canon == "CAP_SYS_ADMIN" {
				b.warnf(pos, key, "CAP_SYS_ADMIN lets the daemon mount, unmount and remount its view: keep it only if the daemon cannot work without it")
			}
			if !slices.Contains(s.Caps, canon) {
				s.Caps = append(s.Caps, canon)
			}
		}
	}
}

func (b *builder) namespaces(l layer, r rawNamespaces) {
	n := &b.p.Namespaces
	if r.Net != nil {
		switch NetMode(*r.Net) {
		case NetHost, NetNone, NetLoopback:
			n.Net = NetMode(*r.Net)
		default:
			pos, key := at(l, "namespaces.net")
			b.errorf(pos, key, "bad value %q: use \"none\" (no network), \"loopback\" (only lo) or \"host\" (the host's network)", *r.Net)
		}
	}
	if r.UTS != nil {
		n.UTS = *r.UTS
	}
	if r.IPC != nil {
		n.IPC = *r.IPC
	}
	if r.Cgroup != nil {
		n.Cgroup = *r.Cgroup
	}
	if r.PID != nil {
		n.PID = *r.PID
		n.PIDPos, _ = at(l, "namespaces.pid")
	}
	if r.AsPID1 != nil {
		n.AsPID1 = *r.AsPID1
		b.asPID1Pos, _ = at(l, "namespaces.as_pid_1")
	}
	if r.User != nil {
		n.User = *r.User
		n.UserPos, _ = at(l, "namespaces.user")
	}
}

// viewPath checks a path inside the view: absolute, no "..", and not "/"
// itself unless allowRoot.
func (b *builder) viewPath(pos Pos, key, p string, allowRoot bool) (string, bool) {
	switch {
	case p == "":
		b.errorf(pos, key, "missing: give an absolute path inside the view, e.g. \"/var/lib/app\"")
	case !strings.HasPrefix(p, "/"):
		b.errorf(pos, key, "relative path %q: view paths are absolute, e.g. %q", p, "/"+p)
	case slices.Contains(strings.Split(p, "/"), ".."):
		b.errorf(pos, key, "%q contains \"..\": write the path it means without \"..\", e.g. %q", p, path.Clean(p))
	case strings.ContainsRune(p, 0):
		b.errorf(pos, key, "path contains a NUL byte")
	case path.Clean(p) == "/" && !allowRoot:
		b.errorf(pos, key, "\"/\" is the view's root (the [root] tmpfs): mount onto a directory below it")
	default:
		return path.Clean(p), true
	}
	return "", false
}

// hostPath checks a path on the host: absolute and clean.
func (b *builder) hostPath(pos Pos, key, p string) (string, bool) {
	switch {
	case p == "":
		b.errorf(pos, key, "missing: give an absolute host path, e.g. \"/usr\"")
	case !filepath.IsAbs(p):
		b.errorf(pos, key, "relative path %q: host paths are absolute, e.g. %q", p, "/"+p)
	case strings.ContainsRune(p, 0):
		b.errorf(pos, key, "path contains a NUL byte")
	default:
		return filepath.Clean(p), true
	}
	return "", false
}

// mode parses a permission string such as "0755". Integers are refused:
// TOML reads mode = 755 as decimal, which is never what was meant.
func (b *builder) mode(l layer, keyPath string, v any, def uint32) uint32 {
	if v == nil {
		return def
	}
	pos, key := at(l, keyPath)
	s, isString := v.(string)
	if !isString {
		b.errorf(pos, key, "bad mode %v: write it as an octal string, e.g. mode = \"0755\"", v)
		return def
	}
	n, err := strconv.ParseUint(strings.TrimPrefix(s, "0o"), 8, 32)
	if err != nil || n > 0o7777 {
		b.errorf(pos, key, "bad mode %q: write octal permissions up to \"7777\", e.g. \"0755\" or \"1777\"", s)
		return def
	}
	return uint32(n)
}

// size parses "64M", "512k", "1g" or a number of bytes (binary units).
func (b *builder) size(l layer, keyPath string, v any) int64 {
	if v == nil {
		return 0
	}
	pos, key := at(l, keyPath)
	var n int64
	switch v := v.(type) {
	case int64:
		n = v
	case string:
		m := sizePattern().FindStringSubmatch(strings.TrimSpace(v))
		if m == nil {
			b.errorf(pos, key, "bad size %q: use bytes with an optional unit k, M or G, e.g. \"64M\"", v)
			return 0
		}
		num, err := strconv.ParseInt(m[1], 10, 64)
		shift := map[string]uint{"": 0, "k": 10, "m": 20, "g": 30}[strings.ToLower(m[2])]
		if err != nil || num > (1<<62)>>shift {
			b.errorf(pos, key, "size %q is too large", v)
			return 0
		}
		n = num << shift
	default:
		b.errorf(pos, key, "bad size %v: use a string such as \"64M\" or a number of bytes", v)
		return 0
	}
	if n <= 0 {
		b.errorf(pos, key, "size must be positive; leave the key out for the kernel's default (half of RAM)")
		return 0
	}
	return n
}

// kernelTree reports whether a host path lies in /proc or /sys, whose
// writable files are settings of the whole host.
func kernelTree(p string) bool {
	for _, root := range []string{"/proc", "/sys"} {
		if p == root || strings.HasPrefix(p, root+"/") {
			return true
		}
	}
	return false
}
