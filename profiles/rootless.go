package profiles

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// Caller is who builds a rootless jail (docs/rootless.md) and what the
// host lets them do, as Rootless asks it. The functions are the host's
// answers, so that Rootless stays pure: the CLI passes access(2) and
// getrlimit(2), tests pass tables.
type Caller struct {
	UID, GID int
	// Access says whether the caller may use path as mode asks: a
	// combination of 4 (read), 2 (write), 1 (search/execute), as
	// access(2) takes it; nil when allowed.
	Access func(path string, mode uint32) error
	// HardLimit is the caller's hard limit of an rlimit resource, by
	// its [limits] name; ok false when unknown.
	HardLimit func(name string) (limit uint64, ok bool)
	// StateRoot is where the jail's state dirs go, and StateKey what
	// chose it, for messages: "state_root", "--state-dir" or "default".
	StateRoot string
	StateKey  string
}

// rootlessCaps are the capabilities that still mean something to a
// daemon in a rootless jail, and only in a network namespace of its own:
// they act on the namespace's network, which the jail's user namespace
// owns. Every other capability would act on files, users or the kernel,
// which belong to the host's user namespace, where the jail has none.
var rootlessCaps = []string{"CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_NET_ADMIN", "CAP_NET_BROADCAST"}

// Rootless lists what cannot work when c builds p's view without
// privilege, in a user namespace where only c's uid and gid are mapped
// (to themselves): every one is an error, found before anything is
// built, that says why and what to do.
func Rootless(p *Profile, c Caller) Problems {
	var probs Problems
	errorf := func(pos Pos, key, format string, args ...any) {
		probs = append(probs, Problem{Pos: pos, Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	const r, w, x = 4, 2, 1
	who := fmt.Sprintf("uid %d", c.UID)
	for i, b := range p.Binds {
		err := c.Access(b.Source, r)
		if err != nil && b.Optional && isNotExist(err) {
			continue
		}
		if err != nil {
			errorf(b.Pos, fmt.Sprintf("[[bind]] #%d source", i+1),
				"%s cannot read %s (%v): a rootless jail sees the host with your own permissions, so the daemon could not use it; bind something you can read, mark it optional, or run fsviews as root (without --userns or [namespaces] user)", who, b.Source, err)
		}
	}
	sec := p.Security
	if sec.User != "" && sec.UID != c.UID {
		errorf(sec.UserPos, "security.user", "user %q (uid %d) is not you (%s): a rootless jail maps only your own uid, so the daemon runs as you; remove the line, or run fsviews as root (without --userns or [namespaces] user) to switch users", sec.User, sec.UID, who)
	}
	if sec.Group != "" && sec.GID != c.GID {
		errorf(sec.GroupPos, "security.group", "group %q (gid %d) is not your group (gid %d): a rootless jail maps only your own gid; remove the line, or run fsviews as root (without --userns or [namespaces] user)", sec.Group, sec.GID, c.GID)
	}
	if sec.CapsPos != (Pos{}) {
		for _, name := range sec.Caps {
			switch {
			case name == "CAP_SYS_ADMIN":
				errorf(sec.CapsPos, "security.capabilities", "CAP_SYS_ADMIN in a rootless jail would let the daemon unmount and remount the view fsviews built for it (those mounts belong to its own user namespace): remove it")
			case !slices.Contains(rootlessCaps, name):
				errorf(sec.CapsPos, "security.capabilities", "%s has no meaning in a rootless jail: it would act on files, users or the kernel of the host, where the jail has no privilege (only %s work, with a network namespace of its own); remove it, or run fsviews as root (without --userns or [namespaces] user)", name, strings.Join(rootlessCaps, ", "))
			case p.Namespaces.Net == NetHost:
				errorf(sec.CapsPos, "security.capabilities", "%s has no meaning in a rootless jail with net = \"host\": the host's network belongs to the host's user namespace; set net = \"loopback\" or \"none\" under [namespaces], or remove it", name)
			}
		}
	}
	for _, l := range p.Limits {
		hard, ok := c.HardLimit(l.Name)
		if !ok {
			continue
		}
		switch {
		case l.Hard != nil && *l.Hard > hard:
			errorf(l.Pos, "limits."+l.Name, "hard limit %s is above your own hard limit %s: raising a hard limit needs CAP_SYS_RESOURCE on the host, which a rootless jail does not have; lower it to at most your limit (ulimit -H), or run fsviews as root (without --userns or [namespaces] user)", formatLimit(*l.Hard), formatLimit(hard))
		case l.Hard == nil && l.Soft != nil && *l.Soft > hard:
			errorf(l.Pos, "limits."+l.Name, "soft limit %s is above your hard limit %s, which a rootless jail cannot raise: lower it, or run fsviews as root (without --userns or [namespaces] user)", formatLimit(*l.Soft), formatLimit(hard))
		}
	}
	if len(p.States) > 0 {
		dir, err := existingParent(c.StateRoot, c.Access)
		if err == nil {
			err = c.Access(dir, w|x)
		}
		if err != nil {
			errorf(p.Origin, c.StateKey, "%s cannot create state dirs under %s (%s: %v): choose a directory you own with --state-dir or state_root (rootless default: $XDG_STATE_HOME/fsviews, else ~/.local/state/fsviews)", who, c.StateRoot, dir, err)
		}
	}
	probs.sort()
	return probs
}

// existingParent returns dir or its closest ancestor that exists, the one
// in which the state dirs would be created.
func existingParent(dir string, access func(string, uint32) error) (string, error) {
	for {
		err := access(dir, 0)
		if err == nil || !isNotExist(err) || dir == "/" {
			return dir, err
		}
		dir = parentDir(dir)
	}
}

func parentDir(p string) string {
	i := strings.LastIndex(strings.TrimSuffix(p, "/"), "/")
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

func formatLimit(v uint64) string {
	if v == ^uint64(0) {
		return "infinity"
	}
	return fmt.Sprint(v)
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
