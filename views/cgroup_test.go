package views

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fsviews/fsviews/cgroups"
	"github.com/fsviews/fsviews/profiles"
)

func TestCgroupAndWallInPlan(t *testing.T) {
	p := &profiles.Profile{
		Name: "x", Workdir: "/", Command: []string{"/bin/true"},
		Namespaces: profiles.Namespaces{PID: true},
		Cgroup: &profiles.Cgroup{Pos: profiles.Pos{File: "x.toml", Line: 4},
			Limits: cgroups.Limits{Pids: 64, Memory: 32 << 20, CPU: 200}, Optional: true},
		Wall: profiles.Wall{Timeout: 30 * time.Second},
	}
	plan := Compile(p, Options{})
	s := plan.String()
	for _, want := range []string{
		"# cgroup: pids=64 memory=32M swap=0 cpu=20% optional (a cgroup of the jail's own, removed when it ends)\n",
		"# wall: every process killed after 30s (exit status 124)\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("plan lacks %q:\n%s", want, s)
		}
	}
	b, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"cgroup":{"pids":64,"memory":33554432,"cpu":200,"optional":true,"origin":"x.toml:4"},"wall":"30s"`) {
		t.Errorf("json: %s", b)
	}
	var back Plan
	if err := json.Unmarshal(b, &back); err != nil || back.Wall != plan.Wall || *back.Cgroup != *plan.Cgroup {
		t.Errorf("round trip: %v %+v", err, back)
	}

	plain := Compile(&profiles.Profile{Name: "x", Workdir: "/", Command: []string{"/bin/true"}}, Options{})
	if plain.Cgroup != nil || plain.Wall != 0 || strings.Contains(plain.String(), "# cgroup") {
		t.Errorf("no [cgroup]: %+v", plain)
	}
	if b, _ := json.Marshal(plain); strings.Contains(string(b), "wall") || strings.Contains(string(b), "cgroup") {
		t.Errorf("json without limits: %s", b)
	}
}
