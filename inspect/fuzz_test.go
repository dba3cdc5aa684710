package inspect

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// The parsers read kernel text, but a bug must never crash inspect; and
// what they accept must be self-consistent.
func FuzzParseStatus(f *testing.F) {
	for _, name := range []string{"testdata/jail.status", "testdata/jail-drift.status"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("Uid:\t1 2 3 4\nGid:\t1 2 3 4\nGroups:\nCapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\nCapAmb:\t0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := ParseStatus(data)
		if err == nil {
			for _, k := range []string{"Uid:", "Gid:", "Groups:", "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:"} {
				if !bytes.Contains(data, []byte(k)) {
					t.Fatalf("accepted without %s", k)
				}
			}
		}
	})
}

func FuzzParseLimits(f *testing.F) {
	if b, err := os.ReadFile("testdata/jail.limits"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("Limit\nMax open files            1024                 4096                 files\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseLimits(data)
		if err == nil && len(l) == 0 {
			t.Fatal("no error and no limits")
		}
		for _, x := range l {
			if x.Soft == "" || x.Hard == "" {
				t.Fatalf("empty value in %+v", x)
			}
		}
	})
}

// A plan comes from the registry, which only root writes; still, no plan
// may crash inspect, and what parses must compare without a crash.
func FuzzParsePlan(f *testing.F) {
	if b, err := os.ReadFile("testdata/plan.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"ops": [], "seccomp": {"spec": {"Preset": "daemon"}}, "limits": [{"name": "nofile", "soft": 1, "hard": 2}]}`))
	f.Add([]byte(`{"limits": [{"name": "core", "soft": 18446744073709551615}]}`))
	f.Add([]byte(`{"limits": [{"name": "nofile", "soft": "lots"}]}`))
	f.Add([]byte(`{"landlock": {"rules": [{"path": "/", "access": "ro"}]}}`))
	limits, err := os.ReadFile("testdata/jail.limits")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		plan, err := ParsePlan(data)
		if err != nil {
			return
		}
		if plan == nil {
			t.Fatal("no plan and no error")
		}
		l, err := ParseLimits(limits)
		if err != nil {
			t.Fatal(err)
		}
		r := Compare(plan, Jail{Limits: l}, Host{})
		for _, c := range r.Enforced {
			if strings.HasPrefix(c.Name, "rlimit ") && c.Want != "" && c.Note == "" {
				t.Fatalf("planned limit without its origin: %+v", c)
			}
		}
	})
}
