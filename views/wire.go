package views

import (
	"fmt"
	"time"

	"github.com/fsviews/fsviews/cgroups"
	"github.com/fsviews/fsviews/internal/wire"
	"github.com/fsviews/fsviews/rlimits"
	"github.com/fsviews/fsviews/seccomp"
)

// The plan's binary form (package wire) is how the supervisor hands it to
// the jail's PID 1: every field, in the order below. The JSON form stays
// what people and fsviews' audit commands read. TestPlanWireRoundTrip
// fills every field of a Plan by reflection: a field added to Plan or to
// a type inside it must be added here too, or that test fails.

// AppendWire appends the plan's binary form to w.
func (p *Plan) AppendWire(w *wire.Writer) {
	w.String(p.Name)
	w.String(p.Profile)
	w.String(p.StateDir)
	w.Len(len(p.Ops), p.Ops == nil)
	for i := range p.Ops {
		putOp(w, &p.Ops[i])
	}
	w.Strings(p.Unshare)
	w.String(p.Net)
	w.String(p.Hostname)
	w.String(p.Workdir)
	w.Int(int64(p.UID))
	w.Int(int64(p.GID))
	w.Strings(p.Caps)
	w.Bool(p.NoNewPriv)
	w.Bool(p.Env.Clear)
	w.Len(len(p.Env.Set), p.Env.Set == nil)
	for k, v := range p.Env.Set {
		w.String(k)
		w.String(v)
	}
	w.Strings(p.Env.Keep)
	w.Strings(p.Command)
	w.Len(len(p.Limits), p.Limits == nil)
	for _, l := range p.Limits {
		w.String(l.Name)
		putUintPtr(w, l.Soft)
		putUintPtr(w, l.Hard)
		w.String(l.Origin)
	}
	w.Bool(p.Landlock != nil)
	if l := p.Landlock; l != nil {
		w.Bool(l.Optional)
		w.Len(len(l.Rules), l.Rules == nil)
		for _, r := range l.Rules {
			w.String(r.Path)
			w.String(string(r.Access))
			w.Bool(r.Optional)
			w.String(r.Origin)
		}
	}
	w.Bool(p.Seccomp != nil)
	if s := p.Seccomp; s != nil {
		putSpec(w, &s.Spec)
		w.Bool(s.Optional)
		w.Bool(s.Log)
		w.String(s.Origin)
	}
	w.Strings(p.Skipped)
	w.Bool(p.Cgroup != nil)
	if c := p.Cgroup; c != nil {
		for _, v := range []int64{c.Pids, c.Memory, c.CPU, c.MemoryHigh, c.Swap, c.CPUWeight, c.IOWeight} {
			w.Int(v)
		}
		w.Bool(c.Optional)
		w.String(c.Origin)
	}
	w.Int(int64(p.Wall))
	w.Bool(p.PID)
	w.Bool(p.AsPID1)
	w.Bool(p.UserNS)
	w.Bool(p.TTY)
	w.String(p.Notify)
}

// ReadWire reads a plan AppendWire wrote; r.Err says whether it could.
func ReadWire(r *wire.Reader) *Plan {
	p := &Plan{}
	p.Name = r.String()
	p.Profile = r.String()
	p.StateDir = r.String()
	if n, isNil := r.Len(); !isNil {
		p.Ops = make([]Op, n)
		for i := range p.Ops {
			getOp(r, &p.Ops[i])
		}
	}
	p.Unshare = r.Strings()
	p.Net = r.String()
	p.Hostname = r.String()
	p.Workdir = r.String()
	p.UID = int(r.Int())
	p.GID = int(r.Int())
	p.Caps = r.Strings()
	p.NoNewPriv = r.Bool()
	p.Env.Clear = r.Bool()
	if n, isNil := r.Len(); !isNil {
		p.Env.Set = make(map[string]string, n)
		for range n {
			k := r.String()
			p.Env.Set[k] = r.String()
		}
	}
	p.Env.Keep = r.Strings()
	p.Command = r.Strings()
	if n, isNil := r.Len(); !isNil {
		p.Limits = make([]LimitPlan, n)
		for i := range p.Limits {
			l := &p.Limits[i]
			l.Limit = rlimits.Limit{Name: r.String(), Soft: getUintPtr(r), Hard: getUintPtr(r)}
			l.Origin = r.String()
		}
	}
	if r.Bool() {
		l := &LandlockPlan{Optional: r.Bool()}
		if n, isNil := r.Len(); !isNil {
			l.Rules = make([]LandlockRule, n)
			for i := range l.Rules {
				l.Rules[i] = LandlockRule{Path: r.String(), Access: LandlockAccess(r.String()), Optional: r.Bool(), Origin: r.String()}
			}
		}
		p.Landlock = l
	}
	if r.Bool() {
		s := &SeccompPlan{}
		getSpec(r, &s.Spec)
		s.Optional = r.Bool()
		s.Log = r.Bool()
		s.Origin = r.String()
		p.Seccomp = s
	}
	p.Skipped = r.Strings()
	if r.Bool() {
		c := &CgroupPlan{Limits: cgroups.Limits{Pids: r.Int(), Memory: r.Int(), CPU: r.Int(), MemoryHigh: r.Int(), Swap: r.Int(), CPUWeight: r.Int(), IOWeight: r.Int()}}
		c.Optional = r.Bool()
		c.Origin = r.String()
		p.Cgroup = c
	}
	p.Wall = Duration(time.Duration(r.Int()))
	p.PID = r.Bool()
	p.AsPID1 = r.Bool()
	p.UserNS = r.Bool()
	p.TTY = r.Bool()
	p.Notify = r.String()
	return p
}

func putOp(w *wire.Writer, op *Op) {
	w.String(string(op.Kind))
	w.String(op.Target)
	w.String(op.Source)
	w.Bool(op.ReadOnly)
	w.Bool(op.Optional)
	w.Bool(op.Follow)
	w.Int(op.Size)
	w.Uint(uint64(op.Mode))
	w.String(op.Link)
	w.String(op.Content)
	w.Strings(op.Options)
	w.Int(int64(op.UID))
	w.Int(int64(op.GID))
	w.String(op.Origin)
}

func getOp(r *wire.Reader, op *Op) {
	op.Kind = Kind(r.String())
	op.Target = r.String()
	op.Source = r.String()
	op.ReadOnly = r.Bool()
	op.Optional = r.Bool()
	op.Follow = r.Bool()
	op.Size = r.Int()
	op.Mode = Mode(r.Uint())
	op.Link = r.String()
	op.Content = r.String()
	op.Options = r.Strings()
	op.UID = int(r.Int())
	op.GID = int(r.Int())
	op.Origin = r.String()
}

func putSpec(w *wire.Writer, s *seccomp.Spec) {
	w.String(s.Preset)
	w.Strings(s.Allow)
	w.Strings(s.Deny)
	w.Bool(s.DefaultAction != nil)
	if s.DefaultAction != nil {
		w.Uint(uint64(*s.DefaultAction))
	}
	w.Len(len(s.Rules), s.Rules == nil)
	for _, rule := range s.Rules {
		w.String(rule.Syscall)
		w.Uint(uint64(rule.Action))
		w.Len(len(rule.Args), rule.Args == nil)
		for _, c := range rule.Args {
			w.Int(int64(c.Index))
			w.Uint(uint64(c.Op))
			w.Uint(c.Value)
			w.Uint(c.Mask)
		}
	}
	w.Bool(s.AllowX32)
	w.Bool(s.AllowI386)
}

func getSpec(r *wire.Reader, s *seccomp.Spec) {
	s.Preset = r.String()
	s.Allow = r.Strings()
	s.Deny = r.Strings()
	if r.Bool() {
		a := seccomp.Action(r.Uint())
		s.DefaultAction = &a
	}
	if n, isNil := r.Len(); !isNil {
		s.Rules = make([]seccomp.Rule, n)
		for i := range s.Rules {
			rule := &s.Rules[i]
			rule.Syscall = r.String()
			rule.Action = seccomp.Action(r.Uint())
			if m, isNil := r.Len(); !isNil {
				rule.Args = make([]seccomp.Cond, m)
				for k := range rule.Args {
					c := &rule.Args[k]
					c.Index = int(r.Int())
					op := r.Uint()
					if op > 255 {
						r.Fail(fmt.Errorf("seccomp operator %d", op))
					}
					c.Op = seccomp.Op(op)
					c.Value = r.Uint()
					c.Mask = r.Uint()
				}
			}
		}
	}
	s.AllowX32 = r.Bool()
	s.AllowI386 = r.Bool()
}

func putUintPtr(w *wire.Writer, v *uint64) {
	w.Bool(v != nil)
	if v != nil {
		w.Uint(*v)
	}
}

func getUintPtr(r *wire.Reader) *uint64 {
	if !r.Bool() {
		return nil
	}
	v := r.Uint()
	return &v
}
