package views

import (
	"path"
	"sort"
	"strings"

	"github.com/fsviews/fsviews/profiles"
)

// Options are the run-time choices that are not in the profile.
type Options struct {
	// Name is the jail's name (run --name); empty means the profile's
	// name. It names the plan and keys the state dir, STATE_ROOT/NAME, so
	// that two jails of one profile keep separate state. The caller checks
	// it is a valid name (registry.ValidName): it becomes a path element.
	Name string
	// StateRoot overrides the profile's state_root (the --state-dir flag).
	StateRoot string
	// Command overrides the profile's command (the words after "--").
	Command []string
	// SeccompLog makes the seccomp filter log what it would refuse
	// instead of refusing it (run --seccomp-log).
	SeccompLog bool
	// TTY keeps the caller's terminal (the --tty flag).
	TTY bool
	// NotifySocket is the caller's NOTIFY_SOCKET, "" when unset.
	NotifySocket string
	// UserNS builds the view in a new user namespace even when the
	// profile does not say [namespaces] user = true (run --userns, or a
	// caller without CAP_SYS_ADMIN): see rootless.go.
	UserNS bool
	// Kernel is what this host's kernel can enforce, asked before the
	// plan is made (launch.ProbeKernel); nil plans every layer.
	Kernel *Kernel
}

// Kernel says which confinement layers the host's kernel can enforce: a
// nil error means it can. A layer it cannot is left out of the plan when
// the profile marks it optional (Plan.Skipped says so); a required one
// stays, and the launch refuses to start.
type Kernel struct {
	Seccomp  error
	Landlock error
}

// DevNodes are the host device nodes a [dev] view gets.
func DevNodes() []string { return []string{"null", "zero", "full", "random", "urandom", "tty"} }

// Compile turns a validated profile into a plan.
func Compile(p *profiles.Profile, opt Options) *Plan {
	p = inUserNS(p, opt)
	stateRoot := profiles.DefaultStateRoot
	if p.StateRoot != "" {
		stateRoot = p.StateRoot
	}
	if opt.StateRoot != "" {
		stateRoot = opt.StateRoot
	}
	command := p.Command
	if len(opt.Command) > 0 {
		command = opt.Command
	}
	name := p.Name
	if opt.Name != "" {
		name = opt.Name
	}
	plan := &Plan{
		Name:      name,
		Profile:   p.Origin.File,
		StateDir:  path.Join(stateRoot, name),
		Unshare:   Namespaces(p.Namespaces),
		Net:       string(p.Namespaces.Net),
		Hostname:  p.Hostname,
		Workdir:   p.Workdir,
		UID:       p.Security.UID,
		GID:       p.Security.GID,
		Caps:      append([]string{}, p.Security.Caps...),
		NoNewPriv: p.Security.NoNewPrivs,
		Env:       EnvRules{Clear: p.Env.Clear, Set: p.Env.Set, Keep: p.Env.Keep},
		Command:   append([]string{}, command...),
		PID:       p.Namespaces.PID,
		AsPID1:    p.Namespaces.PID && p.Namespaces.AsPID1,
		UserNS:    p.Namespaces.User,
		TTY:       opt.TTY,
	}
	ops := targetOps(p, plan.StateDir, opt, plan)
	c := compiler{made: map[string]bool{"/": true}, mounts: map[string]Kind{}}
	c.ops = append(c.ops, Op{Kind: MakeRoot, Target: "/", Size: p.Root.Size, Mode: Mode(p.Root.Mode)})
	for _, op := range ops {
		c.add(op)
	}
	if !p.Root.Writable {
		c.ops = append(c.ops, Op{Kind: RemountRO, Target: "/"})
	}
	plan.Ops = c.ops
	confinement(p, plan, opt)
	return plan
}

// Namespaces lists the namespaces a jail of n gets, in the spelling of
// /proc/PID/ns (and of systemd's RestrictNamespaces=), "mnt" always first.
func Namespaces(n profiles.Namespaces) []string {
	ns := []string{"mnt"}
	if n.UTS {
		ns = append(ns, "uts")
	}
	if n.IPC {
		ns = append(ns, "ipc")
	}
	if n.Net != profiles.NetHost {
		ns = append(ns, "net")
	}
	if n.Cgroup {
		ns = append(ns, "cgroup")
	}
	if n.PID {
		ns = append(ns, "pid")
	}
	if n.User {
		ns = append(ns, "user")
	}
	return ns
}

// targetOps lists one op per profile entry (several for [dev]), sorted so
// that every parent precedes its children: a path sorts before any path
// it prefixes.
func targetOps(p *profiles.Profile, stateDir string, opt Options, plan *Plan) []Op {
	var ops []Op
	for _, b := range p.Binds {
		ops = append(ops, Op{Kind: Bind, Target: b.Target, Source: b.Source, ReadOnly: b.Mode == profiles.ReadOnly, Optional: b.Optional, Follow: b.Follow, Origin: b.Pos.String()})
	}
	uid, gid := p.Security.UID, p.Security.GID
	switch {
	case p.Namespaces.User:
		// Made by the jail as its caller, and left the caller's: no other
		// owner is mapped to chown them to.
		uid, gid = -1, -1
	case uid < 0:
		uid, gid = 0, 0
	}
	// Scratch tmpfs belong to the daemon's user, as its state dirs do: a
	// daemon that drops to its user could not write one of mode 0700 or
	// 0755 owned by root.
	for _, t := range p.Tmpfs {
		ops = append(ops, Op{Kind: Tmpfs, Target: t.Target, Size: t.Size, Mode: Mode(t.Mode), UID: uid, GID: gid, Origin: t.Pos.String()})
	}
	for _, s := range p.States {
		ops = append(ops, Op{Kind: State, Target: s.Target, Source: stateDir + s.Target, Mode: Mode(s.Mode), UID: uid, GID: gid, Origin: s.Pos.String()})
	}
	for _, d := range p.Dirs {
		ops = append(ops, Op{Kind: Mkdir, Target: d.Target, Mode: Mode(d.Mode), Origin: d.Pos.String()})
	}
	for _, l := range p.Symlinks {
		ops = append(ops, Op{Kind: Symlink, Target: l.Target, Link: l.To, Origin: l.Pos.String()})
	}
	for _, f := range p.Files {
		ops = append(ops, Op{Kind: File, Target: f.Target, Source: f.Source, Content: f.Content, Mode: Mode(f.Mode), Follow: f.Follow, Origin: f.Pos.String()})
	}
	if p.Proc != nil {
		ops = append(ops, procOps(p.Proc)...)
	}
	if p.Dev != nil {
		ops = append(ops, devOps(p.Dev.Pos.String())...)
	}
	ops = append(ops, socketOps(p)...)
	if op, ok := notifyOp(opt.NotifySocket, p.Namespaces.PID); ok {
		ops = append(ops, op)
		plan.Notify = NotifyTarget
	} else if opt.NotifySocket != "" {
		plan.Notify = opt.NotifySocket
	}
	sort.SliceStable(ops, func(i, j int) bool { return ops[i].Target < ops[j].Target })
	return ops
}

// devOps is a minimal /dev: the harmless character devices, a private
// devpts (so the daemon cannot reach the host's terminals), /dev/shm and
// the fd links programs expect.
func devOps(origin string) []Op {
	ops := []Op{{Kind: Tmpfs, Target: "/dev", Mode: 0o755, Size: 1 << 20, Origin: origin}}
	for _, n := range DevNodes() {
		ops = append(ops, Op{Kind: DevNode, Target: "/dev/" + n, Source: "/dev/" + n, Origin: origin})
	}
	ops = append(ops,
		Op{Kind: Devpts, Target: "/dev/pts", Origin: origin},
		Op{Kind: Symlink, Target: "/dev/ptmx", Link: "pts/ptmx", Origin: origin},
		Op{Kind: Tmpfs, Target: "/dev/shm", Mode: 0o1777, Origin: origin},
		Op{Kind: Symlink, Target: "/dev/fd", Link: "/proc/self/fd", Origin: origin},
		Op{Kind: Symlink, Target: "/dev/stdin", Link: "/proc/self/fd/0", Origin: origin},
		Op{Kind: Symlink, Target: "/dev/stdout", Link: "/proc/self/fd/1", Origin: origin},
		Op{Kind: Symlink, Target: "/dev/stderr", Link: "/proc/self/fd/2", Origin: origin},
	)
	return ops
}

// compiler adds the mkdirs that ops need: a target's missing parents are
// created when they lie in a tmpfs (the root, a [[tmpfs]], /dev) or a
// state dir, both of which fsviews owns. Below a bind the parents must
// exist on the host: creating them would write into a host directory.
type compiler struct {
	ops    []Op
	made   map[string]bool // directories that exist once the ops so far ran
	mounts map[string]Kind // mount targets so far
}

func (c *compiler) add(op Op) {
	var missing []string
	for dir := parent(op.Target); !c.made[dir]; dir = parent(dir) {
		if c.insideHostTree(dir) {
			break
		}
		missing = append(missing, dir)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		c.ops = append(c.ops, Op{Kind: Mkdir, Target: missing[i], Mode: 0o755, Origin: "(parent of " + op.Target + ")"})
		c.made[missing[i]] = true
	}
	c.ops = append(c.ops, op)
	switch op.Kind {
	case Mkdir, Tmpfs, State, Bind, Devpts, Proc, Rebind:
		c.made[op.Target] = true
	}
	switch op.Kind {
	case Tmpfs, State, Bind, Devpts, Proc, DevNode, Socket, Rebind, Mask:
		c.mounts[op.Target] = op.Kind
	}
}

// insideHostTree reports whether dir lies inside a bind of a host
// directory or inside the procfs, where fsviews must not create anything.
func (c *compiler) insideHostTree(dir string) bool {
	for d := dir; ; d = parent(d) {
		if kind, ok := c.mounts[d]; ok {
			return kind == Bind || kind == Proc || kind == Rebind
		}
		if d == "/" {
			return false
		}
	}
}

func parent(p string) string {
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		return p[:i]
	}
	return "/"
}
