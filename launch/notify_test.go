package launch

import (
	"bytes"
	"testing"
)

func TestWithoutMainPID(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"READY=1", "READY=1"},
		{"READY=1\nMAINPID=42", "READY=1"},
		{"MAINPID=42\nREADY=1\nSTATUS=x MAINPID=1", "READY=1\nSTATUS=x MAINPID=1"},
		{"MAINPID=1", ""},
		{"", ""},
	} {
		if got := string(withoutMainPID([]byte(tc.in))); got != tc.want {
			t.Errorf("withoutMainPID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Every line but MAINPID= lines passes, in order.
func FuzzWithoutMainPID(f *testing.F) {
	f.Add([]byte("READY=1\nMAINPID=42\nSTATUS=ok"))
	f.Add([]byte("MAINPID=\n\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		got := withoutMainPID(msg)
		var want [][]byte
		for _, l := range bytes.Split(msg, []byte("\n")) {
			if !bytes.HasPrefix(l, []byte("MAINPID=")) {
				want = append(want, l)
			}
		}
		if !bytes.Contains(msg, []byte("MAINPID=")) {
			if !bytes.Equal(got, msg) {
				t.Fatalf("changed a message without MAINPID: %q -> %q", msg, got)
			}
			return
		}
		if !bytes.Equal(got, bytes.Join(want, []byte("\n"))) {
			t.Fatalf("withoutMainPID(%q) = %q", msg, got)
		}
	})
}
