package profiles

// Raw forms of [seccomp], [limits] and [landlock]; see raw.go for why
// values are decoded loosely.

type rawSeccomp struct {
	Preset        *string          `toml:"preset"`
	Allow         []string         `toml:"allow"`
	Deny          []string         `toml:"deny"`
	DefaultAction *string          `toml:"default_action"`
	AllowX32      *bool            `toml:"allow_x32"`
	AllowI386     *bool            `toml:"allow_i386"`
	Optional      *bool            `toml:"optional"`
	Rule          []rawSeccompRule `toml:"rule"`
}

type rawSeccompRule struct {
	Syscall string          `toml:"syscall"`
	Action  string          `toml:"action"`
	Args    []rawSeccompArg `toml:"args"`
}

type rawSeccompArg struct {
	Index *int64 `toml:"index"`
	Op    string `toml:"op"`
	Value any    `toml:"value"`
	Mask  any    `toml:"mask"`
}

// rawLimits has one field per rlimits.Resources name; each value is a
// number, a string ("infinity", "64M") or a table { soft = ..., hard = ... }.
type rawLimits struct {
	CPU        *rawAny `toml:"cpu"`
	Fsize      *rawAny `toml:"fsize"`
	Data       *rawAny `toml:"data"`
	Stack      *rawAny `toml:"stack"`
	Core       *rawAny `toml:"core"`
	RSS        *rawAny `toml:"rss"`
	Nproc      *rawAny `toml:"nproc"`
	Nofile     *rawAny `toml:"nofile"`
	Memlock    *rawAny `toml:"memlock"`
	AS         *rawAny `toml:"as"`
	Locks      *rawAny `toml:"locks"`
	Sigpending *rawAny `toml:"sigpending"`
	Msgqueue   *rawAny `toml:"msgqueue"`
	Nice       *rawAny `toml:"nice"`
	Rtprio     *rawAny `toml:"rtprio"`
	Rttime     *rawAny `toml:"rttime"`
	Wall       *rawAny `toml:"wall"` // not an rlimit: cgroup.go
}

// rawAny takes any TOML value, tables included, as it is: the decoder
// then counts the keys of a table ({ soft = 1, hard = 2 }) as used, and
// the builder reports those it does not know.
type rawAny struct{ v any }

func (r *rawAny) UnmarshalTOML(v any) error {
	r.v = v
	return nil
}

// byName returns the values set, by profile key, in rlimits.Resources order.
func (r rawLimits) byName() []struct {
	name  string
	value *rawAny
} {
	all := []struct {
		name  string
		value *rawAny
	}{
		{"cpu", r.CPU}, {"fsize", r.Fsize}, {"data", r.Data}, {"stack", r.Stack},
		{"core", r.Core}, {"rss", r.RSS}, {"nproc", r.Nproc}, {"nofile", r.Nofile},
		{"memlock", r.Memlock}, {"as", r.AS}, {"locks", r.Locks}, {"sigpending", r.Sigpending},
		{"msgqueue", r.Msgqueue}, {"nice", r.Nice}, {"rtprio", r.Rtprio}, {"rttime", r.Rttime},
	}
	out := all[:0]
	for _, x := range all {
		if x.value != nil {
			out = append(out, x)
		}
	}
	return out
}

type rawLandlock struct {
	Auto     *bool             `toml:"auto"`
	Optional *bool             `toml:"optional"`
	Rule     []rawLandlockRule `toml:"rule"`
}

type rawLandlockRule struct {
	Path   string `toml:"path"`
	Access string `toml:"access"`
}

// confineKeys is knownKeys for the tables of this file.
func confineKeys(table string) []string {
	switch table {
	case "seccomp":
		return []string{"preset", "allow", "deny", "default_action", "allow_x32", "allow_i386", "optional", "rule"}
	case "seccomp.rule":
		return []string{"syscall", "action", "args"}
	case "seccomp.rule.args":
		return []string{"index", "op", "value", "mask"}
	case "limits":
		return append(rlimitNames(), "wall")
	case "landlock":
		return []string{"auto", "optional", "rule"}
	case "landlock.rule":
		return []string{"path", "access"}
	}
	return cgroupKeys(table)
}
