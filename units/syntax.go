package units

import (
	"fmt"
	"strings"
)

// maxNameLen is systemd's UNIT_NAME_MAX minus the terminating NUL.
const maxNameLen = 255

// ServiceName checks a unit name given by the user and returns it with
// its ".service" suffix. It accepts what systemd accepts for a plain
// service (unit_name_is_valid), except templates and instances.
func ServiceName(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("the unit name is empty: give one such as \"web\" or \"web.service\"")
	}
	prefix, suffix, hasDot := cutLast(name, ".")
	switch {
	case hasDot && suffix == "service":
		// "web.service"
	case hasDot && isUnitType(suffix):
		return "", fmt.Errorf("unit name %q: fsviews writes a service, so the name ends in .service: use %q", name, prefix+".service")
	default:
		prefix = name // "web" or "web.v2": ".service" is added
	}
	if prefix == "" {
		return "", fmt.Errorf("unit name %q has nothing before .service: give one such as \"web.service\"", name)
	}
	if strings.Contains(prefix, "@") {
		return "", fmt.Errorf("unit name %q: template and instance units (with '@') are not generated: drop the '@', e.g. %q", name, strings.ReplaceAll(prefix, "@", "-")+".service")
	}
	for _, r := range prefix {
		if !unitNameChar(r) {
			return "", fmt.Errorf("unit name %q: %q is not allowed; a unit name holds only ASCII letters, digits and \":-_.\\\": try %q", name, string(r), sanitize(prefix)+".service")
		}
	}
	full := prefix + ".service"
	if len(full) > maxNameLen {
		return "", fmt.Errorf("unit name %q is %d characters long; systemd allows at most %d: shorten it", name, len(full), maxNameLen)
	}
	return full, nil
}

func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func isUnitType(s string) bool {
	switch s {
	case "service", "socket", "target", "device", "mount", "automount", "swap", "timer", "path", "slice", "scope":
		return true
	}
	return false
}

func unitNameChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(":-_.\\", r)
}

// sanitize replaces every character a unit name cannot hold with '-'.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if unitNameChar(r) {
			return r
		}
		return '-'
	}, s)
}

// checkValue refuses what a unit file cannot carry safely: a control
// character would end the line and start a directive of its own, and a
// backslash at the end of a line continues it into the next.
func checkValue(what, s string) error {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%s %q contains a control character, which a unit file cannot hold safely: rename it", what, s)
		}
		if r == '\\' {
			return fmt.Errorf("%s %q contains a backslash, which a unit file reads as an escape: rename it", what, s)
		}
	}
	return nil
}

// specifiers escapes '%', which systemd expands in almost every setting
// (systemd.unit(5), "Specifiers").
func specifiers(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// execLine renders argv for ExecStart=: '%' and '$' are escaped (systemd
// expands specifiers and environment variables there), and a word with
// anything beyond a plain path is double-quoted, with '"' escaped.
func execLine(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		a = strings.ReplaceAll(specifiers(a), "$", "$$")
		if !plainWord(a, "%$") {
			a = `"` + strings.ReplaceAll(a, `"`, `\"`) + `"`
		}
		words[i] = a
	}
	return strings.Join(words, " ")
}

// shellWords renders argv for a shell, in a comment the user may copy.
func shellWords(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		if !plainWord(a, "%") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		words[i] = a
	}
	return strings.Join(words, " ")
}

// plainWord says whether s needs no quotes: only letters, digits, the
// punctuation of ordinary paths and options, and extra.
func plainWord(s, extra string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._:+,=@-", r) || strings.ContainsRune(extra, r)) {
			return false
		}
	}
	return true
}
