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
