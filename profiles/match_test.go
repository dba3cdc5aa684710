package profiles

import (
	"regexp"
	"testing"
)

// The regexps the hand-written matchers in match.go replace: each matcher
// must agree with its pattern on every input.
var (
	refName     = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$`)
	refHostname = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,62}[A-Za-z0-9])?$`)
	refEnvName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	refIndex    = regexp.MustCompile(`#\d+`)
)

func matchSeeds() []string {
	long := func(n int, c byte) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = c
		}
		return string(b)
	}
	return []string{
		"", "a", "A", "0", "_", ".", "-", "nginx", "my-app.v2", "_x", ".hidden", "-x", "a_b", "a b",
		"é", "a\x00", "a\n", "host-", "host.", "h-o.s-t", "h_ost", "1abc", "PATH", "LD_PRELOAD", "9X",
		long(64, 'a'), long(65, 'a'), long(63, 'a') + "-", "a" + long(62, '.') + "b", "a" + long(63, '.') + "b",
		"bind#1", "bind#", "#1", "bind#12.mode", "a#1#2", "bind#x", "env.set.A#3", "bind#1a",
	}
}

func checkMatchers(t *testing.T, s string) {
	t.Helper()
	if got, want := validName(s), refName.MatchString(s); got != want {
		t.Errorf("validName(%q) = %v, regexp says %v", s, got, want)
	}
	if got, want := validHostname(s), refHostname.MatchString(s); got != want {
		t.Errorf("validHostname(%q) = %v, regexp says %v", s, got, want)
	}
	if got, want := validEnvName(s), refEnvName.MatchString(s); got != want {
		t.Errorf("validEnvName(%q) = %v, regexp says %v", s, got, want)
	}
	if got, want := stripIndexes(s), refIndex.ReplaceAllString(s, ""); got != want {
		t.Errorf("stripIndexes(%q) = %q, regexp says %q", s, got, want)
	}
	want := -1 // as positions.go used it: the first match, if it ends the path
	if m := refIndex.FindStringIndex(s); m != nil && m[1] == len(s) {
		want = m[0]
	}
	if got := trailingIndex(s); got != want {
		t.Errorf("trailingIndex(%q) = %d, regexp says %d", s, got, want)
	}
}

func TestMatchersAgreeWithRegexps(t *testing.T) {
	for _, s := range matchSeeds() {
		checkMatchers(t, s)
	}
}

func FuzzMatchers(f *testing.F) {
	for _, s := range matchSeeds() {
		f.Add(s)
	}
	f.Fuzz(checkMatchers)
}
