package profiles

import (
	"regexp"
	"strings"
	"sync"
)

// Hand-written matchers for the patterns every load checks. Compiling the
// equivalent regexps at package init cost every start of fsviews about
// 0.3 ms (a third of a Go "hello world"), run or not; these cost nothing
// until called. match_test.go checks each against the regexp it replaces.

// validName: ^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$
func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] == '.' || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && !strings.ContainsRune("._-", rune(s[i])) {
			return false
		}
	}
	return true
}

// validHostname: ^[A-Za-z0-9]([A-Za-z0-9.-]{0,62}[A-Za-z0-9])?$
func validHostname(s string) bool {
	if len(s) == 0 || len(s) > 64 || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '.' && s[i] != '-' || s[i] == '_' {
			return false
		}
	}
	return true
}

// validEnvName: ^[A-Za-z_][A-Za-z0-9_]*$
func validEnvName(s string) bool {
	if len(s) == 0 || isDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

// isAlnum is [A-Za-z0-9_].
func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '_'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// trailingIndex returns where the first "#N" array index of a key path
// starts when that index ends the path ("bind#1" -> 4), else -1. Like the
// regexp it replaces, it looks at the first "#N" only: "a#1#2" -> -1.
func trailingIndex(p string) int {
	for i := 0; i+1 < len(p); i++ {
		if p[i] != '#' || !isDigit(p[i+1]) {
			continue
		}
		j := i + 1
		for j < len(p) && isDigit(p[j]) {
			j++
		}
		if j == len(p) {
			return i
		}
		return -1
	}
	return -1
}

// stripIndexes removes every "#N" array index from a key path
// ("bind#1.mode" -> "bind.mode").
func stripIndexes(p string) string {
	if !strings.Contains(p, "#") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '#' && i+1 < len(p) && isDigit(p[i+1]) {
			for i+1 < len(p) && isDigit(p[i+1]) {
				i++
			}
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// sizePattern and typeErrorPattern are needed only for sizes written as
// strings and for type errors, so they are compiled on first use.
var (
	sizePattern      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([0-9]+)\s*([kKmMgG]?)(i?[bB])?$`) })
	typeErrorPattern = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^toml: (?:line (\d+) )?\(last key "([^"]*)"\): (.*)$`)
	})
)
