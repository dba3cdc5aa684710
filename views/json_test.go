package views

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/fsviews/fsviews/internal/wire/wiretest"
	"github.com/fsviews/fsviews/seccomp"
)

// checkJSONMatches wants AppendJSON to write what encoding/json writes.
func checkJSONMatches(t *testing.T, p *Plan) {
	t.Helper()
	want, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("AppendJSON differs from encoding/json at byte %d:\n got ...%s\nwant ...%s", i, got[max(i-80, 0):], want[max(i-80, 0):])
	}
}

// The hand-written JSON of a plan is encoding/json's, every field set or
// none, empty or nil; FuzzCompile checks it on every plan it compiles.
func TestPlanJSONMatches(t *testing.T) {
	var full Plan
	wiretest.Fill(t, &full)
	// Values the types' MarshalText accepts.
	full.Seccomp.Spec = load(t, "web").Seccomp.Spec
	full.Seccomp.Spec.Rules = []seccomp.Rule{{Syscall: "ioctl", Action: seccomp.ActionAllow, Args: []seccomp.Cond{{Index: 1, Op: seccomp.OpMaskedEq, Value: 5, Mask: 7}}}, {Syscall: "x"}}
	full.Seccomp.Spec.Rules[1].Action = seccomp.ActionLog
	checkJSONMatches(t, &full)
	checkJSONMatches(t, &Plan{})
	checkJSONMatches(t, &Plan{Ops: []Op{{Options: []string{}}}, Unshare: []string{}, Env: EnvRules{Set: map[string]string{}}, Limits: []LimitPlan{}, Landlock: &LandlockPlan{Rules: []LandlockRule{}}, Cgroup: &CgroupPlan{}, Seccomp: &SeccompPlan{}})
	checkJSONMatches(t, Compile(load(t, "web"), Options{StateRoot: "/var/lib/fsviews-test"}))
	bad := seccomp.Action(0xdead0000)
	if _, err := (&Plan{Seccomp: &SeccompPlan{Spec: seccomp.Spec{DefaultAction: &bad}}}).AppendJSON(nil); err == nil {
		t.Fatal("AppendJSON took an invalid seccomp action")
	}
}
