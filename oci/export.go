package oci

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/fsviews/fsviews/cgroups"
	"github.com/fsviews/fsviews/seccomp"
	"github.com/fsviews/fsviews/views"
)

// ociVersion is the oldest runtime-spec version with every field the
// bundle uses (defaultErrnoRet, errnoRet): crun 1.8 (Debian 12) refuses
// any version but 1.0.x, and runc 1.1 calls its own 1.0.2-dev.
const ociVersion = "1.0.2-dev"

// Bundle is an OCI runtime bundle before it is written: config.json and
// what goes into the rootfs directory.
type Bundle struct {
	Spec *specs.Spec
	// RootMode is the permission of the rootfs directory ([root] mode).
	RootMode uint32
	// Skeleton is what fsviews writes into its tmpfs root before the
	// mounts cover it: directories, symbolic links, files. Everything
	// else comes from mounts.
	Skeleton []views.Op
	// Gaps are what the spec cannot express; Notes are choices Export
	// made that the user should know of.
	Gaps, Notes []Gap
}

// Gap is one part of the plan the bundle does not carry as fsviews does.
type Gap struct {
	Origin string `json:"origin"` // profile file:line, or where it comes from
	What   string `json:"what"`   // what is missing and what the runtime does instead
}

func (g Gap) String() string { return g.Origin + ": " + g.What }

type gaps []Gap

func (g *gaps) add(origin, format string, a ...any) {
	*g = append(*g, Gap{Origin: origin, What: fmt.Sprintf(format, a...)})
}

// Resolve says where the host path of a bind op is: the path to mount, or
// "" when an optional source is missing. It checks what fsviews checks
// at start (no symlink in the path unless Follow, and then the path it
// leads to).
type Resolve func(op views.Op) (string, error)

// Options are the facts Export needs beyond the plan.
type Options struct {
	Arch    seccomp.Arch // the filter's architecture
	Resolve Resolve
}

// Export translates plan into a bundle. It fails on what cannot be
// translated at all (a source that is not there, a filter that does not
// compile); everything that translates with a difference is a Gap.
func Export(plan *views.Plan, opt Options) (*Bundle, error) {
	if len(plan.Command) == 0 {
		return nil, fmt.Errorf("%s: no command: set command in the profile, or give one after --", plan.Profile)
	}
	var g, notes gaps
	b := &Bundle{}
	s := &specs.Spec{
		Version:  ociVersion,
		Root:     &specs.Root{Path: "rootfs"},
		Hostname: plan.Hostname,
		Process:  process(plan, &g),
		Linux:    &specs.Linux{},
	}
	if err := mountsOf(plan, opt.Resolve, s, b, &g, &notes); err != nil {
		return nil, err
	}
	if !hasKind(plan, views.Proc) {
		// runc closes the container's inherited fds through /proc/self/fd
		// before exec, and crun reads /proc too: without a procfs they
		// refuse to start. The process directories alone are enough.
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "nodev", "noexec", "subset=pid"}})
		g.add("[proc]", "none in the profile: runtimes need /proc in the container, so the bundle mounts one with subset=pid (process directories only)")
	}
	s.Linux.Namespaces = namespaces(plan, &g)
	s.Linux.Resources = resources(plan, &g)
	if plan.Seccomp != nil {
		sec, err := seccompSection(plan.Seccomp, opt.Arch, &g, &notes)
		if err != nil {
			return nil, err
		}
		s.Linux.Seccomp = sec
	}
	if plan.Landlock != nil {
		origin := "[landlock]"
		if len(plan.Landlock.Rules) > 0 {
			origin = plan.Landlock.Rules[len(plan.Landlock.Rules)-1].Origin
		}
		g.add(origin, "[landlock]: the runtime spec has no Landlock rules; the daemon is confined by the mounts, capabilities and seccomp filter only")
	}
	if plan.Wall > 0 {
		g.add("[limits] wall", "wall = %s: OCI runtimes have no time limit; have the orchestrator stop the container (Nomad kill_timeout, systemd RuntimeMaxSec=)", plan.Wall)
	}
	b.Spec, b.Gaps, b.Notes = s, g, notes
	return b, nil
}

func process(plan *views.Plan, g *gaps) *specs.Process {
	uid, gid := plan.UID, plan.GID
	if uid < 0 {
		// fsviews keeps the caller's identity, root for a system daemon:
		// the runtime starts the process as root too.
		uid, gid = 0, 0
	}
	caps := append([]string{}, plan.Caps...)
	p := &specs.Process{
		Args:            plan.Command,
		Env:             environ(plan, g),
		Cwd:             plan.Workdir,
		User:            specs.User{UID: uint32(uid), GID: uint32(gid)},
		NoNewPrivileges: plan.NoNewPriv,
		// fsviews keeps the same set in all five: bounding, permitted and
		// effective, and inheritable and ambient so that a daemon running
		// as another user than root holds them too.
		Capabilities: &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Inheritable: caps, Permitted: caps, Ambient: caps},
	}
	if plan.UID >= 0 {
		// fsviews sets the groups to the gid alone when it changes user,
		// and leaves them as they are otherwise.
		p.User.AdditionalGids = []uint32{uint32(gid)}
	}
	for _, l := range plan.Limits {
		soft, hard := l.Soft, l.Hard
		switch {
		case soft == nil && hard == nil:
			continue
		case soft == nil:
			g.add(l.Origin, "[limits] %s: the soft limit is inherited under fsviews; OCI needs both, so it is set to the hard limit", l.Name)
			soft = hard
		case hard == nil:
			g.add(l.Origin, "[limits] %s: the hard limit is inherited under fsviews; OCI needs both, so it is set to the soft limit", l.Name)
			hard = soft
		}
		p.Rlimits = append(p.Rlimits, specs.POSIXRlimit{Type: "RLIMIT_" + strings.ToUpper(l.Name), Soft: *soft, Hard: *hard})
	}
	if plan.TTY {
		p.Terminal = true
	}
	return p
}

// environ is the daemon's environment with nothing inherited: the
// profile's set values and a default PATH. What fsviews would take from
// its caller's environment is a gap.
func environ(plan *views.Plan, g *gaps) []string {
	if !plan.Env.Clear {
		g.add("[env]", "clear = false: fsviews passes on its caller's environment; the bundle holds only PATH and [env] set")
	}
	if len(plan.Env.Keep) > 0 {
		g.add("[env] keep", "keep = %q: the bundle cannot take values from whoever starts it; add them to process.env", plan.Env.Keep)
	}
	return views.EnvRules{Clear: true, Set: plan.Env.Set}.Environ(nil)
}

func namespaces(plan *views.Plan, g *gaps) []specs.LinuxNamespace {
	names := map[string]specs.LinuxNamespaceType{
		"mnt": specs.MountNamespace, "uts": specs.UTSNamespace, "ipc": specs.IPCNamespace,
		"net": specs.NetworkNamespace, "cgroup": specs.CgroupNamespace, "pid": specs.PIDNamespace,
		"user": specs.UserNamespace,
	}
	var ns []specs.LinuxNamespace
	for _, n := range plan.Unshare {
		if n == "user" {
			g.add("[namespaces] user", "a rootless jail: run the bundle with a rootless runtime (runc --rootless, podman as the user); the bundle maps no user ids")
			continue
		}
		ns = append(ns, specs.LinuxNamespace{Type: names[n]})
	}
	if plan.Net == "none" {
		g.add("[namespaces] net", "net = \"none\": runtimes bring up lo in a new network namespace, so the daemon has loopback as with \"loopback\"")
	}
	if plan.PID && !plan.AsPID1 {
		g.add("[namespaces] pid", "fsviews' init is PID 1 of the jail and reaps orphans; under the runtime the daemon itself is PID 1 (add an init: podman --init, or as_pid_1 = true if the daemon reaps)")
	}
	return ns
}

func resources(plan *views.Plan, g *gaps) *specs.LinuxResources {
	c := plan.Cgroup
	if c == nil {
		return nil
	}
	r := &specs.LinuxResources{}
	if c.Pids > 0 {
		r.Pids = &specs.LinuxPids{Limit: c.Pids}
	}
	if c.Memory > 0 {
		// OCI's swap is memory plus swap: equal to the limit means none.
		m := c.Memory
		r.Memory = &specs.LinuxMemory{Limit: &m, Swap: &m}
	}
	if c.CPU > 0 {
		q, p := c.CPUQuota(), uint64(cgroups.CPUPeriod)
		r.CPU = &specs.LinuxCPU{Quota: &q, Period: &p}
	}
	if c.Optional {
		g.add(c.Origin, "[cgroup] optional: a runtime fails when it cannot apply a limit, where fsviews would run without it")
	}
	return r
}

// inRoot reports whether target lies in the root tmpfs itself, below no
// mount made so far: there fsviews writes directories, links and files,
// which the bundle carries in its rootfs.
func inRoot(target string, mounted map[string]bool) bool {
	for d := path.Dir(target); d != "/"; d = path.Dir(d) {
		if mounted[d] {
			return false
		}
	}
	return true
}

// runtimeDev are the links runc and crun make themselves in a /dev tmpfs,
// the same fsviews' [dev] makes.
var runtimeDev = map[string]string{
	"/dev/ptmx": "pts/ptmx", "/dev/fd": "/proc/self/fd", "/dev/stdin": "/proc/self/fd/0",
	"/dev/stdout": "/proc/self/fd/1", "/dev/stderr": "/proc/self/fd/2",
}

func mountsOf(plan *views.Plan, resolve Resolve, s *specs.Spec, b *Bundle, g, notes *gaps) error {
	mounted := map[string]bool{}
	mount := func(m specs.Mount) {
		s.Mounts = append(s.Mounts, m)
		mounted[m.Destination] = true
	}
	for _, op := range plan.Ops {
		switch op.Kind {
		case views.MakeRoot:
			b.RootMode = uint32(op.Mode)
			s.Root.Readonly = hasKind(plan, views.RemountRO)
			if op.Size > 0 && !s.Root.Readonly {
				g.add("[root] size", "size = %s of a writable root: the bundle's rootfs is a directory, limited by the file system that holds it", views.FormatSize(op.Size))
			}
			if !s.Root.Readonly {
				g.add("[root] writable", "the daemon writes into the bundle's rootfs directory, and what it writes stays there across runs; fsviews' root is a new tmpfs each time")
			}
		case views.RemountRO:
			// root.readonly above.
		case views.Mkdir, views.Symlink, views.File:
			switch {
			case inRoot(op.Target, mounted):
				b.Skeleton = append(b.Skeleton, op)
				if op.Kind == views.File && op.Source != "" {
					notes.add(op.Origin, "[[file]] %s: copied from %s now, not at every start; export again after changing it", op.Target, op.Source)
				}
			case op.Kind == views.Symlink && runtimeDev[op.Target] == op.Link:
				// The runtime makes it.
			case op.Kind == views.Mkdir && strings.HasPrefix(op.Origin, "(parent of "):
				// The runtime creates missing mount points.
			default:
				g.add(op.Origin, "%s %s: inside a mount (tmpfs or state dir), where the runtime creates nothing but mount points", op.Kind, op.Target)
			}
		case views.Bind, views.Socket, views.DevNode, views.State:
			m, ok, err := bindMount(op, resolve)
			if err != nil {
				return err
			}
			if !ok {
				notes.add(op.Origin, "optional bind %s skipped: %s is missing now (fsviews decides at every start; export again if it appears)", op.Target, op.Source)
				continue
			}
			mount(m)
			if op.Kind == views.State {
				g.add(op.Origin, "[[state]] %s: the runtime does not create state dirs; fsviews oci creates %s as fsviews run does, and the bundle binds it (on another host, create it there first)", op.Target, op.Source)
			}
		case views.Tmpfs:
			opts := []string{"nosuid", "nodev", "mode=" + strconv.FormatUint(uint64(op.Mode), 8)}
			if op.Size > 0 {
				opts = append(opts, "size="+strconv.FormatInt(op.Size, 10))
			}
			mount(specs.Mount{Destination: op.Target, Type: "tmpfs", Source: "tmpfs", Options: opts})
		case views.Devpts:
			mount(specs.Mount{Destination: op.Target, Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}})
		case views.Proc:
			mount(specs.Mount{Destination: op.Target, Type: "proc", Source: "proc", Options: append([]string{"nosuid", "nodev", "noexec"}, op.Options...)})
		case views.Rebind:
			if !op.ReadOnly {
				g.add(op.Origin, "%s made writable again inside read-only /proc/sys: the runtime spec has read-only paths only, so it stays read-only", op.Target)
				continue
			}
			s.Linux.ReadonlyPaths = append(s.Linux.ReadonlyPaths, op.Target)
		case views.Mask:
			s.Linux.MaskedPaths = append(s.Linux.MaskedPaths, op.Target)
		case views.NotifyRelay:
			g.add(op.Origin, "NOTIFY_SOCKET: fsviews' supervisor relays the daemon's notifications; use the runtime's own (runc run --notify-socket, podman --sdnotify=container)")
		default:
			return fmt.Errorf("bug: op %q at %s has no OCI form", op.Kind, op.Target)
		}
	}
	return nil
}

func hasKind(plan *views.Plan, kind views.Kind) bool {
	for _, op := range plan.Ops {
		if op.Kind == kind {
			return true
		}
	}
	return false
}

// bindMount is a bind with fsviews' attributes. A bind of a tree is
// recursive, and its attributes hold for every submount ("r" options,
// mount_setattr with AT_RECURSIVE, as fsviews sets them).
func bindMount(op views.Op, resolve Resolve) (specs.Mount, bool, error) {
	src, err := resolve(op)
	if err != nil {
		return specs.Mount{}, false, fmt.Errorf("%s (%s): %w", op.Target, op.Origin, err)
	}
	if src == "" {
		return specs.Mount{}, false, nil
	}
	var opts []string
	switch op.Kind {
	case views.DevNode:
		// Device nodes need dev; they are single files.
		opts = []string{"bind", "nosuid", "noexec"}
	case views.Socket:
		opts = []string{"bind", "nosuid", "nodev"}
	default:
		opts = []string{"rbind", "nosuid", "nodev", "rnosuid", "rnodev"}
		if op.Kind == views.Bind && op.ReadOnly {
			opts = append(opts, "ro", "rro")
		}
	}
	return specs.Mount{Destination: op.Target, Type: "bind", Source: src, Options: opts}, true, nil
}
