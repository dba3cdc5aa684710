package systemd

import (
	"fmt"
	"strings"
	"testing"
)

// bomb forks sleepers until a fork is refused, saying how many it made;
// on a host where nothing refuses, it stops at 200 and says so, so a
// broken limit fails the test instead of loading the machine.
const bomb = `command = ["/bin/sh", "-c", "n=0; while [ $n -lt 200 ]; do sleep 60 & n=$((n+1)); echo forked $n; done; echo no fork refused"]
`

// [cgroup] pids = N becomes TasksMax=N in the profile's unit, and the
// real systemd enforces it: a root fork bomb in the unit stops below N.
// Then the profile loses its [cgroup] (the unit keeps TasksMax=), so that
// what stops the bomb is systemd's limit alone, not fsviews' own cgroup.
func TestCgroupPidsUnderSystemd(t *testing.T) {
	h := need(t)
	const pids = 40
	limited := bomb + common + fmt.Sprintf("[cgroup]\npids = %d\n", pids)
	profile := h.profile(t, "bomb", limited)
	unit := h.unit(t, unitArgs(profile)...)
	for _, line := range []string{fmt.Sprintf("TasksMax=%d", pids), "Delegate=yes"} {
		if !strings.Contains(unit, "\n"+line+"\n") {
			t.Fatalf("the unit of a [cgroup] pids = %d profile has no %s:\n%s", pids, line, unit)
		}
	}
	unit = setting(t, unit, "Restart=on-failure", "Restart=no")
	const name = "fsviews-bomb.service"
	h.install(t, name, unit)
	if got := strings.TrimSpace(h.exec(t, "systemctl", "show", "-p", "TasksMax", "--value", name)); got != fmt.Sprint(pids) {
		t.Fatalf("systemd took TasksMax=%s, want %d", got, pids)
	}

	for _, tc := range []struct {
		name, profile string
		fsviews       bool // fsviews' own cgroup limit is there too
	}{
		{"with [cgroup]", limited, true},
		{"TasksMax= alone", bomb + common, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.profile(t, "bomb", tc.profile)
			h.systemctl(t, "start", name)
			s := h.waitStatus(t, name, "the bomb's end", settled)
			j := h.journal(t, name)
			j = j[max(0, strings.LastIndex(j, "Started "+name)):] // this start's
			forks := strings.Count(j, "]: forked ")
			if !strings.Contains(j, "Cannot fork") {
				t.Fatalf("the bomb did not end on a refused fork (%s):\n%s", s, j)
			}
			// The tasks of the unit: fsviews and its init (Go threads
			// both), the shell and the sleepers. Far fewer would mean
			// another limit stopped it.
			if forks >= pids || forks < pids/4 {
				t.Errorf("the bomb forked %d times under TasksMax=%d:\n%s", forks, pids, j)
			}
			reached := strings.Contains(j, fmt.Sprintf("the jail reached its process limit ([cgroup] pids = %d", pids))
			if reached != tc.fsviews {
				t.Errorf("fsviews reported its own limit: %v, want %v:\n%s", reached, tc.fsviews, j)
			}
			if !settled(s) || s["Result"] != "exit-code" {
				t.Errorf("the unit should have failed with the shell's exit status: %s", s)
			}
		})
	}
}
