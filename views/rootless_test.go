package views

import (
	"slices"
	"strings"
	"testing"
)

func TestUserNamespaceImpliesPID(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		opt  Options
	}{
		{"--userns", "command = [\"/bin/true\"]\n[namespaces]\npid = false\n", Options{UserNS: true}},
		{"[namespaces] user", "command = [\"/bin/true\"]\n[namespaces]\npid = false\nuser = true\n", Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := loadText(t, tc.text)
			plan := Compile(p, tc.opt)
			if !plan.UserNS || !plan.PID {
				t.Errorf("want a user and a PID namespace, got UserNS=%v PID=%v", plan.UserNS, plan.PID)
			}
			if !slices.Contains(plan.Unshare, "user") || !slices.Contains(plan.Unshare, "pid") || plan.Unshare[0] != "mnt" {
				t.Errorf("unshare: %v", plan.Unshare)
			}
			if len(plan.Caps) != 0 {
				t.Errorf("a rootless daemon keeps the default capabilities: %v", plan.Caps)
			}
			if !strings.Contains(plan.String(), "# namespaces: mnt, cgroup, pid, user") {
				t.Errorf("plan does not show the user namespace:\n%s", plan)
			}
			if p.Namespaces.PID {
				t.Error("Compile changed the caller's profile")
			}
		})
	}
	p := loadText(t, "command = [\"/bin/true\"]\n[security]\ncapabilities = [\"CAP_NET_RAW\"]\n")
	if plan := Compile(p, Options{UserNS: true}); !slices.Equal(plan.Caps, []string{"CAP_NET_RAW"}) {
		t.Errorf("named capabilities: %v", plan.Caps)
	}
	if plan := Compile(loadText(t, "command = [\"/bin/true\"]\n"), Options{}); plan.UserNS || slices.Contains(plan.Unshare, "user") {
		t.Errorf("no user namespace was asked for: %+v", plan.Unshare)
	}
}
