package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// runMeasured runs fsviews like auditEnv.run and returns its peak RSS in
// KiB too. A walk that hangs is killed after two minutes, so the test
// fails instead of hanging: a safety net, not a timing assertion.
func (a auditEnv) runMeasured(t *testing.T, args ...string) (result, int64) {
	t.Helper()
	cmd := exec.Command(fsviews(t), args...)
	cmd.Env = a.environ()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer timer.Stop()
	r := wait(t, cmd, &stdout, &stderr)
	if r.signal == syscall.SIGKILL {
		t.Fatalf("fsviews %s did not finish: the walk can still be exhausted", strings.Join(args, " "))
	}
	return r, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
}

// longNameTree nests levels directories named with 255 bytes each below
// dir: 16 MB on disk for 4,000 levels, and paths of up to 1 MB.
func longNameTree(t *testing.T, dir string, levels int) {
	t.Helper()
	name := strings.Repeat("n", 255)
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < levels; i++ {
		if err := unix.Mkdirat(fd, name, 0o755); err != nil {
			t.Fatal(err)
		}
		next, err := unix.Openat(fd, name, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		fd = next
	}
	unix.Close(fd)
}

// Issue #14 point 5, first attack: a state dir of 4,000 nested directories
// with 255-byte names took 6.9 GB of memory and 30 s in checkpoint, each
// entry holding its full path. Now the walk stops at the depth limit with a
// flagged line and exit 3, and even without a limit it stays small.
func TestAuditDeepLongNames(t *testing.T) {
	requireRoot(t)
	a := newAuditEnv(t)
	profile := writeProfile(t, hostDir(t), "deep", base+"[[state]]\ntarget = \"/var/lib/deep\"\n")
	sd := filepath.Join(a.state, "deep", "var/lib/deep")
	if err := os.MkdirAll(sd, 0o755); err != nil {
		t.Fatal(err)
	}
	const levels = 4000
	longNameTree(t, sd, levels)
	name := strings.Repeat("n", 255)
	// The directory at depth 256, the default limit.
	cut := "/var/lib/deep/" + strings.TrimSuffix(strings.Repeat(name+"/", 256), "/")
	const maxRSS = 200 << 10 // KiB; the old walk took 6.9 GB

	r, rss := a.runMeasured(t, "checkpoint", "--profile", profile, "--state-dir", a.state, "--label", "cut")
	if r.code != 3 || !strings.Contains(r.stdout, "1 roots, 257 entries") ||
		!hasLine(r.stdout, "!! depth limit: "+cut+" (directory not read)") ||
		!strings.Contains(r.stderr, "checkpoint cut is incomplete") || !strings.Contains(r.stderr, "--max-depth") {
		t.Fatalf("checkpoint at the depth limit: %s", clip(r.String()))
	}
	if rss > maxRSS {
		t.Errorf("checkpoint at the depth limit took %d MiB", rss>>10)
	}
	if _, err := os.Stat(filepath.Join(a.checkpoints, "deep", "cut.json.gz")); err != nil {
		t.Errorf("the incomplete checkpoint was not saved: %v", err)
	}
	// The same for tools: --json, with the place the limit stopped it.
	r = a.run(t, "checkpoint", "--json", "--profile", profile, "--state-dir", a.state, "--label", "cut")
	var rep struct {
		Jail, Label, Read string
		Roots, Entries    int
		Complete          bool
		Limits            []struct{ Root, Path, Limit string }
		LimitsTotal       int `json:"limits_total"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 3 || !strings.Contains(r.stderr, "checkpoint cut is incomplete") {
		t.Fatalf("checkpoint --json at the depth limit: %v\n%s", err, clip(r.String()))
	}
	if rep.Jail != "deep" || rep.Label != "cut" || rep.Roots != 1 || rep.Entries != 257 || rep.Complete || rep.LimitsTotal != 1 ||
		len(rep.Limits) != 1 || rep.Limits[0].Root != "/var/lib/deep" || rep.Limits[0].Limit != "depth" ||
		"/var/lib/deep/"+rep.Limits[0].Path != cut {
		t.Errorf("checkpoint --json at the depth limit: %+v", rep)
	}

	// No depth limit: the whole tree, all 4,001 entries, in little memory.
	r, rss = a.runMeasured(t, "checkpoint", "--profile", profile, "--state-dir", a.state, "--label", "full", "--max-depth", "0")
	if r.code != 0 || !strings.Contains(r.stdout, "1 roots, 4001 entries") || strings.Contains(r.stdout, "!!") {
		t.Fatalf("checkpoint without a depth limit: %s", clip(r.String()))
	}
	if rss > maxRSS {
		t.Errorf("checkpoint of the whole tree took %d MiB", rss>>10)
	}

	// The jail plants a setuid file at the bottom, below the default limit.
	fd, err := unix.Open(sd, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < levels; i++ {
		next, err := unix.Openat(fd, name, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		fd = next
	}
	suid, err := unix.Openat(fd, "sh", unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o755)
	unix.Close(fd)
	if err != nil {
		t.Fatal(err)
	}
	unix.Fchmod(suid, 0o4755)
	unix.Close(suid)

	// With the default limit, diff cannot see it and must not say "no
	// change": exit 3 and the flagged lines, for now and for the checkpoint.
	r, rss = a.runMeasured(t, "diff", "--profile", profile, "--state-dir", a.state, "--against", "cut")
	if r.code != 3 || !hasLine(r.stdout, "!! depth limit: "+cut+" (directory not read)") ||
		!hasLine(r.stdout, "!! depth limit: "+cut+" (directory not read) in checkpoint cut") ||
		!strings.Contains(r.stderr, "incomplete") {
		t.Errorf("diff at the depth limit: %s", clip(r.String()))
	}
	if rss > maxRSS {
		t.Errorf("diff at the depth limit took %d MiB", rss>>10)
	}
	// Without it, diff finds the file, 4,001 levels down.
	r, rss = a.runMeasured(t, "diff", "--profile", profile, "--state-dir", a.state, "--against", "full", "--max-depth", "0")
	deepest := "/var/lib/deep/" + strings.Repeat(name+"/", levels) + "sh"
	if r.code != 1 || !hasLine(r.stdout, "!! setuid added: "+deepest) || !hasLine(r.stdout, "Only in new: "+deepest) {
		t.Errorf("diff without a depth limit: %s", clip(r.String()))
	}
	if rss > maxRSS {
		t.Errorf("diff of the whole tree took %d MiB", rss>>10)
	}
}

// Issue #14 point 5, second attack: an 8 EiB sparse file in the jail's
// 16 MB tmpfs was still being hashed after 60 s. Holes are not read now:
// the checkpoint of the running jail hashes it at once; a change of its
// data shows in diff; and data beyond --max-hash-bytes ends in a flagged
// line and exit 3, never in a hang.
func TestAuditHugeSparseFile(t *testing.T) {
	requireRoot(t)
	a := newAuditEnv(t)
	profile := writeProfile(t, hostDir(t), "sparse", `include = ["base/libc.toml"]
command = ["/bin/sh", "-c", "truncate -s 9223372036854775807 /tmp/big && for i in 1 2 3 4; do yes x | head -c 1048576 | dd of=/tmp/big bs=1M seek=$((i * 1000000)) conv=notrunc status=none; done && echo ready && read x && printf changed | dd of=/tmp/big bs=1M seek=2000000 conv=notrunc status=none && echo done && exec sleep 600"]
[proc]
[dev]
[[tmpfs]]
target = "/tmp"
size = "16M"
`)
	cmd := exec.Command(fsviews(t), "run", profile)
	cmd.Env = a.environ()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
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
	lines := make(chan string, 2)
	go func() {
		buf := make([]byte, 64)
		var acc []byte
		for {
			n, err := out.Read(buf)
			acc = append(acc, buf[:n]...)
			for {
				i := bytes.IndexByte(acc, '\n')
				if i < 0 {
					break
				}
				lines <- string(acc[:i])
				acc = acc[i+1:]
			}
			if err != nil {
				close(lines)
				return
			}
		}
	}()
	expect := func(want string) {
		t.Helper()
		if l, ok := <-lines; !ok || l != want {
			t.Fatalf("jail said %q, want %q\n%s", l, want, stderr.String())
		}
	}
	expect("ready")

	const maxRSS = 100 << 10 // KiB
	r, rss := a.runMeasured(t, "checkpoint", "--label", "before", "sparse")
	if r.code != 0 || strings.Contains(r.stdout, "!!") {
		t.Fatalf("checkpoint: %s", r)
	}
	if rss > maxRSS {
		t.Errorf("checkpoint took %d MiB", rss>>10)
	}
	big := checkpointEntry(t, filepath.Join(a.checkpoints, "sparse", "before.json.gz"), "/tmp", "big")
	if big["size"] != float64(1<<63-1) || big["sparse"] != true || len(big["sha256"].(string)) != 64 {
		t.Errorf("/tmp/big recorded as %v", big)
	}

	// 4 MiB of data in the file, 1 MiB allowed: the flagged line, exit 3.
	r, _ = a.runMeasured(t, "checkpoint", "--label", "capped", "--max-hash-bytes", "1M", "sparse")
	if r.code != 3 || !hasLine(r.stdout, "!! hash byte limit: /tmp/big (file not hashed)") ||
		!strings.Contains(r.stderr, "--max-hash-bytes") {
		t.Errorf("checkpoint with --max-hash-bytes 1M: %s", r)
	}

	// The jail changes a few bytes, 2 TB in: diff sees it.
	stdin.Write([]byte("go\n"))
	expect("done")
	r, rss = a.runMeasured(t, "diff", "--against", "before", "sparse")
	if r.code != 1 || !hasLine(r.stdout, "Files /tmp/big differ") {
		t.Errorf("diff after the change: %s", r)
	}
	if rss > maxRSS {
		t.Errorf("diff took %d MiB", rss>>10)
	}
}

// checkpointEntry returns the stored entry name, directly below root, of
// a checkpoint file, as JSON.
func checkpointEntry(t *testing.T, path, root, name string) map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Version int `json:"version"`
		Roots   []struct {
			Name    string           `json:"name"`
			Entries []map[string]any `json:"entries"`
		} `json:"roots"`
	}
	if err := json.NewDecoder(zr).Decode(&m); err != nil {
		t.Fatal(err)
	}
	if m.Version != 2 {
		t.Errorf("checkpoint format version %d, want 2", m.Version)
	}
	for _, r := range m.Roots {
		if r.Name != root {
			continue
		}
		for _, e := range r.Entries {
			if e["name"] == name && e["parent"] == float64(0) {
				return e
			}
		}
	}
	t.Fatalf("%s has no entry %s/%s", path, root, name)
	return nil
}
