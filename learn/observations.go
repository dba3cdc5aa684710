package learn

// Observations is what one learning run saw the daemon do. Paths are as
// the daemon saw them (the host's, read through the overlay).
type Observations struct {
	Command []string `json:"command"` // argv, argv[0] the absolute path executed
	Workdir string   `json:"workdir"`

	// Files the daemon opened, by path: what for, merged over the run.
	Files map[string]Use `json:"files"`
	// Changes are what the upper layer held when the daemon was gone:
	// files and directories it created or changed, and ones it deleted.
	Changes []Change `json:"changes"`

	Syscalls []string `json:"syscalls"` // names, sorted, unique
	Families []string `json:"families"` // socket families, "inet", "inet6", "unix", ...
	Binds    []Bind   `json:"binds"`    // addresses it bound

	// SetIDs are the set*id calls that changed an identity, e.g.
	// "setuid(33)".
	SetIDs []string `json:"set_ids"`
	Chown  bool     `json:"chown"`  // it gave a file to another owner
	Chroot bool     `json:"chroot"` // it called chroot
	Kill   bool     `json:"kill"`   // it signalled a process of another uid

	// Processes are the daemon's processes when it was asked to stop (or
	// the last seen before it exited on its own).
	Processes []Process `json:"processes"`
	// Ended says how the run ended, for the profile's header.
	Ended string `json:"ended"`
}

// Use is what a file was opened for.
type Use struct {
	Read  bool `json:"read,omitempty"`
	Exec  bool `json:"exec,omitempty"`
	Write bool `json:"write,omitempty"`
	Dir   bool `json:"dir,omitempty"` // a directory was opened (listed)
}

// Change is one entry of the overlay's upper layer.
type Change struct {
	Path string `json:"path"`
	// Kind is "file", "dir", "symlink", "socket", "other", or "deleted"
	// (a whiteout: the daemon removed a host file from its view).
	Kind string `json:"kind"`
	// New is true when the host has nothing at Path: the daemon created it.
	// A directory that is not new was only copied up on the way to a
	// change below it.
	New bool `json:"new"`
}

// Bind is one bind(2) of a socket.
type Bind struct {
	Family string `json:"family"` // "inet", "inet6", "unix"
	Addr   string `json:"addr"`   // IP address, or the unix socket's path
	Port   int    `json:"port"`
}

// Process is one process of the daemon.
type Process struct {
	Comm string `json:"comm"`
	UID  int    `json:"uid"`
	GID  int    `json:"gid"`
	Main bool   `json:"main"` // the process the command started as
}
