package profiles

// The raw* types mirror the TOML format one to one. Values whose syntax
// we check ourselves (modes, sizes, enums) are decoded loosely, so that one
// pass can report every bad value rather than stop at the first.
type rawProfile struct {
	Name      *string  `toml:"name"`
	Command   []string `toml:"command"`
	Include   []string `toml:"include"`
	Workdir   *string  `toml:"workdir"`
	Hostname  *string  `toml:"hostname"`
	StateRoot *string  `toml:"state_root"`

	Root    *rawRoot     `toml:"root"`
	Bind    []rawBind    `toml:"bind"`
	Tmpfs   []rawTmpfs   `toml:"tmpfs"`
	State   []rawState   `toml:"state"`
	Dir     []rawDir     `toml:"dir"`
	Symlink []rawSymlink `toml:"symlink"`
	File    []rawFile    `toml:"file"`
	Proc    *rawProc     `toml:"proc"`
	Dev     *struct{}    `toml:"dev"`

	Env        *rawEnv        `toml:"env"`
	Security   *rawSecurity   `toml:"security"`
	Namespaces *rawNamespaces `toml:"namespaces"`
	Logging    *rawLogging    `toml:"logging"`

	Seccomp  *rawSeccomp  `toml:"seccomp"`
	Limits   *rawLimits   `toml:"limits"`
	Landlock *rawLandlock `toml:"landlock"`
	Cgroup   *rawCgroup   `toml:"cgroup"`
}

type rawLogging struct {
	Syslog  *bool `toml:"syslog"`
	Journal *bool `toml:"journal"`
}

type rawRoot struct {
	Size     any   `toml:"size"`
	Mode     any   `toml:"mode"`
	Writable *bool `toml:"writable"`
}

type rawBind struct {
	Source   string `toml:"source"`
	Target   string `toml:"target"`
	Mode     string `toml:"mode"`
	Optional bool   `toml:"optional"`
	Follow   bool   `toml:"follow"`
}

type rawTmpfs struct {
	Target string `toml:"target"`
	Size   any    `toml:"size"`
	Mode   any    `toml:"mode"`
}

type rawState struct {
	Target string `toml:"target"`
	Mode   any    `toml:"mode"`
}

type rawDir struct {
	Target string `toml:"target"`
	Mode   any    `toml:"mode"`
}

type rawSymlink struct {
	Target string `toml:"target"`
	To     string `toml:"to"`
}

type rawFile struct {
	Target  string  `toml:"target"`
	Content *string `toml:"content"`
	Source  string  `toml:"source"`
	Mode    any     `toml:"mode"`
	Follow  bool    `toml:"follow"`
}

type rawEnv struct {
	Clear *bool             `toml:"clear"`
	Set   map[string]string `toml:"set"`
	Keep  []string          `toml:"keep"`
}

type rawSecurity struct {
	NoNewPrivs   *bool    `toml:"no_new_privs"`
	User         *string  `toml:"user"`
	Group        *string  `toml:"group"`
	Capabilities []string `toml:"capabilities"`
}

type rawNamespaces struct {
	Net    *string `toml:"net"`
	UTS    *bool   `toml:"uts"`
	IPC    *bool   `toml:"ipc"`
	Cgroup *bool   `toml:"cgroup"`
	PID    *bool   `toml:"pid"`
	AsPID1 *bool   `toml:"as_pid_1"`
	User   *bool   `toml:"user"`
}

// knownKeys lists the keys each table accepts, to suggest the one a
// misspelt key meant.
func knownKeys(table string) []string {
	switch table {
	case "":
		return []string{"name", "command", "include", "workdir", "hostname", "state_root",
			"root", "bind", "tmpfs", "state", "dir", "symlink", "file", "proc", "dev",
			"env", "security", "namespaces", "logging", "seccomp", "limits", "landlock", "cgroup"}
	case "root":
		return []string{"size", "mode", "writable"}
	case "bind":
		return []string{"source", "target", "mode", "optional", "follow"}
	case "tmpfs":
		return []string{"target", "size", "mode"}
	case "state", "dir":
		return []string{"target", "mode"}
	case "symlink":
		return []string{"target", "to"}
	case "file":
		return []string{"target", "content", "source", "mode", "follow"}
	case "env":
		return []string{"clear", "set", "keep"}
	case "security":
		return []string{"no_new_privs", "user", "group", "capabilities"}
	case "namespaces":
		return []string{"net", "uts", "ipc", "cgroup", "pid", "as_pid_1", "user"}
	case "logging":
		return []string{"syslog", "journal"}
	case "proc":
		return []string{"subset", "hidepid", "net_sysctls"}
	}
	return confineKeys(table)
}
