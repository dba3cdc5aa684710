package launch

import (
	"io/fs"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// sysctls reads /proc/sys files from a table; a missing one does not exist.
func sysctls(m map[string]string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		v, ok := m[p]
		if !ok {
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		}
		return []byte(v + "\n"), nil
	}
}

func TestUserNSBlockedNamesTheKnob(t *testing.T) {
	const (
		maxNS    = "/proc/sys/user/max_user_namespaces"
		debian   = "/proc/sys/kernel/unprivileged_userns_clone"
		apparmor = "/proc/sys/kernel/apparmor_restrict_unprivileged_userns"
	)
	for _, tc := range []struct {
		name       string
		knobs      map[string]string
		privileged bool
		want       string // "" when allowed
	}{
		{"nothing set", map[string]string{maxNS: "63000", debian: "1", apparmor: "0"}, false, ""},
		{"knobs absent", map[string]string{}, false, ""},
		{"max zero", map[string]string{maxNS: "0", debian: "1"}, false, "user.max_user_namespaces = 0"},
		{"max zero stops root too", map[string]string{maxNS: "0"}, true, "user.max_user_namespaces = 0"},
		{"debian", map[string]string{maxNS: "63000", debian: "0"}, false, "kernel.unprivileged_userns_clone = 0"},
		{"debian does not stop root", map[string]string{maxNS: "63000", debian: "0"}, true, ""},
		{"apparmor", map[string]string{maxNS: "63000", apparmor: "1"}, false, "kernel.apparmor_restrict_unprivileged_userns = 1"},
		{"apparmor does not stop root", map[string]string{apparmor: "1"}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := userNSBlocked(sysctls(tc.knobs), tc.privileged)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("want allowed, got %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("want an error naming %q, got none", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("error does not name %q: %v", tc.want, err)
			case tc.want != "" && !strings.Contains(err.Error(), "run fsviews as root"):
				t.Fatalf("error does not say what to do: %v", err)
			}
		})
	}
}

func TestNotSetuid(t *testing.T) {
	if err := notSetuid(1000, 1000, 1000, 1000); err != nil {
		t.Errorf("plain user: %v", err)
	}
	if err := notSetuid(0, 0, 0, 0); err != nil {
		t.Errorf("root: %v", err)
	}
	for _, ids := range [][4]int{{1000, 0, 1000, 1000}, {1000, 1000, 1000, 0}} {
		err := notSetuid(ids[0], ids[1], ids[2], ids[3])
		if err == nil || !strings.Contains(err.Error(), "not supported") || !strings.Contains(err.Error(), "chmod u-s,g-s") {
			t.Errorf("ids %v: want a refusal saying how to fix it, got %v", ids, err)
		}
	}
}

func TestJailCapsKeepTheDaemons(t *testing.T) {
	got, err := jailCaps([]string{"CAP_NET_BIND_SERVICE"})
	if err != nil {
		t.Fatal(err)
	}
	has := map[uintptr]bool{}
	for _, c := range got {
		has[c] = true
	}
	for _, want := range []uintptr{unix.CAP_SYS_ADMIN, unix.CAP_SETPCAP, unix.CAP_NET_ADMIN, unix.CAP_KILL, unix.CAP_NET_BIND_SERVICE} {
		if !has[want] {
			t.Errorf("capability %d missing from %v", want, got)
		}
	}
	if _, err := jailCaps([]string{"CAP_NO_SUCH"}); err == nil {
		t.Error("an unknown capability passed")
	}
}
