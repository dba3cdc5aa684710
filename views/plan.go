package views

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind names an operation.
type Kind string

const (
	MakeRoot  Kind = "root"       // mount the tmpfs that becomes "/"
	Mkdir     Kind = "mkdir"      // create a directory
	Bind      Kind = "bind"       // bind a host path, recursively
	Tmpfs     Kind = "tmpfs"      // mount an empty tmpfs
	State     Kind = "state"      // create the host-side state dir if needed, bind it read-write
	Symlink   Kind = "symlink"    // create a symbolic link
	File      Kind = "file"       // write a file from Content, or copy Source
	Proc      Kind = "proc"       // mount procfs
	DevNode   Kind = "dev-node"   // bind one host device node
	Devpts    Kind = "devpts"     // mount a private devpts instance
	RemountRO Kind = "remount-ro" // make the root tmpfs read-only
	Socket    Kind = "socket"     // bind one host unix socket, read-write
	// Rebind binds a path of the view onto itself, read-only or
	// read-write, so that it keeps a different mode than its mount.
	Rebind Kind = "rebind"
	// Mask hides a path of the view behind an empty read-only file or
	// directory.
	Mask Kind = "mask"
	// NotifyRelay creates a datagram socket in the view that fsviews'
	// supervisor reads and relays to the host's NOTIFY_SOCKET (Source).
	NotifyRelay Kind = "notify-relay"
)

// Mode is a permission mode that prints and marshals as octal ("0755").
type Mode uint32

func (m Mode) String() string { return fmt.Sprintf("%04o", uint32(m)) }

func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

func (m *Mode) UnmarshalText(b []byte) error {
	n, err := strconv.ParseUint(string(b), 8, 32)
	if err != nil {
		return fmt.Errorf("mode %q: %w", b, err)
	}
	*m = Mode(n)
	return nil
}

// Op is one step of building the view. Target is always a path inside
// the view; Source a path on the host.
type Op struct {
	Kind     Kind   `json:"op"`
	Target   string `json:"target"`
	Source   string `json:"source,omitempty"`
	ReadOnly bool   `json:"readonly,omitempty"`
	Optional bool   `json:"optional,omitempty"`
	// Follow: the source's last component may be a symlink root placed
	// (a bind or file with follow = true, or a socket fsviews names).
	Follow  bool   `json:"follow,omitempty"`
	Size    int64  `json:"size,omitempty"`
	Mode    Mode   `json:"mode,omitempty"`
	Link    string `json:"link,omitempty"`    // symlink destination
	Content string `json:"content,omitempty"` // file text
	// Options are the file system's mount options, key=value (proc).
	Options []string `json:"options,omitempty"`
	UID     int      `json:"uid,omitempty"` // state dir owner
	GID     int      `json:"gid,omitempty"`
	Origin  string   `json:"origin,omitempty"` // profile file:line
}

func (op Op) String() string {
	var detail []string
	switch op.Kind {
	case Bind, DevNode, State, Socket:
		detail = append(detail, "<- "+op.Source)
	case NotifyRelay:
		detail = append(detail, "-> "+op.Source, "relayed by the supervisor")
	case Symlink:
		detail = append(detail, "-> "+op.Link)
	}
	switch op.Kind {
	case Bind:
		if op.ReadOnly {
			detail = append(detail, "ro")
		} else {
			detail = append(detail, "rw")
		}
		if op.Optional {
			detail = append(detail, "optional")
		}
		if op.Follow {
			detail = append(detail, "follow")
		}
	case Socket:
		detail = append(detail, "rw")
	case Rebind:
		if op.ReadOnly {
			detail = append(detail, "ro")
		} else {
			detail = append(detail, "rw")
		}
	case Mask:
		detail = append(detail, "hidden")
	case Proc:
		detail = append(detail, op.Options...)
	}
	switch op.Kind {
	case Rebind, Mask:
		if op.Optional {
			detail = append(detail, "if present")
		}
	case Tmpfs:
		if op.UID > 0 || op.GID > 0 {
			detail = append(detail, fmt.Sprintf("owner=%d:%d", op.UID, op.GID))
		}
	case State:
		if op.UID < 0 {
			detail = append(detail, "rw", "owner=caller")
		} else {
			detail = append(detail, "rw", fmt.Sprintf("owner=%d:%d", op.UID, op.GID))
		}
	case File:
		if op.Source != "" {
			detail = append(detail, "copy of "+op.Source)
		} else {
			detail = append(detail, fmt.Sprintf("%d bytes", len(op.Content)))
		}
	}
	if op.Size > 0 {
		detail = append(detail, "size="+FormatSize(op.Size))
	}
	if op.Mode != 0 {
		detail = append(detail, "mode="+op.Mode.String())
	}
	return strings.TrimRight(fmt.Sprintf("%-10s %-28s %s", op.Kind, op.Target, strings.Join(detail, " ")), " ")
}

// FormatSize prints bytes with the largest exact binary unit.
func FormatSize(n int64) string {
	for _, u := range []struct {
		shift uint
		name  string
	}{{30, "G"}, {20, "M"}, {10, "k"}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d%s", n>>u.shift, u.name)
		}
	}
	return strconv.FormatInt(n, 10)
}

// Plan is everything `fsviews run` does, in order.
type Plan struct {
	Name      string   `json:"name"`
	Profile   string   `json:"profile"`
	StateDir  string   `json:"state_dir"` // host dir holding this jail's state dirs: STATE_ROOT/Name
	Ops       []Op     `json:"ops"`
	Unshare   []string `json:"unshare"` // namespaces created, "mnt" always first
	Net       string   `json:"net"`
	Hostname  string   `json:"hostname,omitempty"`
	Workdir   string   `json:"workdir"`
	UID       int      `json:"uid"` // -1: keep the caller's
	GID       int      `json:"gid"`
	Caps      []string `json:"capabilities"`
	NoNewPriv bool     `json:"no_new_privs"`
	Env       EnvRules `json:"env"`
	Command   []string `json:"command"`

	// Confinement beyond the view (confine.go); nil or empty when not profiled.
	Limits   []LimitPlan   `json:"limits,omitempty"`
	Landlock *LandlockPlan `json:"landlock,omitempty"`
	Seccomp  *SeccompPlan  `json:"seccomp,omitempty"`
	// Skipped are the optional layers this host's kernel cannot enforce,
	// left out of the plan, each with the reason (Options.Kernel).
	Skipped []string `json:"skipped,omitempty"`
	// Limits on the whole jail, enforced from outside by the supervisor
	// (cgroup.go).
	Cgroup *CgroupPlan `json:"cgroup,omitempty"`
	Wall   Duration    `json:"wall,omitempty"`

	// The process model (docs/systemd.md): PID false execs the daemon in
	// place; PID true keeps fsviews as a supervisor outside a new PID
	// namespace, whose PID 1 is fsviews' init, or the daemon when AsPID1.
	PID    bool `json:"pid,omitempty"`
	AsPID1 bool `json:"as_pid_1,omitempty"`
	// UserNS builds the view in a new user namespace owned by the
	// caller, who is mapped to itself (docs/rootless.md); PID is then
	// true as well.
	UserNS bool `json:"userns,omitempty"`
	// TTY keeps the caller's controlling terminal (run --tty); otherwise
	// the daemon runs in a new session without one.
	TTY bool `json:"tty,omitempty"`
	// Notify is NOTIFY_SOCKET as the daemon sees it, "" when unset.
	Notify string `json:"notify_socket,omitempty"`
}

// EnvRules say how the daemon's environment is made from fsviews' own.
type EnvRules struct {
	Clear bool              `json:"clear"`
	Set   map[string]string `json:"set,omitempty"`
	Keep  []string          `json:"keep,omitempty"`
}

// String renders the plan as the numbered table `fsviews plan` prints.
func (p *Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# plan for %q (%s)\n", p.Name, p.Profile)
	fmt.Fprintf(&b, "# namespaces: %s (net: %s)\n", strings.Join(p.Unshare, ", "), p.Net)
	if p.PID {
		fmt.Fprintf(&b, "# process: %s\n", p.ProcessModel())
	}
	p.cgroupHeader(&b)
	for _, s := range p.Skipped {
		fmt.Fprintf(&b, "# %s\n", s)
	}
	n := 0
	step := func(format string, args ...any) {
		n++
		fmt.Fprintf(&b, "%3d  %s\n", n, fmt.Sprintf(format, args...))
	}
	for _, op := range p.Ops {
		step("%s", op)
	}
	for _, st := range p.Finish() {
		for _, l := range st.Lines {
			step("%s", l)
		}
	}
	return b.String()
}
