package registry

import (
	"strings"
	"testing"
	"time"
)

// AddExec appends to the record of the process entered, keeps only the
// last maxExecs, and refuses a record that names another process by now.
func TestAddExec(t *testing.T) {
	r := Registry{Dir: t.TempDir()}
	cmd := startSleep(t, sleepPath(t))
	pid := cmd.Process.Pid
	if err := r.Add(Record{Name: "web", PID: pid}); err != nil {
		t.Fatal(err)
	}
	e, err := r.Get("web")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < maxExecs+3; i++ {
		x := Exec{Time: time.Unix(int64(i), 0).UTC(), UID: 0, LoginUID: 1000, Command: []string{"/bin/sh", "-c", "n" + strings.Repeat("x", i%3)}, RunAs: [2]int{0, 0}, PID: 100 + i}
		if err := r.AddExec("web", pid, e.StartTime, x); err != nil {
			t.Fatal(err)
		}
	}
	e, err = r.Get("web")
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Execs) != maxExecs || e.Execs[0].PID != 103 || e.Execs[maxExecs-1].PID != 100+maxExecs+2 || e.Execs[0].LoginUID != 1000 {
		t.Errorf("want the last %d execs, oldest first; got %d from PID %d", maxExecs, len(e.Execs), e.Execs[0].PID)
	}

	err = r.AddExec("web", pid, e.StartTime+1, Exec{Command: []string{"id"}})
	if err == nil || !strings.Contains(err.Error(), "another process than the one entered") {
		t.Errorf("exec into a record of another process: want refused, got %v", err)
	}
	err = r.AddExec("gone", pid, e.StartTime, Exec{Command: []string{"id"}})
	if err == nil || !strings.Contains(err.Error(), "its record is gone") {
		t.Errorf("exec into a missing record: want refused, got %v", err)
	}
	if after, _ := r.Get("web"); len(after.Execs) != maxExecs {
		t.Errorf("a refused exec changed the record: %d execs", len(after.Execs))
	}
}
