package profiles

// Profile is a validated profile: every path is absolute and clean, every
// size, mode and name parsed. Includes are already merged in.
type Profile struct {
	Name      string
	Origin    Pos      // the file Load was given
	FilesRead []string // every file read, includes first, for hashing and audit
	Command   []string
	// CommandPos is where command was set, for messages about it.
	CommandPos Pos
	Workdir    string // "/" when unset
	Hostname   string
	StateRoot  string // host dir holding state dirs, "" means the default

	Root     Root
	Binds    []Bind
	Tmpfs    []Tmpfs
	States   []State
	Dirs     []Dir
	Symlinks []Symlink
	Files    []File
	Proc     *Proc    // nil when the view has no /proc
	Dev      *Mounted // nil when the view has no /dev

	Env        Env
	Security   Security
	Namespaces Namespaces
	Logging    Logging

	Seccomp  *Seccomp // nil: no syscall filter
	Limits   []Limit  // rlimits set before exec
	Landlock *Landlock
	Cgroup   *Cgroup // nil: no cgroup of the jail's own (cgroup.go)
	Wall     Wall    // [limits] wall
}

// Logging passes the host's logging sockets into the view, one socket
// each, without the rest of /run.
type Logging struct {
	Syslog  bool // /dev/log
	Journal bool // journald's native and stdout sockets
	Pos     Pos
}

// Sockets lists the sockets Logging passes, at the same path on the host
// and in the view.
func (l Logging) Sockets() []string {
	var s []string
	if l.Syslog {
		s = append(s, "/dev/log")
	}
	if l.Journal {
		s = append(s, "/run/systemd/journal/socket", "/run/systemd/journal/stdout")
	}
	return s
}

// Root is the tmpfs that becomes "/".
type Root struct {
	Size int64  // bytes; 0 means the kernel default (half of RAM)
	Mode uint32 // permission bits, octal as written
	// Writable false remounts the root read-only once the view is built.
	Writable bool
}

// BindMode says whether a bind is read-only or read-write.
type BindMode string

const (
	ReadOnly  BindMode = "ro"
	ReadWrite BindMode = "rw"
)

// Bind shows a host path in the view.
type Bind struct {
	Pos      Pos
	Source   string // host path
	Target   string // view path
	Mode     BindMode
	Optional bool
	// Follow: the source's last component may be a symlink root placed
	// (mounts.Links.Last); otherwise the path is taken literally.
	Follow bool
}

// Tmpfs is a scratch file system, empty at every start.
type Tmpfs struct {
	Pos    Pos
	Target string
	Size   int64
	Mode   uint32
}

// State is a private read-write directory kept on the host under the
// state root, so that it survives restarts and can be audited.
type State struct {
	Pos    Pos
	Target string
	Mode   uint32
}

// Dir is an empty directory in the view.
type Dir struct {
	Pos    Pos
	Target string
	Mode   uint32
}

// Symlink is a symbolic link in the view; To is stored as written.
type Symlink struct {
	Pos    Pos
	Target string
	To     string
}

// File is a file written into the view, from Content or copied from Source.
type File struct {
	Pos     Pos
	Target  string
	Content string
	Source  string // host path; empty when Content is used
	Mode    uint32
	Follow  bool // as Bind.Follow
}

// Mounted marks a [dev] table that was present.
type Mounted struct{ Pos Pos }

// Env is the daemon's environment.
type Env struct {
	Clear bool
	Set   map[string]string
	Keep  []string
}

// Security holds the privileges the daemon keeps.
type Security struct {
	NoNewPrivs bool
	User       string // as written; "" keeps the caller's user
	Group      string
	UserPos    Pos
	GroupPos   Pos
	UID, GID   int // resolved on the host by CheckHost; -1 when User/Group is empty
	Caps       []string
	CapsPos    Pos // where capabilities was set; zero when DefaultCaps apply
}

// Namespaces other than the mount namespace, which is always new.
type Namespaces struct {
	UTS, IPC, Cgroup bool
	Net              NetMode
	NetPos           Pos // where net was set; zero when left to the default (host)
	// PID gives the jail its own PID namespace (the default). fsviews then
	// stays as a small supervisor outside, and inside a PID 1 reaps and
	// forwards signals, unless AsPID1 makes the daemon PID 1 itself.
	PID    bool
	PIDPos Pos // where pid was set; zero when left to the default (true)
	AsPID1 bool
	// User builds the view in a new user namespace, as an unprivileged
	// user can (docs/rootless.md); it implies PID.
	User    bool
	UserPos Pos
}

// NetMode is the network namespace setting.
type NetMode string

const (
	NetHost     NetMode = "host"
	NetNone     NetMode = "none"
	NetLoopback NetMode = "loopback"
)

// DefaultCaps returns the set a daemon keeps when its profile names none:
// the moderate set container runtimes grant, without CAP_SYS_ADMIN, and
// without CAP_FSETID and CAP_SETFCAP, which serve only to plant set-group-ID
// files and file capabilities on host file systems (docs/security.md).
func DefaultCaps() []string {
	return []string{
		"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_KILL",
		"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
		"CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE",
	}
}

// DefaultStateRoot holds state dirs when neither the profile nor the
// command line names another root.
const DefaultStateRoot = "/var/lib/fsviews"
