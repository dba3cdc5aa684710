package registry

import (
	"regexp"
	"strings"
	"testing"
)

// refName is the pattern validName replaces: they must agree on every input.
var refName = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$`)

func nameSeeds() []string {
	return []string{
		"", "a", "A", "0", "_", "-", ".", "..", "nginx", "web2", "my-app.v2", "-x", ".hidden", "a/b", "a b",
		"é", "a\x00", "a\n", "a.json", strings.Repeat("a", 64), strings.Repeat("a", 65), "-" + strings.Repeat(".", 63),
	}
}

func checkName(t *testing.T, s string) {
	t.Helper()
	if got, want := validName(s), refName.MatchString(s); got != want {
		t.Errorf("validName(%q) = %v, regexp says %v", s, got, want)
	}
}

func TestValidNameAgreesWithRegexp(t *testing.T) {
	for _, s := range nameSeeds() {
		checkName(t, s)
	}
}

func FuzzValidName(f *testing.F) {
	for _, s := range nameSeeds() {
		f.Add(s)
	}
	f.Fuzz(checkName)
}
