package units

import (
	"regexp"
	"strings"
	"testing"
)

// systemdName is unit_name_is_valid(3) for a plain service: a non-empty
// prefix of [a-zA-Z0-9:_.\-\\] and ".service", at most 255 bytes.
var systemdName = regexp.MustCompile(`^[a-zA-Z0-9:_.\\-]+\.service$`)

// Whatever ServiceName accepts, systemd accepts too, and accepting it
// again changes nothing.
func FuzzServiceName(f *testing.F) {
	for _, s := range []string{"web", "web.service", "web.socket", "a@b", "", ".service", `a\x2db`, "wéb", "a b", strings.Repeat("x", 250)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := ServiceName(in)
		if err != nil {
			if out != "" {
				t.Errorf("ServiceName(%q) = %q with error %v", in, out, err)
			}
			return
		}
		if !systemdName.MatchString(out) || len(out) > maxNameLen {
			t.Errorf("ServiceName(%q) = %q, which systemd rejects", in, out)
		}
		if again, err := ServiceName(out); err != nil || again != out {
			t.Errorf("ServiceName(%q) = %q, %v; want it unchanged", out, again, err)
		}
	})
}

// execLine's output, read back the way systemd reads ExecStart= (split
// into words, double quotes with backslash escapes, then "%%" and "$$"
// unescaped), gives back the argv, on one line.
func FuzzExecLine(f *testing.F) {
	f.Add("/usr/bin/fsviews", "/srv/my profiles/100% \"$HOME\" it's.toml")
	f.Add("/a", "")
	f.Add("/a b", "$$%%")
	f.Fuzz(func(t *testing.T, a, b string) {
		if checkValue("", a) != nil || checkValue("", b) != nil {
			return // refused before quoting
		}
		argv := []string{a, "run", b}
		line := execLine(argv)
		if strings.ContainsAny(line, "\n\r") {
			t.Fatalf("execLine(%q) spans lines: %q", argv, line)
		}
		got, ok := splitExec(line)
		if !ok || len(got) != len(argv) {
			t.Fatalf("execLine(%q) = %q, read back as %q", argv, line, got)
		}
		for i := range argv {
			if got[i] != argv[i] {
				t.Fatalf("execLine(%q) = %q, read back as %q", argv, line, got)
			}
		}
	})
}

// splitExec reads a command line as systemd does for what execLine
// writes: specifiers first ("%%" is "%"), then words with quotes and
// backslash escapes, then "$$" is "$" in each word.
func splitExec(line string) ([]string, bool) {
	line = strings.ReplaceAll(line, "%%", "\x00")
	if strings.Contains(line, "%") {
		return nil, false // an unescaped specifier
	}
	line = strings.ReplaceAll(line, "\x00", "%")
	var words []string
	var w strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '\\':
			i++
			if i == len(line) {
				return nil, false
			}
			w.WriteByte(line[i])
		case quoted && c == '"':
			quoted = false
		case quoted:
			w.WriteByte(c)
		case c == ' ':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case c == '"' && !inWord:
			quoted, inWord = true, true
		case c == '"' || c == '\\' || c == '\'':
			return nil, false // quotes inside a bare word are not what execLine writes
		default:
			inWord = true
			w.WriteByte(c)
		}
	}
	if quoted {
		return nil, false
	}
	if inWord {
		words = append(words, w.String())
	}
	for i, word := range words {
		word = strings.ReplaceAll(word, "$$", "\x00")
		if strings.Contains(word, "$") {
			return nil, false // an unescaped variable
		}
		words[i] = strings.ReplaceAll(word, "\x00", "$")
	}
	return words, true
}
