package seccomp

import (
	"slices"
	"testing"
)

func TestRefused(t *testing.T) {
	got := Spec{Preset: "daemon"}.Refused(AMD64, []string{"read", "clone", "mount", "setuid", "ptrace", "open", "no_such_call"})
	if want := []string{"mount", "ptrace"}; !slices.Equal(got, want) {
		t.Errorf("daemon refuses %q of them, want %q", got, want)
	}
	if got := (Spec{Preset: "daemon", Allow: []string{"mount"}}).Refused(AMD64, []string{"mount"}); len(got) != 0 {
		t.Errorf("allow = [\"mount\"] still refuses %q", got)
	}
	if got := (Spec{Preset: "default"}).Refused(ARM64, []string{"open", "mount"}); !slices.Equal(got, []string{"mount"}) {
		t.Errorf("default on arm64 refuses %q, want mount (open is not an arm64 syscall)", got)
	}
}
