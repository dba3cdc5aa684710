package registry

import "strings"

// validName reports whether name may be a jail name: it becomes a file
// name, so no "/" and no leading "." ("..", and the temp files start with
// "."). The rule is ^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$, written out by
// hand: a package-level regexp would be compiled at every start of
// fsviews, run included (name_test.go checks the two agree).
func validName(name string) bool {
	if len(name) == 0 || len(name) > 64 || name[0] == '.' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-', c == '.':
		default:
			return false
		}
	}
	return true
}

// reservedName says why name may not be a jail's, or "". A jail keeps its
// state under STATE_ROOT/NAME, and the default state root,
// /var/lib/fsviews, also holds the checkpoint store: a jail named
// "checkpoints" would get that store as its state dir and could rewrite
// every jail's baseline. The check ignores case, for case-folding file
// systems. (fsviews run also refuses any state dir or read-write bind that
// overlaps the checkpoint store or the registry, whatever the layout.)
func reservedName(name string) string {
	if strings.EqualFold(name, "checkpoints") {
		return "/var/lib/fsviews/checkpoints holds the checkpoints of every jail, and a jail's state dir is STATE_ROOT/NAME"
	}
	return ""
}
