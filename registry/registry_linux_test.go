package registry

import (
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func startSleep(t *testing.T, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(path, "600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

func sleepPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("sleep(1) not found")
	}
	return p
}

func TestAddListRemove(t *testing.T) {
	r := Registry{Dir: filepath.Join(t.TempDir(), "run", "jails")}
	if l, err := r.List(); err != nil || len(l) != 0 {
		t.Fatalf("empty registry: %v %v", l, err)
	}
	cmd := startSleep(t, sleepPath(t))
	pid := cmd.Process.Pid
	rec := Record{Name: "web", PID: pid, Started: time.Now().UTC().Truncate(time.Second),
		ProfilePath: "/etc/fsviews/nginx.toml", Plan: json.RawMessage(`{"ops":[1,2]}`),
		StateDirs: map[string]string{"/var/lib/nginx": "/var/lib/fsviews/state/web/var/lib/nginx"}}
	if err := r.Add(rec); err != nil {
		t.Fatal(err)
	}
	if err := r.Add(Record{Name: "self", PID: os.Getpid()}); err != nil {
		t.Fatal(err)
	}
	l, err := r.List()
	if err != nil || len(l) != 2 || l[0].Name != "self" || l[1].Name != "web" {
		t.Fatalf("list %+v %v", l, err)
	}
	e := l[1]
	if e.Health != Running || e.Why != "" || e.StartTime == 0 || e.Namespaces["mnt"] == 0 ||
		string(e.Plan) != `{"ops":[1,2]}` || e.StateDirs["/var/lib/nginx"] == "" {
		t.Errorf("entry %+v", e)
	}
	for p, mode := range map[string]fs.FileMode{r.Dir: 0o700, r.path("web"): 0o600} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: %v %v", p, fi.Mode(), err)
		}
	}
	b, _ := json.Marshal(e)
	if !strings.Contains(string(b), `"health":"running"`) || !strings.Contains(string(b), `"name":"web"`) {
		t.Errorf("json %s", b)
	}

	// Remove with another PID leaves the record; with its PID removes it.
	if err := r.Remove("web", pid+1); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get("web"); err != nil {
		t.Errorf("record removed by the wrong pid: %v", err)
	}
	if err := r.Remove("web", pid); err != nil {
		t.Fatal(err)
	}
	_, err = r.Get("web")
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "(known: self)") {
		t.Errorf("get removed: %v", err)
	}
	if err := r.Remove("web", pid); err != nil {
		t.Errorf("second remove: %v", err)
	}
	// Only the one record file is left: no temp files.
	des, _ := os.ReadDir(r.Dir)
	if len(des) != 1 || des[0].Name() != "self.json" {
		t.Errorf("files %v", des)
	}
}

func TestDuplicateLiveName(t *testing.T) {
	r := Registry{Dir: t.TempDir()}
	a := startSleep(t, sleepPath(t))
	b := startSleep(t, sleepPath(t))
	if err := r.Add(Record{Name: "web", PID: a.Process.Pid, ProfilePath: "/etc/fsviews/web.toml"}); err != nil {
		t.Fatal(err)
	}
	err := r.Add(Record{Name: "web", PID: b.Process.Pid})
	want := "jail web is already running as PID " + strconv.Itoa(a.Process.Pid) + " (profile /etc/fsviews/web.toml); give this one another --name, or stop that one first (fsviews ps lists the jails): two jails of one name would share its state dirs"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	// The same process may refresh its own record.
	if err := r.Add(Record{Name: "web", PID: a.Process.Pid, ProfilePath: "/p"}); err != nil {
		t.Errorf("refresh: %v", err)
	}
	// Once the first is dead, the name is free again.
	a.Process.Kill()
	a.Wait()
	if err := r.Add(Record{Name: "web", PID: b.Process.Pid}); err != nil {
		t.Errorf("replacing a stale record: %v", err)
	}
}

func TestConcurrentAddOneWins(t *testing.T) {
	r := Registry{Dir: t.TempDir()}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		cmd := startSleep(t, sleepPath(t))
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.Add(Record{Name: "web", PID: cmd.Process.Pid})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !strings.Contains(err.Error(), "already running") {
			t.Error(err)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d concurrent Adds won", ok, len(errs))
	}
}

func TestStale(t *testing.T) {
	r := Registry{Dir: t.TempDir()}
	cmd := startSleep(t, sleepPath(t))
	pid := cmd.Process.Pid
	if err := r.Add(Record{Name: "dead", PID: pid}); err != nil {
		t.Fatal(err)
	}
	cmd.Process.Kill()
	cmd.Wait()

	self := os.Getpid()
	start, err := ProcStartTime(self)
	if err != nil {
		t.Fatal(err)
	}
	// Records written by hand, as a PID reuse would leave them: Add refuses
	// to write a stale record.
	write := func(rec Record) {
		b, _ := json.Marshal(rec)
		if err := os.WriteFile(r.path(rec.Name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(Record{Name: "reused", PID: self, StartTime: start + 1})
	if err := os.WriteFile(r.path("corrupt"), []byte(`{"name":"corr`), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := r.List()
	if err != nil {
		t.Fatal(err)
	}
	why := map[string]string{}
	for _, e := range l {
		if e.Health != Stale {
			t.Errorf("%s: %v", e.Name, e.Health)
		}
		why[e.Name] = e.Why
	}
	for name, want := range map[string]string{
		"dead":    "process " + strconv.Itoa(pid) + " is gone",
		"reused":  "now belongs to another process",
		"corrupt": "is corrupt",
	} {
		if !strings.Contains(why[name], want) {
			t.Errorf("%s: why %q, want %q", name, why[name], want)
		}
	}
	if err := r.Add(Record{Name: "reused", PID: self, StartTime: start + 1}); err == nil {
		t.Error("Add wrote a stale record")
	}
	if err := r.Add(Record{Name: "corrupt", PID: self}); err != nil {
		t.Errorf("corrupt record not replaced: %v", err)
	}
}

func TestBadNames(t *testing.T) {
	r := Registry{Dir: t.TempDir()}
	for _, bad := range []string{"", ".", "..", ".x", "a/b", "../etc", strings.Repeat("x", 65), "checkpoints", "CheckPoints"} {
		if err := r.Add(Record{Name: bad, PID: os.Getpid()}); err == nil {
			t.Errorf("Add(%q) accepted", bad)
		}
		if _, err := r.Get(bad); err == nil {
			t.Errorf("Get(%q) accepted", bad)
		}
	}
	if _, err := r.Get("nope"); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "no jails are registered") {
		t.Errorf("get unknown: %v", err)
	}
	// A near miss is named, in words for people: no Go error text.
	if err := r.Add(Record{Name: "web", PID: os.Getpid()}); err != nil {
		t.Fatal(err)
	}
	_, err := r.Get("wbe")
	want := `no jail named "wbe"; did you mean "web"? (known: web)`
	if !errors.Is(err, fs.ErrNotExist) || err == nil || err.Error() != want {
		t.Errorf("Get(wbe) = %v, want %q", err, want)
	}
}

// A process alive with the recorded start time but in other namespaces
// (the jail ran `exec unshare -U -m ...`) is drift: alive, listed with the
// namespaces it left, never pruned, and its name is not given to another.
func TestDriftIsAliveNeverPruned(t *testing.T) {
	r := Registry{Dir: t.TempDir()}
	self := os.Getpid()
	start, err := ProcStartTime(self)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := Namespaces(self)
	if err != nil {
		t.Fatal(err)
	}
	moved := map[string]uint64{}
	for k, v := range ns {
		moved[k] = v
	}
	moved["mnt"]++
	moved["pid_for_children"]++ // where children go: not compared
	b, _ := json.Marshal(Record{Name: "moved", PID: self, StartTime: start, Namespaces: moved})
	if err := os.WriteFile(r.path("moved"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := r.Get("moved")
	want := "process " + strconv.Itoa(self) + " has left the namespaces fsviews made for it: mnt " +
		strconv.FormatUint(ns["mnt"], 10) + " (was " + strconv.FormatUint(moved["mnt"], 10) + ")"
	if err != nil || e.Health != Drift || e.Why != want || !e.Health.Alive() {
		t.Errorf("moved: %+v %v\nwant why %q", e, err, want)
	}
	if b, _ := json.Marshal(e); !strings.Contains(string(b), `"health":"drift"`) {
		t.Errorf("json %s", b)
	}
	pruned, err := r.Prune()
	if err != nil || len(pruned) != 0 {
		t.Errorf("prune: %+v %v", pruned, err)
	}
	other := startSleep(t, sleepPath(t))
	err = r.Add(Record{Name: "moved", PID: other.Process.Pid})
	var re *RunningError
	if !errors.As(err, &re) || re.Health != Drift || !strings.Contains(err.Error(), "already running as PID "+strconv.Itoa(self)) ||
		!strings.Contains(err.Error(), "drifted: "+want) {
		t.Errorf("Add over a drifted jail: %v", err)
	}
	// Its start time alone decides: another start time is stale.
	b, _ = json.Marshal(Record{Name: "moved", PID: self, StartTime: start + 1, Namespaces: moved})
	os.WriteFile(r.path("moved"), b, 0o600)
	if e, _ := r.Get("moved"); e.Health != Stale {
		t.Errorf("reused PID in other namespaces: %+v", e)
	}
}

// Records are read without following a symlink and never block on a FIFO
// planted under their name; a registry others can write is refused.
func TestRecordFilesNotFollowed(t *testing.T) {
	r := Registry{Dir: t.TempDir()}
	os.Chmod(r.Dir, 0o700)
	target := filepath.Join(t.TempDir(), "elsewhere.json")
	b, _ := json.Marshal(Record{Name: "link", PID: os.Getpid()})
	os.WriteFile(target, b, 0o600)
	if err := os.Symlink(target, r.path("link")); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(r.path("fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"link": "is a symlink, not a record", "fifo": "is not a regular file"} {
		e, err := r.Get(name)
		if err != nil || e.Health != Stale || !strings.Contains(e.Why, want) {
			t.Errorf("%s: %+v %v, want stale saying %q", name, e, err, want)
		}
	}
	if _, err := r.Prune(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(r.path("link")); !os.IsNotExist(err) {
		t.Errorf("planted symlink not pruned: %v", err)
	}
	if _, err := os.Stat(target); err != nil {
		t.Errorf("prune followed the symlink: %v", err)
	}
	// Add replaces a planted symlink instead of writing through it.
	os.Symlink(target, r.path("self"))
	if err := r.Add(Record{Name: "self", PID: os.Getpid()}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(r.path("self")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("record after Add: %v %v", fi, err)
	}
	if got, _ := os.ReadFile(target); string(got) != string(b) {
		t.Errorf("Add wrote through the symlink: %s", got)
	}

	os.Chmod(r.Dir, 0o777)
	if _, err := r.List(); err == nil || !strings.Contains(err.Error(), "writable by no one else") {
		t.Errorf("world-writable registry: %v", err)
	}
}

// decodeHead reads what json.Unmarshal reads of the head fields, whatever
// their order (older records wrote the namespaces after the plan).
func TestDecodeHead(t *testing.T) {
	full := Record{Name: "web", PID: 42, StartTime: 7, ProfilePath: "/etc/fsviews/web.toml",
		Namespaces: map[string]uint64{"mnt": 1, "pid": 2},
		Plan:       json.RawMessage(`{"ops":[{"kind":"bind","source":"/usr"}],"name":"x"}`),
		Sources:    []Source{{Target: "/usr", Path: "/usr", Dev: 3, Ino: 4}}}
	data, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	old := `{"name":"web","pid":42,"start_time":7,"profile_path":"/etc/fsviews/web.toml","plan":{"ops":[{"kind":"bind"}]},"namespaces":{"mnt":1,"pid":2},"sources":[]}`
	for _, in := range []string{string(data), old} {
		got, err := decodeHead([]byte(in))
		if err != nil {
			t.Fatalf("decodeHead(%s): %v", in, err)
		}
		var want Record
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatal(err)
		}
		if got.Name != want.Name || got.PID != want.PID || got.StartTime != want.StartTime || got.ProfilePath != want.ProfilePath || !maps.Equal(got.Namespaces, want.Namespaces) {
			t.Errorf("decodeHead(%s) = %+v, want the head of %+v", in, got, want)
		}
	}
	// The head is written before the plan, so decoding stops there.
	if strings.Index(string(data), `"namespaces"`) > strings.Index(string(data), `"plan"`) {
		t.Errorf("the namespaces are written after the plan: %s", data)
	}
	for _, bad := range []string{``, `[]`, `{"name":`, `{"pid":"x"}`} {
		if _, err := decodeHead([]byte(bad)); err == nil {
			t.Errorf("decodeHead(%q) = nil error", bad)
		}
	}
}

// A record is rewritten in place (writeRecord) under the registry's lock,
// and List and Get read under its shared lock: a reader never sees half
// of one, even when the new record is shorter than the old.
func TestRewriteSeenWhole(t *testing.T) {
	r := Registry{Dir: t.TempDir()}
	long := json.RawMessage(`{"ops":["` + strings.Repeat("x", 20000) + `"]}`)
	short := json.RawMessage(`{"ops":[]}`)
	rec := Record{Name: "web", PID: os.Getpid(), Plan: long}
	if err := r.Add(rec); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				e, err := r.Get("web")
				if err != nil {
					t.Error(err)
					return
				}
				if e.Health == Stale || (string(e.Plan) != string(long) && string(e.Plan) != string(short)) {
					t.Errorf("a reader saw %s: %s (plan of %d bytes)", e.Health, e.Why, len(e.Plan))
					return
				}
			}
		}()
	}
	for i := range 300 {
		rec.Plan = long
		if i%2 == 1 {
			rec.Plan = short
		}
		if err := r.Add(rec); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	// The last write was the short one: the file holds it and nothing of
	// the long one after it.
	data, err := os.ReadFile(r.path("web"))
	if err != nil {
		t.Fatal(err)
	}
	var got Record
	if err := json.Unmarshal(data, &got); err != nil || string(got.Plan) != string(short) {
		t.Errorf("record after the last rewrite: %v, %d bytes", err, len(data))
	}
	if des, _ := os.ReadDir(r.Dir); len(des) != 1 {
		t.Errorf("registry holds %d files, want the one record", len(des))
	}
}

// Whatever is planted under a record's name (a hard link to another file,
// a FIFO) is replaced by Add, never written through, and never blocks it.
func TestRewriteReplacesPlanted(t *testing.T) {
	r := Registry{Dir: t.TempDir()}
	other := filepath.Join(r.Dir, "other-file")
	if err := os.WriteFile(other, []byte("not a record\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(other, r.path("linked")); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(r.path("fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"linked", "fifo"} {
		if err := r.Add(Record{Name: name, PID: os.Getpid()}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var st unix.Stat_t
		if err := unix.Lstat(r.path(name), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Nlink != 1 {
			t.Errorf("%s after Add: mode %o, %d links, %v", name, st.Mode, st.Nlink, err)
		}
		if e, err := r.Get(name); err != nil || e.Health != Running {
			t.Errorf("%s after Add: %+v %v", name, e, err)
		}
	}
	if got, _ := os.ReadFile(other); string(got) != "not a record\n" {
		t.Errorf("Add wrote through a hard link: %q", got)
	}
}
