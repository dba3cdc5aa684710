package profiles

import (
	"strconv"
	"strings"
)

// keyLines remembers on which line each key of a TOML file was written.
// The TOML decoder reports lines only for syntax errors, yet every problem
// found later (a relative path in the third [[bind]]) must name its line
// too. Paths look like "name", "root.size", "bind#2.source" (the third
// [[bind]] table) and "bind#2" for the table header itself.
type keyLines struct {
	order []keyLine
	byKey map[string]int
}

type keyLine struct {
	path string
	line int
}

// scanKeyLines reads keys and table headers line by line. It understands
// the TOML a profile is written in (tables, arrays of tables, dotted and
// quoted keys, comments, multi-line strings and arrays); anything it does
// not, it skips, and the problem is then reported at the table's line.
func scanKeyLines(src []byte) keyLines {
	kl := keyLines{byKey: map[string]int{}}
	counts := map[string]int{}
	table := ""
	multi := "" // closing delimiter of the multi-line string we are in
	for i, raw := range strings.Split(string(src), "\n") {
		line := i + 1
		text := strings.TrimSpace(raw)
		if multi != "" {
			multi = stringState(text, multi)
			continue
		}
		text = stripComment(text)
		switch {
		case text == "":
		case strings.HasPrefix(text, "[["):
			name := normalizeKey(strings.TrimSuffix(strings.TrimPrefix(text, "[["), "]]"))
			table = name + "#" + strconv.Itoa(counts[name])
			counts[name]++
			kl.add(table, line)
		case strings.HasPrefix(text, "["):
			table = normalizeKey(strings.TrimSuffix(strings.TrimPrefix(text, "["), "]"))
			kl.add(table, line)
		default:
			value := text
			if eq := indexOutsideQuotes(text, '='); eq >= 0 {
				key := normalizeKey(text[:eq])
				if table != "" {
					key = table + "." + key
				}
				kl.add(key, line)
				value = text[eq+1:]
			}
			// A multi-line string can open after a key or on a later
			// line of a multi-line array (command = [ ..., """).
			multi = stringState(value, "")
		}
	}
	return kl
}

func (kl *keyLines) add(path string, line int) {
	if _, seen := kl.byKey[path]; !seen {
		kl.byKey[path] = line
		kl.order = append(kl.order, keyLine{path, line})
	}
}

// line returns the line of path, else of the nearest enclosing table
// that was written, else 0.
func (kl keyLines) line(path string) int {
	for p := path; p != ""; {
		if l, ok := kl.byKey[p]; ok {
			return l
		}
		if i := trailingIndex(p); i >= 0 {
			// "bind#1" of bind = [{...}, {...}], written on one line
			// under the name "bind".
			p = p[:i]
			continue
		}
		dot := strings.LastIndexByte(p, '.')
		if dot < 0 {
			break
		}
		p = p[:dot]
	}
	return 0
}

// find locates a key the decoder reports without array indexes (it says
// "bind.sourc", not which [[bind]]), returning its line and indexed path.
func (kl keyLines) find(key string) (int, string) {
	for _, e := range kl.order {
		if stripIndexes(e.path) == key {
			return e.line, e.path
		}
	}
	return 0, key
}

// findAt is find for a key written on line, when that is known: of
// several [[bind]] tables with a "mode", the one on that line.
func (kl keyLines) findAt(key string, line int) (int, string) {
	for _, e := range kl.order {
		if e.line == line && stripIndexes(e.path) == key {
			return e.line, e.path
		}
	}
	return kl.find(key)
}

// humanKey turns "bind#2.source" into "[[bind]] #3 source" and
// "root.size" into "[root] size", the way the user wrote them.
func humanKey(path string) string {
	if i := strings.IndexByte(path, '#'); i >= 0 {
		idx, rest, hasRest := strings.Cut(path[i+1:], ".")
		n, _ := strconv.Atoi(idx)
		// Concatenated, not fmt: the loader makes the key of every
		// entry it checks, a thousand for a profile of 1000 binds.
		s := "[[" + path[:i] + "]] #" + strconv.Itoa(n+1)
		if hasRest {
			s += " " + rest
		}
		return s
	}
	head, rest, hasRest := strings.Cut(path, ".")
	if !hasRest {
		return head
	}
	return "[" + head + "] " + rest
}

// indexedKey is the key path of key in entry i of an array of tables,
// "bind#3.source".
func indexedKey(table string, i int, key string) string {
	return table + "#" + strconv.Itoa(i) + "." + key
}

func normalizeKey(k string) string {
	if t := strings.TrimSpace(k); !strings.ContainsAny(t, `."'`) {
		return t // one bare key, the usual case: what the loop below makes of it
	}
	parts := strings.Split(k, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return strings.Join(parts, ".")
}

func stripComment(s string) string {
	if i := indexOutsideQuotes(s, '#'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

// indexOutsideQuotes finds c outside TOML basic ("...") and literal
// ('...') strings.
func indexOutsideQuotes(s string, c byte) int {
	var quote byte
	for i := 0; i < len(s); i++ {
		switch {
		case quote == '"' && s[i] == '\\':
			i++
		case quote != 0 && s[i] == quote:
			quote = 0
		case quote != 0:
		case s[i] == '"' || s[i] == '\'':
			quote = s[i]
		case s[i] == c:
			return i
		}
	}
	return -1
}

// stringState scans s, starting inside the string that open delimits (""
// for none), and returns the delimiter of the multi-line string still
// open at its end, or "". Single-line strings and comments are skipped,
// so that a '#' or a """ inside them opens nothing.
func stringState(s, open string) string {
	for i := 0; i < len(s); i++ {
		switch open {
		case `"""`, `"`:
			if s[i] == '\\' {
				i++
			} else if strings.HasPrefix(s[i:], open) {
				i += len(open) - 1
				open = ""
			}
		case `'''`, `'`:
			if strings.HasPrefix(s[i:], open) {
				i += len(open) - 1
				open = ""
			}
		default:
			switch {
			case s[i] == '#':
				return ""
			case strings.HasPrefix(s[i:], `"""`), strings.HasPrefix(s[i:], `'''`):
				open = s[i : i+3]
				i += 2
			case s[i] == '"' || s[i] == '\'':
				open = s[i : i+1]
			}
		}
	}
	if open == `"""` || open == `'''` {
		return open
	}
	return ""
}
