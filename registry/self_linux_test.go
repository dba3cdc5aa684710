package registry

import (
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// fsviews run registers from the thread that unshared, before execve: the
// record must carry that thread's mount namespace, which /proc/PID/ns may
// not show yet.
func TestAddSelfRecordsThreadNamespaces(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("CI runs as root; this test needs root")
		}
		t.Skip("needs root to unshare a mount namespace: sudo go test ./registry")
	}
	r := Registry{Dir: t.TempDir()}
	type result struct {
		threadNS uint64
		err      error
	}
	var res result
	offLeader(func() {
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			res.err = err
			return
		}
		ns, err := ThreadNamespaces()
		if err != nil {
			res.err = err
			return
		}
		res = result{threadNS: ns["mnt"], err: r.AddSelf(Record{Name: "self"})}
	})
	if res.err != nil {
		t.Fatal(res.err)
	}
	hostNS, _ := Namespaces(os.Getpid())
	if res.threadNS == hostNS["mnt"] {
		t.Fatal("unshare did not give the thread a new mount namespace")
	}
	b, err := os.ReadFile(r.path("self"))
	if err != nil {
		t.Fatal(err)
	}
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.PID != os.Getpid() || rec.StartTime == 0 || rec.Namespaces["mnt"] != res.threadNS {
		t.Errorf("record %+v, thread mnt %d", rec, res.threadNS)
	}
	// Until execve the leader is elsewhere: List says so, with the reason,
	// and calls it alive (drift), never stale.
	e, err := r.Get("self")
	if err != nil || e.Health != Drift || !strings.Contains(e.Why, "mnt ") {
		t.Errorf("before execve: %+v %v", e, err)
	}
	// A second AddSelf of a live-looking name by another process is refused
	// by Add's rule; AddSelf for the same process refreshes.
	if err := r.AddSelf(Record{Name: "self", Namespaces: hostNS}); err != nil {
		t.Errorf("refresh by the same process: %v", err)
	}
	if e, _ := r.Get("self"); e.Health != Running {
		t.Errorf("after refresh with the leader's namespaces: %+v", e)
	}
}

func TestPrune(t *testing.T) {
	r := Registry{Dir: t.TempDir()}
	live := startSleep(t, sleepPath(t))
	dead := startSleep(t, sleepPath(t))
	if err := r.Add(Record{Name: "live", PID: live.Process.Pid}); err != nil {
		t.Fatal(err)
	}
	if err := r.Add(Record{Name: "dead", PID: dead.Process.Pid}); err != nil {
		t.Fatal(err)
	}
	dead.Process.Kill()
	dead.Wait()
	if err := os.WriteFile(r.path("corrupt"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	pruned, err := r.Prune()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range pruned {
		names = append(names, e.Name)
	}
	if strings.Join(names, ",") != "corrupt,dead" {
		t.Errorf("pruned %v", names)
	}
	l, _ := r.List()
	if len(l) != 1 || l[0].Name != "live" || l[0].Health != Running {
		t.Errorf("left %+v", l)
	}
	// A stale entry replaced by a new jail between List and the removal is
	// kept.
	again := startSleep(t, sleepPath(t))
	if err := r.Add(Record{Name: "dead", PID: again.Process.Pid}); err != nil {
		t.Fatal(err)
	}
	if err := r.removeStale(Entry{Record: Record{Name: "dead", PID: dead.Process.Pid}, Health: Stale}); err != nil {
		t.Fatal(err)
	}
	if e, err := r.Get("dead"); err != nil || e.Health != Running {
		t.Errorf("new jail's record removed: %+v %v", e, err)
	}
}

// offLeader runs f on a locked OS thread that is not the thread-group
// leader (whose namespaces /proc/PID/ns shows), and leaves that thread
// locked: Go discards it when the goroutine ends, so what f changed never
// reaches another goroutine. A goroutine that lands on the leader stays
// locked there while it tries again, so the next one cannot land there.
func offLeader(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		if unix.Gettid() == os.Getpid() {
			offLeader(f)
			runtime.UnlockOSThread()
			return
		}
		f()
	}()
	<-done
}
