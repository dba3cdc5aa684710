package views

import (
	"reflect"
	"testing"
)

func TestEnviron(t *testing.T) {
	caller := []string{"PATH=/home/u/bin:/usr/bin", "HOME=/home/u", "TZ=UTC", "SECRET=x", "malformed", "LANG=de_DE"}
	for _, tc := range []struct {
		name  string
		rules EnvRules
		want  []string
	}{
		{"clear keeps only PATH", EnvRules{Clear: true},
			[]string{"PATH=" + DefaultPath}},
		{"clear with keep", EnvRules{Clear: true, Keep: []string{"TZ", "NOT_SET"}},
			[]string{"PATH=" + DefaultPath, "TZ=UTC"}},
		{"keep PATH replaces the default", EnvRules{Clear: true, Keep: []string{"PATH"}},
			[]string{"PATH=/home/u/bin:/usr/bin"}},
		{"set wins over kept and caller", EnvRules{Clear: true, Keep: []string{"LANG"}, Set: map[string]string{"LANG": "C.UTF-8", "A": "1"}},
			[]string{"PATH=" + DefaultPath, "LANG=C.UTF-8", "A=1"}},
		{"no clear passes everything", EnvRules{Set: map[string]string{"HOME": "/var/lib/app"}},
			[]string{"PATH=/home/u/bin:/usr/bin", "HOME=/var/lib/app", "TZ=UTC", "SECRET=x", "LANG=de_DE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.rules.Environ(caller); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Environ =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}
