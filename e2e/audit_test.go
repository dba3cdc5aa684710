package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// auditEnv keeps the registry and the checkpoints of a test in temp dirs.
type auditEnv struct {
	runtime, checkpoints, state string
}

func newAuditEnv(t *testing.T) auditEnv {
	t.Helper()
	h := hostDir(t)
	return auditEnv{runtime: filepath.Join(h, "run"), checkpoints: filepath.Join(h, "checkpoints"), state: filepath.Join(h, "state")}
}

func (a auditEnv) environ() []string {
	return append(os.Environ(), "FSVIEWS_RUNTIME_DIR="+a.runtime, "FSVIEWS_CHECKPOINT_DIR="+a.checkpoints)
}

func (a auditEnv) run(t *testing.T, args ...string) result {
	t.Helper()
	return runEnv(t, a.environ(), args...)
}

// start runs a jail whose command prints "ready" once set up, and returns
// its PID (fsviews' own: the daemon replaced it). The jail is killed at the
// end of the test.
func (a auditEnv) start(t *testing.T, args ...string) (int, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(fsviews(t), args...)
	cmd.Env = a.environ()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(cmd) })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("jail did not start: %q %v\n%s", line, err, stderr.String())
	}
	return cmd.Process.Pid, cmd
}

// stop ends a jail as an admin would: SIGTERM, which fsviews passes on
// and after which it removes the jail's cgroups and record; SIGKILL only
// if it is still there after 10 s. A SIGKILL first would leave the
// cgroups of every test jail on the machine.
func stop(cmd *exec.Cmd) {
	if cmd.ProcessState != nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	ended := make(chan struct{})
	go func() { cmd.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-ended
	}
}

func hasLine(out, line string) bool {
	for _, l := range strings.Split(out, "\n") {
		if l == line {
			return true
		}
	}
	return false
}

func fileSum(t *testing.T, p string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// The worked example of docs/auditing.md: a baseline before the first
// start, a jail that does what an intruder would, and a diff that reports
// every change with the right flag; then checkpoints of the running jail
// through /proc/PID/root, and diff of the stopped jail.
func TestAuditCheckpointDiff(t *testing.T) {
	requireRoot(t)
	a := newAuditEnv(t)
	profile := writeProfile(t, hostDir(t), "app", base+`
[[state]]
target = "/var/lib/app"
[security]
capabilities = ["CAP_MKNOD"]
# The jail plants a setuid file for the audit to find: chmod (fchmodat)
# allowed by name drops the default preset's set-id rule for it.
[seccomp]
preset = "default"
allow = ["fchmodat"]
# In place: the test reaches the jail's tmpfs by the PID it started.
[namespaces]
pid = false
`)
	// The state dir before the first start, as an admin would seed it.
	sd := filepath.Join(a.state, "app", "var/lib/app")
	mustWrite(t, filepath.Join(sd, "keep.txt"), "keep\n")
	mustWrite(t, filepath.Join(sd, "del.txt"), "delete me\n")
	mustWrite(t, filepath.Join(sd, "suid-me"), "#!/bin/sh\n")
	os.Chmod(filepath.Join(sd, "suid-me"), 0o755)
	mustWrite(t, filepath.Join(sd, "swap-me"), "plain\n")
	mustWrite(t, filepath.Join(sd, "mtime-me"), "aaaa\n")
	old := time.Unix(1577836800, 0)
	os.Chtimes(filepath.Join(sd, "mtime-me"), old, old)

	r := a.run(t, "checkpoint", "--profile", profile, "--state-dir", a.state, "--label", "base")
	if r.code != 0 || !strings.Contains(r.stdout, "checkpoint base of jail app: 1 roots, 6 entries (host side only") {
		t.Fatalf("baseline: %v", r)
	}
	if r := a.run(t, "checkpoint", "--json", "--profile", profile, "--state-dir", a.state, "--label", "base-json"); r.code != 0 ||
		!strings.Contains(r.stdout, `"jail": "app"`) || !strings.Contains(r.stdout, `"entries": 6`) || !strings.Contains(r.stdout, `"complete": true`) {
		t.Errorf("checkpoint --json of the baseline: %v", r)
	}
	if fi, err := os.Stat(a.checkpoints); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("checkpoint dir %v %v", fi.Mode(), err)
	}

	script := `cd /var/lib/app
echo new > new.txt
rm del.txt
chmod u+s suid-me
mknod null c 1 3
rm swap-me; ln -s /etc/shadow swap-me
printf 'bbbb\n' > mtime-me; touch -d @1577836800 mtime-me
ln -s / rootlink
touch "$(printf 'x\n!! setuid added: fake')" "$(printf 'bad\377utf8')"
echo t > /tmp/t
echo ready; exec sleep 600`
	pid, jail := a.start(t, "run", "--state-dir", a.state, profile, "--", "/bin/sh", "-c", script)
	// A tree deeper than PATH_MAX, which the jail's shell cannot make (it
	// tracks $PWD), made fd by fd as a jail's own program could; 250
	// levels, within the walk's default depth limit of 256.
	deepTree(t, sd, 250)

	r = a.run(t, "diff", "--against", "base", "app")
	if r.code != 1 {
		t.Fatalf("diff: want exit 1, got %d\n%s\n%s", r.code, clip(r.stdout), r.stderr)
	}
	for _, want := range []string{
		"!! setuid added: /var/lib/app/suid-me",
		"!! device node: /var/lib/app/null (char 1:3)",
		"!! symlink outside: /var/lib/app/swap-me -> /etc/shadow",
		"!! type changed: /var/lib/app/swap-me (file -> symlink)",
		"!! content changed, mtime kept: /var/lib/app/mtime-me",
		"!! symlink outside: /var/lib/app/rootlink -> /",
		"Only in new: /var/lib/app/new.txt",
		"Only in old: /var/lib/app/del.txt",
		"Files /var/lib/app/mtime-me differ",
		"Changed /var/lib/app/suid-me: mode 0755 -> 4755",
		`Only in new: "/var/lib/app/x\n!! setuid added: fake"`,
		`Only in new: "/var/lib/app/bad\xffutf8"`,
	} {
		if !hasLine(r.stdout, want) {
			t.Errorf("diff lacks %q:\n%s", want, clip(r.stdout))
		}
	}
	if hasLine(r.stdout, "!! setuid added: fake") {
		t.Errorf("a file name forged a report line:\n%s", clip(r.stdout))
	}
	if strings.Contains(r.stdout, "keep.txt") {
		t.Errorf("unchanged file reported:\n%s", clip(r.stdout))
	}
	if !strings.Contains(r.stderr, "not compared (tmpfs, the jail was not running for one side): ") || !strings.Contains(r.stderr, "/tmp") {
		t.Errorf("stderr: %s", r.stderr)
	}

	// JSON: the symlinks are recorded, never followed; nothing under them.
	r = a.run(t, "diff", "--json", "--against", "base", "app")
	var d struct {
		Changes []struct {
			Kind, Root, Path string
			New              *struct {
				Type, Link, SHA256 string
			}
			Flags []string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil || r.code != 1 {
		t.Fatalf("json: %v exit %d %s", err, r.code, r.stderr)
	}
	deep := false
	for _, c := range d.Changes {
		if strings.HasPrefix(c.Path, "rootlink/") || strings.HasPrefix(c.Path, "swap-me/") {
			t.Errorf("walked through a symlink: %+v", c)
		}
		if c.Path == "swap-me" && (c.New == nil || c.New.Type != "symlink" || c.New.SHA256 != "" || c.New.Link != "/etc/shadow") {
			t.Errorf("swap-me: %+v", c.New)
		}
		if strings.HasSuffix(c.Path, "/leaf") && len(c.Path) > 4096 {
			deep = true
		}
	}
	if !deep {
		longest := ""
		for _, c := range d.Changes {
			if len(c.Path) > len(longest) {
				longest = c.Path
			}
		}
		t.Errorf("the leaf of the deep tree (path over PATH_MAX) is missing from %d changes; longest %d %q", len(d.Changes), len(longest), clip(longest))
	}

	// A checkpoint of the running jail reads its tmpfs through
	// /proc/PID/root; a file the host then adds there shows in diff.
	r = a.run(t, "checkpoint", "--label", "live", "app")
	// Roots: the state dir, /tmp and the tmpfs of [dev].
	if r.code != 0 || !strings.Contains(r.stdout, "checkpoint live of jail app: ") || strings.Contains(r.stdout, ": 1 roots") {
		t.Fatalf("checkpoint live: %v", r)
	}
	if r = a.run(t, "diff", "app"); r.code != 0 || r.stdout != "" {
		t.Errorf("diff against the latest, nothing changed: %v", r)
	}
	if err := os.WriteFile("/proc/"+strconv.Itoa(pid)+"/root/tmp/added", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r = a.run(t, "diff", "app"); r.code != 1 || !hasLine(r.stdout, "Only in new: /tmp/added") {
		t.Errorf("diff after a write into the tmpfs: %v", r)
	}

	// Stopped: the record is stale, diff reads the state dirs only.
	stop(jail)
	r = a.run(t, "diff", "--against", "live", "app")
	if r.code != 0 || !strings.Contains(r.stderr, "not compared") {
		t.Errorf("diff of the stopped jail: %v", r)
	}
	// A dead jail cannot be checkpointed; the old checkpoint is intact.
	livePath := filepath.Join(a.checkpoints, "app", "live.json.gz")
	before := fileSum(t, livePath)
	r = a.run(t, "checkpoint", "--label", "live", "app")
	if r.code != 2 || !strings.Contains(r.stderr, "jail app is not running: process "+strconv.Itoa(pid)+" is gone") {
		t.Errorf("checkpoint of a dead jail: %v", r)
	}
	if fileSum(t, livePath) != before {
		t.Error("checkpoint of a dead jail changed the stored one")
	}
}

// inspect reports a mount added into the jail's namespace from outside;
// ps lists the jail; a second run of its name is refused before anything
// is built.
func TestAuditInspectPs(t *testing.T) {
	requireRoot(t)
	if _, err := exec.LookPath("nsenter"); err != nil {
		t.Fatal("nsenter (util-linux) is needed")
	}
	a := newAuditEnv(t)
	profile := writeProfile(t, hostDir(t), "insp", base+`
[[state]]
target = "/var/lib/insp"
[security]
user = "nobody"
no_new_privs = true
# The daemon in place: the test enters its mount namespace by its PID.
[namespaces]
pid = false
`)
	hostBefore := mountTable(t, "self")
	pid, jail := a.start(t, "run", "--state-dir", a.state, profile, "--", "/bin/sh", "-c", "mkdir /tmp/extra; echo ready; exec sleep 600")

	r := a.run(t, "inspect", "insp")
	if r.code != 0 {
		t.Fatalf("inspect of an untouched jail: %v", r)
	}
	for _, want := range []string{"planned    /usr", "planned    /var/lib/insp", "0 changed, 0 unexpected, 0 missing", "ok     uid                65534 65534 65534 65534", "ok     NoNewPrivs         1"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("inspect lacks %q:\n%s", want, r.stdout)
		}
	}

	r = a.run(t, "ps")
	if r.code != 0 || !strings.Contains(fields(r.stdout), "insp "+strconv.Itoa(pid)+" ") || !strings.Contains(r.stdout, "running") {
		t.Errorf("ps: %v", r)
	}
	r = a.run(t, "ps", "--json")
	var rows []struct {
		Name       string
		PID        int
		Health     string
		Namespaces map[string]uint64
		Private    []string `json:"private_namespaces"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 1 || rows[0].Health != "running" ||
		rows[0].Namespaces["mnt"] == 0 || !slices.Contains(rows[0].Private, "mnt") {
		t.Errorf("ps --json: %v %+v", err, rows)
	}

	other := filepath.Join(hostDir(t), "other-state")
	r = a.run(t, "run", "--state-dir", other, profile, "--", "/bin/true")
	if r.code != 125 || !strings.Contains(r.stderr, "jail insp is already running as PID "+strconv.Itoa(pid)) || !strings.Contains(r.stderr, "--name") {
		t.Errorf("second run of one name: %v", r)
	}
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Errorf("the refused run built something: %s: %v", other, err)
	}
	// Under another name it runs.
	if r = a.run(t, "run", "--name", "insp2", "--state-dir", other, profile, "--", "/bin/true"); r.code != 0 {
		t.Errorf("run --name insp2: %v", r)
	}

	// A mount made inside the jail's namespace after start.
	r = runShell(t, []string{"nsenter", "-t", strconv.Itoa(pid), "-m", "-r", "mount", "-t", "tmpfs", "tmpfs", "/tmp/extra"})
	if r.code != 0 {
		t.Fatalf("nsenter mount: %v", r)
	}
	r = a.run(t, "inspect", "insp")
	if r.code != 1 || !strings.Contains(r.stdout, "unexpected /tmp/extra") || !strings.Contains(r.stdout, "not in the plan") {
		t.Errorf("inspect after a mount from outside: %v", r)
	}
	r = a.run(t, "inspect", "--json", "insp")
	var rep struct {
		Drift  bool
		Mounts []struct{ Status, Path string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || !rep.Drift || r.code != 1 {
		t.Errorf("inspect --json: %v %v", err, r)
	}
	sameMounts(t, "inspect", hostBefore, mountTable(t, "self"))

	stop(jail)
	r = a.run(t, "inspect", "insp")
	if r.code != 2 || !strings.Contains(r.stderr, "jail insp is not running: process "+strconv.Itoa(pid)+" is gone") {
		t.Errorf("inspect of a dead jail: %v", r)
	}
	r = a.run(t, "ps")
	if !strings.Contains(r.stdout, "stale: process "+strconv.Itoa(pid)+" is gone") {
		t.Errorf("ps after exit: %v", r)
	}
	r = a.run(t, "ps", "--prune")
	if !strings.Contains(r.stderr, "pruned insp: process "+strconv.Itoa(pid)+" is gone") || strings.Contains(r.stdout, "insp ") {
		t.Errorf("ps --prune: %v", r)
	}
}

// Records are claims: a PID that now belongs to another process is stale,
// and bad input of every kind is exit 2 with a message, changing nothing.
func TestAuditBadInput(t *testing.T) {
	requireRoot(t)
	a := newAuditEnv(t)
	jails := filepath.Join(a.runtime, "jails")
	if err := os.MkdirAll(jails, 0o700); err != nil {
		t.Fatal(err)
	}
	sleep := exec.Command("sleep", "600")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer stop(sleep)
	rec, _ := json.Marshal(map[string]any{"name": "reused", "pid": sleep.Process.Pid, "start_time": 1,
		"plan": map[string]any{"ops": []any{}}})
	if err := os.WriteFile(filepath.Join(jails, "reused.json"), rec, 0o600); err != nil {
		t.Fatal(err)
	}
	r := a.run(t, "ps")
	if !strings.Contains(r.stdout, "stale: PID "+strconv.Itoa(sleep.Process.Pid)+" now belongs to another process") {
		t.Errorf("reused PID: %v", r)
	}
	for _, cmd := range []string{"inspect", "checkpoint"} {
		r = a.run(t, cmd, "reused")
		if r.code != 2 || !strings.Contains(r.stderr, "jail reused is not running: PID") {
			t.Errorf("%s of a reused PID: %v", cmd, r)
		}
	}

	// A real checkpoint to corrupt and to look labels up in.
	profile := writeProfile(t, hostDir(t), "bad", base+"[[state]]\ntarget = \"/var/lib/bad\"\n")
	mustWrite(t, filepath.Join(a.state, "bad", "var/lib/bad", "f"), "x\n")
	if r = a.run(t, "checkpoint", "--profile", profile, "--state-dir", a.state, "--label", "good"); r.code != 0 {
		t.Fatalf("checkpoint: %v", r)
	}
	good := filepath.Join(a.checkpoints, "bad", "good.json.gz")
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(a.checkpoints, "bad", "trunc.json.gz"), data[:len(data)/2], 0o600)
	var flipped bytes.Buffer
	zw := gzip.NewWriter(&flipped)
	zw.Write([]byte(`{"version": 1, "roots": [{"name": "/x", "entries": [{"path": "a", "type": "file"`))
	zw.Close()
	os.WriteFile(filepath.Join(a.checkpoints, "bad", "badjson.json.gz"), flipped.Bytes(), 0o600)
	before := fileSum(t, good)

	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"unknown jail", []string{"inspect", "nope"}, []string{`no jail named "nope"`, "(known: reused)"}},
		{"unknown jail diff", []string{"diff", "nope"}, []string{`no jail named "nope"`, "--profile"}},
		{"traversal name", []string{"inspect", "../../etc/passwd"}, []string{"invalid jail name"}},
		{"newline name", []string{"checkpoint", "a\nb"}, []string{"invalid jail name"}},
		{"long name", []string{"diff", strings.Repeat("x", 5000)}, []string{"invalid jail name"}},
		{"unknown label", []string{"diff", "--profile", profile, "--state-dir", a.state, "--against", "nolabel"}, []string{`checkpoint "nolabel" of jail "bad"`, "have: ", "good", "trunc"}},
		{"truncated", []string{"diff", "--profile", profile, "--state-dir", a.state, "--against", "trunc"}, []string{`checkpoint "trunc" of jail "bad"`, "is corrupt"}},
		{"bad json", []string{"diff", "--profile", profile, "--state-dir", a.state, "--against", "badjson"}, []string{"is corrupt", "decode"}},
		{"bad label", []string{"checkpoint", "--profile", profile, "--state-dir", a.state, "--label", "../good"}, []string{"--label", "invalid name"}},
		{"no checkpoints", []string{"diff", "--profile", profile, "--state-dir", a.state, "other"}, []string{`jail "other" has no checkpoints`, "fsviews checkpoint other"}},
		{"two names", []string{"inspect", "a", "b"}, []string{"name one jail"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := a.run(t, tc.args...)
			if r.code != 2 {
				t.Errorf("want exit 2, got %v", r)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}
	if fileSum(t, good) != before {
		t.Error("a failed command changed a stored checkpoint")
	}
	des, _ := os.ReadDir(filepath.Join(a.checkpoints, "bad"))
	if len(des) != 3 {
		t.Errorf("checkpoint dir holds %v", des)
	}
	if _, err := os.Stat(filepath.Join(a.checkpoints, "..", "good.json.gz")); err == nil {
		t.Error("a label escaped the checkpoint dir")
	}
}

// clip shortens output for a failure message: the deep tree's paths are
// thousands of bytes long.
func clip(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if len(l) > 160 {
			lines[i] = l[:80] + " ... " + l[len(l)-60:]
		}
	}
	if len(lines) > 60 {
		lines = append(lines[:60], "...")
	}
	return strings.Join(lines, "\n")
}

// deepTree makes dir/dddd.../dddd.../leaf, levels deep with 16-byte names,
// each step relative to the parent's fd: from 241 levels the path is
// longer than PATH_MAX.
func deepTree(t *testing.T, dir string, levels int) {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < levels; i++ {
		if err := unix.Mkdirat(fd, "dddddddddddddddd", 0o755); err != nil {
			t.Fatal(err)
		}
		next, err := unix.Openat(fd, "dddddddddddddddd", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		fd = next
	}
	defer unix.Close(fd)
	leaf, err := unix.Openat(fd, "leaf", unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	unix.Write(leaf, []byte("deep\n"))
	unix.Close(leaf)
}

// `fsviews checkpoints` lists what is stored, per jail and label, and
// --json the same for tools; an empty store says so.
func TestCheckpointsListed(t *testing.T) {
	requireRoot(t)
	a := newAuditEnv(t)
	profile := writeProfile(t, hostDir(t), "listed", base+"[[state]]\ntarget = \"/var/lib/listed\"\n")
	if r := a.run(t, "checkpoints"); r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "no checkpoints in "+a.checkpoints) {
		t.Errorf("checkpoints of an empty store: %v", r)
	}
	for _, label := range []string{"first", "second"} {
		if r := a.run(t, "checkpoint", "--profile", profile, "--state-dir", a.state, "--label", label); r.code != 0 {
			t.Fatalf("checkpoint %s: %v", label, r)
		}
	}
	r := a.run(t, "checkpoints", "listed")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[1], "listed  first ") || !strings.HasPrefix(lines[2], "listed  second") {
		t.Errorf("checkpoints listed: %v", r)
	}
	r = a.run(t, "checkpoints", "--json")
	var cps []struct{ Jail, Label string }
	if err := json.Unmarshal([]byte(r.stdout), &cps); err != nil || len(cps) != 2 || cps[0].Label != "first" || cps[1].Jail != "listed" {
		t.Errorf("checkpoints --json: %v %v", err, r)
	}
}

// `fsviews check --json` gives each profile's problems with file, line
// and key, and exits as check does.
func TestCheckJSON(t *testing.T) {
	h := hostDir(t)
	bad := writeProfile(t, h, "bad", base+"[[bind]]\nsorce = \"/usr\"\ntarget = \"/opt\"\n")
	r := run(t, "check", "--json", bad, "minimal")
	var reports []struct {
		Profile  string
		OK       bool
		Problems []struct {
			File, Key, Message string
			Line               int
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &reports); err != nil || r.code != 1 || len(reports) != 2 {
		t.Fatalf("check --json: %v %v", err, r)
	}
	if reports[0].OK || len(reports[0].Problems) != 1 || reports[0].Problems[0].Key != "[[bind]] #1 sorce" || reports[0].Problems[0].File != bad {
		t.Errorf("the bad profile's report: %+v", reports[0])
	}
	if !reports[1].OK || reports[1].Profile != "minimal" {
		t.Errorf("minimal's report: %+v", reports[1])
	}
}
