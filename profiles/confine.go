package profiles

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/fsviews/fsviews/rlimits"
	"github.com/fsviews/fsviews/seccomp"
)

// Seccomp is the [seccomp] table: a syscall filter installed right before
// the daemon is executed.
type Seccomp struct {
	Pos  Pos // the [seccomp] table (the last file that set it)
	Spec seccomp.Spec
	// Optional runs the daemon without the filter, saying so on stderr,
	// when the kernel cannot enforce seccomp filters.
	Optional bool
	// Implicit is the filter of a profile without [seccomp]: preset
	// "default".
	Implicit bool
}

// Limit is one [limits] entry.
type Limit struct {
	Pos Pos
	rlimits.Limit
}

// Landlock is the [landlock] table: file access rules enforced by the
// kernel's Landlock LSM below the view's mounts.
type Landlock struct {
	Pos Pos
	// Auto derives the rules from the view: everything readable and
	// executable as mounted, writes only where the view is writable.
	Auto     bool
	Optional bool
	Rules    []LandlockRule // explicit rules, added to Auto's
}

// LandlockAccess is what a landlock rule grants below its path.
type LandlockAccess string

const (
	LandlockRO LandlockAccess = "ro" // read files, list directories, execute
	LandlockRW LandlockAccess = "rw" // also create, write, remove, rename, truncate
)

// LandlockRule grants Access below Path (a view path).
type LandlockRule struct {
	Pos    Pos
	Path   string
	Access LandlockAccess
}

// keyAt is where a value that a later check looks at was written.
type keyAt struct {
	pos Pos
	key string // as humanKey prints it
}

// confineState is what the builder keeps between layers for [seccomp],
// [limits] and [landlock].
type confineState struct {
	// seccompKeys maps the keys seccomp.Check names ("rule[2].args[1].index")
	// to where the value was written.
	seccompKeys map[string]keyAt
	// reported are seccomp keys whose value was already reported as
	// unparsable: Check would only repeat it as "missing".
	reported map[string]bool
}

func (b *builder) confineLayer(l layer) {
	r := l.raw
	if r.Namespaces != nil && r.Namespaces.Net != nil {
		b.p.Namespaces.NetPos, _ = at(l, "namespaces.net")
	}
	if r.Seccomp != nil {
		b.seccompLayer(l, *r.Seccomp)
	}
	if r.Limits != nil {
		b.limitsLayer(l, *r.Limits)
	}
	if r.Landlock != nil {
		b.landlockLayer(l, *r.Landlock)
	}
}

func (b *builder) seccompLayer(l layer, r rawSeccomp) {
	c := &b.conf
	if c.seccompKeys == nil {
		c.seccompKeys, c.reported = map[string]keyAt{}, map[string]bool{}
	}
	if b.p.Seccomp == nil {
		b.p.Seccomp = &Seccomp{}
	}
	s := b.p.Seccomp
	s.Pos, _ = at(l, "seccomp")
	c.seccompKeys["arch"] = keyAt{s.Pos, "[seccomp]"}
	set := func(seccompKey, keyPath string) keyAt {
		pos, key := at(l, keyPath)
		k := keyAt{pos, key}
		c.seccompKeys[seccompKey] = k
		return k
	}
	if r.Preset != nil {
		set("preset", "seccomp.preset")
		s.Spec.Preset = *r.Preset
	}
	for _, name := range r.Allow {
		set(fmt.Sprintf("allow[%d]", len(s.Spec.Allow)), "seccomp.allow")
		s.Spec.Allow = append(s.Spec.Allow, name)
	}
	for _, name := range r.Deny {
		set(fmt.Sprintf("deny[%d]", len(s.Spec.Deny)), "seccomp.deny")
		s.Spec.Deny = append(s.Spec.Deny, name)
	}
	if r.DefaultAction != nil {
		k := set("default_action", "seccomp.default_action")
		if a, err := seccomp.ParseAction(*r.DefaultAction); err != nil {
			b.errorf(k.pos, k.key, "%v", err)
			s.Spec.DefaultAction = nil
		} else {
			s.Spec.DefaultAction = &a
		}
	}
	if r.AllowX32 != nil {
		s.Spec.AllowX32 = *r.AllowX32
	}
	if r.AllowI386 != nil {
		s.Spec.AllowI386 = *r.AllowI386
	}
	if r.Optional != nil {
		s.Optional = *r.Optional
	}
	tableArgs := 0 // [[seccomp.rule.args]] tables of this file so far
	for i, rr := range r.Rule {
		n := len(s.Spec.Rules)
		rk := fmt.Sprintf("rule[%d]", n)
		table := fmt.Sprintf("seccomp.rule#%d", i)
		set(rk, table)
		set(rk+".syscall", table+".syscall")
		rule := seccomp.Rule{Syscall: rr.Syscall}
		if rr.Action != "" {
			k := set(rk+".action", table+".action")
			a, err := seccomp.ParseAction(rr.Action)
			if err != nil {
				b.errorf(k.pos, k.key, "%v", err)
				c.reported[rk+".action"] = true
			}
			rule.Action = a
		}
		_, inline := l.keys.byKey[table+".args"]
		for j, ra := range rr.Args {
			ak, g := fmt.Sprintf("%s.args[%d]", rk, j), tableArgs
			// Inline tables (args = [{...}]) share the args line; an
			// [[seccomp.rule.args]] table has a line per key.
			field := func(name string) keyAt {
				path := fmt.Sprintf("seccomp.rule.args#%d.%s", g, name)
				if inline {
					path = table + ".args"
				}
				k := set(ak+"."+name, path)
				k.key = fmt.Sprintf("%s args[%d] %s", humanKey(table), j, name)
				c.seccompKeys[ak+"."+name] = k
				return k
			}
			for _, name := range []string{"index", "op", "value", "mask"} {
				field(name)
			}
			c.seccompKeys[ak] = c.seccompKeys[ak+".index"]
			if !inline {
				tableArgs++
			}
			rule.Args = append(rule.Args, b.seccompArg(ra, ak, field))
		}
		s.Spec.Rules = append(s.Spec.Rules, rule)
	}
}

// seccompArg converts one condition, reporting what seccomp.Check cannot
// see: a missing index or value, a value that is no number.
func (b *builder) seccompArg(ra rawSeccompArg, ak string, field func(string) keyAt) seccomp.Cond {
	var cond seccomp.Cond
	if ra.Index == nil {
		k := field("index")
		b.errorf(k.pos, k.key, "missing: say which argument to compare, 0..5 (e.g. index = 0 for socket's domain)")
		b.conf.reported[ak+".index"] = true
	} else if *ra.Index < -1<<31 || *ra.Index > 1<<31 {
		k := field("index")
		b.errorf(k.pos, k.key, "argument index %d out of range: syscalls have arguments 0..5", *ra.Index)
		b.conf.reported[ak+".index"] = true
	} else {
		cond.Index = int(*ra.Index)
	}
	if ra.Op != "" {
		op, err := seccomp.ParseOp(ra.Op)
		if err != nil {
			k := field("op")
			b.errorf(k.pos, k.key, "%v", err)
			b.conf.reported[ak+".op"] = true
		}
		cond.Op = op
	}
	if ra.Value == nil {
		k := field("value")
		b.errorf(k.pos, k.key, "missing: give the number to compare with, e.g. value = 1 (AF_UNIX)")
	} else if v, err := argNumber(ra.Value); err != nil {
		k := field("value")
		b.errorf(k.pos, k.key, "%v", err)
		b.conf.reported[ak+".value"] = true
	} else {
		cond.Value = v
	}
	if ra.Mask != nil {
		if m, err := argNumber(ra.Mask); err != nil {
			k := field("mask")
			b.errorf(k.pos, k.key, "%v", err)
			b.conf.reported[ak+".mask"] = true
		} else {
			cond.Mask = m
		}
	}
	if b.conf.reported[ak+".index"] || b.conf.reported[ak+".value"] || b.conf.reported[ak+".mask"] {
		// Check would report consequences of the bad value (a mask that
		// cannot hold, an unset op): one problem per mistake is enough.
		b.conf.reported[ak+".op"] = true
		b.conf.reported[ak+".mask"] = true
		b.conf.reported[ak+".value"] = true
		b.conf.reported[ak+".index"] = true
	}
	return cond
}

// argNumber reads a condition's value or mask: a TOML integer >= 0, or a
// string in decimal, hex (0x...), octal (0o...) or binary (0b...), which is
// how values above TOML's int64 range are written.
func argNumber(v any) (uint64, error) {
	switch v := v.(type) {
	case int64:
		if v < 0 {
			return 0, fmt.Errorf("negative value %d: arguments compare as unsigned numbers; write the two's complement as a string, e.g. \"0xffffffff\" for -1 in a 32-bit argument", v)
		}
		return uint64(v), nil
	case string:
		n, err := strconv.ParseUint(strings.ReplaceAll(strings.TrimSpace(v), "_", ""), 0, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return 0, fmt.Errorf("value %q overflows 64 bits: syscall arguments are at most 0xffffffffffffffff", v)
			}
			return 0, fmt.Errorf("bad number %q: write an integer, or a string such as \"0x1f\"", v)
		}
		return n, nil
	}
	return 0, fmt.Errorf("bad number %v: write an integer, or a string such as \"0x1f\"", v)
}

func rlimitNames() []string { return rlimits.Names() }

func (b *builder) limitsLayer(l layer, r rawLimits) {
	for _, x := range r.byName() {
		pos, key := at(l, "limits."+x.name)
		res, err := rlimits.Lookup(x.name)
		if err != nil {
			b.errorf(pos, key, "bug: %v", err)
			continue
		}
		lim := Limit{Pos: pos, Limit: rlimits.Limit{Name: x.name}}
		ok := true
		parse := func(what string, v any) *uint64 {
			n, err := rlimits.ParseValue(res, v)
			if err != nil {
				b.errorf(pos, key, "%s%v", what, err)
				ok = false
				return nil
			}
			return &n
		}
		if t, isTable := x.value.v.(map[string]any); isTable {
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				v := t[k]
				switch k {
				case "soft":
					lim.Soft = parse("soft: ", v)
				case "hard":
					lim.Hard = parse("hard: ", v)
				default:
					b.errorf(pos, key, "unknown key %q: a limit is a value, or a table with soft and hard, e.g. %s = { soft = 1024, hard = 4096 }", k, x.name)
					ok = false
				}
			}
			if ok && lim.Soft == nil && lim.Hard == nil {
				b.errorf(pos, key, "empty table: give soft, hard or both, e.g. %s = { soft = 1024, hard = 4096 }", x.name)
				ok = false
			}
		} else {
			lim.Soft = parse("", x.value.v)
			lim.Hard = lim.Soft
		}
		if ok && lim.Soft != nil && lim.Hard != nil && *lim.Soft > *lim.Hard {
			b.errorf(pos, key, "soft limit %s is above the hard limit %s: the soft limit can only be raised up to the hard one", rlimits.Format(res, *lim.Soft), rlimits.Format(res, *lim.Hard))
			ok = false
		}
		if !ok {
			continue
		}
		replaced := false
		for i := range b.p.Limits {
			if b.p.Limits[i].Name == x.name {
				b.p.Limits[i], replaced = lim, true
			}
		}
		if !replaced {
			b.p.Limits = append(b.p.Limits, lim)
		}
	}
}

func (b *builder) landlockLayer(l layer, r rawLandlock) {
	if b.p.Landlock == nil {
		b.p.Landlock = &Landlock{Auto: true}
	}
	ll := b.p.Landlock
	ll.Pos, _ = at(l, "landlock")
	if r.Auto != nil {
		ll.Auto = *r.Auto
	}
	if r.Optional != nil {
		ll.Optional = *r.Optional
	}
	for i, rr := range r.Rule {
		pos, key := at(l, indexedKey("landlock.rule", i, "path"))
		p, ok := b.viewPath(pos, key, rr.Path, true)
		access := LandlockAccess(rr.Access)
		if access != LandlockRO && access != LandlockRW {
			apos, akey := at(l, indexedKey("landlock.rule", i, "access"))
			b.errorf(apos, akey, "bad access %q: use \"ro\" (read, list, execute) or \"rw\" (also create, write, remove)", rr.Access)
			ok = false
		}
		if ok {
			ll.Rules = append(ll.Rules, LandlockRule{Pos: pos, Path: p, Access: access})
		}
	}
}

// defaultSeccomp gives a profile without [seccomp] the "default" preset:
// a root daemon is never left without a syscall filter by omission. A
// filter needs no_new_privs (confineChecks), so a profile that turns
// no_new_privs off gets none, and `check` says so (Lint).
func (b *builder) defaultSeccomp() {
	if b.p.Seccomp != nil || !b.p.Security.NoNewPrivs {
		return
	}
	b.p.Seccomp = &Seccomp{Pos: b.p.Origin, Spec: seccomp.Spec{Preset: "default"}, Implicit: true}
}

// seccompRef finds rule references in the seccomp compiler's messages;
// compiled on first use, not at every start of fsviews.
var seccompRef = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\b(allow|deny|rule)\[\d+\]`) })

// confineChecks runs once all layers are merged: seccomp.Check sees the
// whole filter (a name allowed in one file and denied in another
// contradicts), and the layers that need no_new_privs get it.
func (b *builder) confineChecks() {
	p := b.p
	if s := p.Seccomp; s != nil {
		if (s.Spec.Preset == "" || s.Spec.Preset == "none") && len(s.Spec.Allow) == 0 && len(s.Spec.Deny) == 0 && len(s.Spec.Rules) == 0 {
			b.warnf(s.Pos, "seccomp", "the filter names nothing to refuse: it only stops x32 and i386 syscalls and syscalls newer than fsviews' table, so the daemon may mount, unshare, ptrace and load kernel modules as far as its capabilities allow; remove the [seccomp] table to get preset \"default\" (or set a preset, allow, deny, rules)")
		}
		for _, pr := range s.Spec.Check(seccomp.NativeArch()) {
			if b.conf.reported[pr.Key] {
				continue
			}
			// "rule[2].args[1].index" -> "rule[2].args[1]" -> "rule[2]"
			k, ok := b.conf.seccompKeys[pr.Key]
			for key := pr.Key; !ok && strings.Contains(key, "."); {
				key = key[:strings.LastIndexByte(key, '.')]
				k, ok = b.conf.seccompKeys[key]
			}
			if !ok {
				k = keyAt{s.Pos, "[seccomp] " + pr.Key}
			}
			// Messages name other entries the way seccomp counts them
			// ("rule[4]"): point at the profile's spelling and line instead.
			msg := seccompRef().ReplaceAllStringFunc(pr.Msg, func(ref string) string {
				if other, ok := b.conf.seccompKeys[ref]; ok {
					return fmt.Sprintf("%s (%s)", other.key, other.pos)
				}
				return ref
			})
			b.errorf(k.pos, k.key, "%s", msg)
		}
	}
	if !p.Security.NoNewPrivs {
		if p.Seccomp != nil {
			b.errorf(p.Seccomp.Pos, "seccomp", "a seccomp filter needs no_new_privs, but [security] no_new_privs = false: remove that line (a filter must not apply to setuid programs it could fool)")
		}
		if p.Landlock != nil {
			b.errorf(p.Landlock.Pos, "landlock", "landlock needs no_new_privs, but [security] no_new_privs = false: remove that line")
		}
	}
}

// Lint returns the warnings `fsviews check` adds to Load's: risks that are
// the defaults, so that warning on every run would be noise. callerUID is
// the user fsviews runs as, whom a profile without user keeps.
func Lint(p *Profile, callerUID int) Problems {
	var probs Problems
	root := p.Security.UID == 0 || (p.Security.UID < 0 && callerUID == 0)
	if root && !p.Namespaces.PID && !p.Namespaces.User {
		probs = append(probs, Problem{Pos: p.Namespaces.PIDPos, Key: "[namespaces] pid", Warning: true,
			Msg: "the daemon runs as uid 0 in the host's PID namespace: it can signal every host process of uid 0, and where its capabilities and filter allow, trace them and read host files through their /proc/PID/root; remove pid = false, or set user to an account of its own"})
	}
	if p.Seccomp == nil {
		probs = append(probs, Problem{Pos: p.Origin, Key: "[security] no_new_privs", Warning: true,
			Msg: "no syscall filter: a filter needs no_new_privs, which this profile turns off, so the default preset is left out; the daemon may mount, unshare and load kernel modules as far as its capabilities allow"})
	}
	for _, l := range p.Limits {
		if l.Name != "nproc" {
			continue
		}
		// Root's case is cgroupLint's, which suggests [cgroup] pids.
		if slices.Contains(p.Security.Caps, "CAP_SYS_RESOURCE") || slices.Contains(p.Security.Caps, "CAP_SYS_ADMIN") {
			probs = append(probs, Problem{Pos: l.Pos, Key: "[limits] nproc", Warning: true,
				Msg: "the kernel does not apply RLIMIT_NPROC to a process with CAP_SYS_RESOURCE or CAP_SYS_ADMIN, which this daemon keeps: drop them, or limit processes with [cgroup] pids"})
		}
	}
	if p.Namespaces.Net == NetHost && p.Namespaces.NetPos == (Pos{}) {
		probs = append(probs, Problem{Pos: p.Origin, Key: "[namespaces] net", Warning: true,
			Msg: "the daemon shares the host's network because no file says otherwise: write net = \"host\" under [namespaces] to say so, or net = \"none\" or \"loopback\" to cut it off"})
	}
	return append(probs, cgroupLint(p, root)...)
}
