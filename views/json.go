package views

import (
	"maps"
	"slices"

	"github.com/fsviews/fsviews/internal/jsonw"
	"github.com/fsviews/fsviews/seccomp"
)

// AppendJSON appends the plan as encoding/json marshals it, byte for
// byte, without the reflection encoding/json spends on its first plan
// (package jsonw): fsviews run records every plan it starts.
// TestPlanJSONMatches holds it to encoding/json with every field set; a
// field added to Plan must be added here too. It fails only where
// encoding/json would: on a seccomp action or operator that is not one.
func (p *Plan) AppendJSON(b []byte) ([]byte, error) {
	o := jsonw.Open(&b)
	o.String("name", p.Name)
	o.String("profile", p.Profile)
	o.String("state_dir", p.StateDir)
	o.Key("ops")
	jsonw.Array(&b, len(p.Ops), p.Ops == nil, func(i int) { p.Ops[i].appendJSON(&b) })
	o.Strings("unshare", p.Unshare)
	o.String("net", p.Net)
	if p.Hostname != "" {
		o.String("hostname", p.Hostname)
	}
	o.String("workdir", p.Workdir)
	o.Int("uid", int64(p.UID))
	o.Int("gid", int64(p.GID))
	o.Strings("capabilities", p.Caps)
	o.Bool("no_new_privs", p.NoNewPriv)
	o.Key("env")
	env := jsonw.Open(&b)
	env.Bool("clear", p.Env.Clear)
	if len(p.Env.Set) > 0 {
		env.Key("set")
		set := jsonw.Open(&b)
		for _, k := range slices.Sorted(maps.Keys(p.Env.Set)) {
			set.String(k, p.Env.Set[k])
		}
		set.Close()
	}
	if len(p.Env.Keep) > 0 {
		env.Strings("keep", p.Env.Keep)
	}
	env.Close()
	o.Strings("command", p.Command)
	if len(p.Limits) > 0 {
		o.Key("limits")
		jsonw.Array(&b, len(p.Limits), false, func(i int) {
			l := &p.Limits[i]
			lo := jsonw.Open(&b)
			lo.String("name", l.Name)
			if l.Soft != nil {
				lo.Uint("soft", *l.Soft)
			}
			if l.Hard != nil {
				lo.Uint("hard", *l.Hard)
			}
			lo.String("origin", l.Origin)
			lo.Close()
		})
	}
	if l := p.Landlock; l != nil {
		o.Key("landlock")
		lo := jsonw.Open(&b)
		if l.Optional {
			lo.Bool("optional", true)
		}
		lo.Key("rules")
		jsonw.Array(&b, len(l.Rules), l.Rules == nil, func(i int) {
			r := &l.Rules[i]
			ro := jsonw.Open(&b)
			ro.String("path", r.Path)
			ro.String("access", string(r.Access))
			if r.Optional {
				ro.Bool("optional", true)
			}
			if r.Origin != "" {
				ro.String("origin", r.Origin)
			}
			ro.Close()
		})
		lo.Close()
	}
	if s := p.Seccomp; s != nil {
		o.Key("seccomp")
		so := jsonw.Open(&b)
		so.Key("spec")
		if err := appendSpecJSON(&b, &s.Spec); err != nil {
			return nil, err
		}
		if s.Optional {
			so.Bool("optional", true)
		}
		if s.Log {
			so.Bool("log", true)
		}
		so.String("origin", s.Origin)
		so.Close()
	}
	if len(p.Skipped) > 0 {
		o.Strings("skipped", p.Skipped)
	}
	if c := p.Cgroup; c != nil {
		o.Key("cgroup")
		co := jsonw.Open(&b)
		for _, f := range []struct {
			name string
			v    int64
		}{{"pids", c.Pids}, {"memory", c.Memory}, {"cpu", c.CPU}, {"memory_high", c.MemoryHigh},
			{"swap", c.Swap}, {"cpu_weight", c.CPUWeight}, {"io_weight", c.IOWeight}} {
			if f.v != 0 {
				co.Int(f.name, f.v)
			}
		}
		if c.Optional {
			co.Bool("optional", true)
		}
		co.String("origin", c.Origin)
		co.Close()
	}
	if p.Wall != 0 {
		o.String("wall", p.Wall.String())
	}
	for _, f := range []struct {
		name string
		v    bool
	}{{"pid", p.PID}, {"as_pid_1", p.AsPID1}, {"userns", p.UserNS}, {"tty", p.TTY}} {
		if f.v {
			o.Bool(f.name, true)
		}
	}
	if p.Notify != "" {
		o.String("notify_socket", p.Notify)
	}
	o.Close()
	return b, nil
}

func (op *Op) appendJSON(b *[]byte) {
	o := jsonw.Open(b)
	o.String("op", string(op.Kind))
	o.String("target", op.Target)
	if op.Source != "" {
		o.String("source", op.Source)
	}
	for _, f := range []struct {
		name string
		v    bool
	}{{"readonly", op.ReadOnly}, {"optional", op.Optional}, {"follow", op.Follow}} {
		if f.v {
			o.Bool(f.name, true)
		}
	}
	if op.Size != 0 {
		o.Int("size", op.Size)
	}
	if op.Mode != 0 {
		o.String("mode", op.Mode.String())
	}
	if op.Link != "" {
		o.String("link", op.Link)
	}
	if op.Content != "" {
		o.String("content", op.Content)
	}
	if len(op.Options) > 0 {
		o.Strings("options", op.Options)
	}
	if op.UID != 0 {
		o.Int("uid", int64(op.UID))
	}
	if op.GID != 0 {
		o.Int("gid", int64(op.GID))
	}
	if op.Origin != "" {
		o.String("origin", op.Origin)
	}
	o.Close()
}

// appendSpecJSON writes a seccomp spec, which has no JSON tags: its
// members are named as its fields are.
func appendSpecJSON(b *[]byte, s *seccomp.Spec) error {
	var err error
	text := func(m interface{ MarshalText() ([]byte, error) }) {
		t, e := m.MarshalText()
		if e != nil && err == nil {
			err = e
		}
		*b = jsonw.AppendString(*b, string(t))
	}
	o := jsonw.Open(b)
	o.String("Preset", s.Preset)
	o.Strings("Allow", s.Allow)
	o.Strings("Deny", s.Deny)
	o.Key("DefaultAction")
	if s.DefaultAction == nil {
		*b = append(*b, "null"...)
	} else {
		text(*s.DefaultAction)
	}
	o.Key("Rules")
	jsonw.Array(b, len(s.Rules), s.Rules == nil, func(i int) {
		r := &s.Rules[i]
		ro := jsonw.Open(b)
		ro.String("Syscall", r.Syscall)
		ro.Key("Action")
		text(r.Action)
		ro.Key("Args")
		jsonw.Array(b, len(r.Args), r.Args == nil, func(k int) {
			c := &r.Args[k]
			co := jsonw.Open(b)
			co.Int("Index", int64(c.Index))
			co.Key("Op")
			text(c.Op)
			co.Uint("Value", c.Value)
			co.Uint("Mask", c.Mask)
			co.Close()
		})
		ro.Close()
	})
	o.Bool("AllowX32", s.AllowX32)
	o.Bool("AllowI386", s.AllowI386)
	o.Close()
	return err
}
