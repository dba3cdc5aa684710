package suggest

import "testing"

func TestClosest(t *testing.T) {
	keys := []string{"source", "target", "mode", "optional"}
	for _, tc := range []struct{ word, want string }{
		{"sourc", "source"},
		{"taget", "target"},
		{"mdoe", "mode"},
		{"optinal", "optional"},
		{"zzzzzzzz", ""},
	} {
		if got := Closest(tc.word, keys); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

func TestClosestTiesDoNotDependOnOrder(t *testing.T) {
	// "mkdirt" is one edit from both; the lexically first wins either way.
	for _, cands := range [][]string{{"mkdirat", "mkdir"}, {"mkdir", "mkdirat"}} {
		if got := Closest("mkdirt", cands); got != "mkdir" {
			t.Errorf("Closest(mkdirt, %q) = %q, want mkdir", cands, got)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"a", "", 1}, {"openat", "opennat", 1}, {"kitten", "sitting", 3}, {"clone3", "clone", 1}} {
		if d := distance(c.a, c.b); d != c.d {
			t.Errorf("distance(%q, %q) = %d, want %d", c.a, c.b, d, c.d)
		}
	}
}
