package e2e

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startJail starts cmd, whose jail prints "ready" once it runs and then
// waits for a line on stdin; it returns once "ready" came.
func startJail(t *testing.T, cmd *exec.Cmd) (stdin io.WriteCloser, done func() result) {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	var rest bytes.Buffer
	go func() {
		br := bufio.NewReader(out)
		line, _ := br.ReadString('\n')
		ready <- line
		io.Copy(&rest, br)
	}()
	select {
	case line := <-ready:
		if strings.TrimSpace(line) != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("jail did not start: first line %q, stderr:\n%s", line, stderr.String())
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("jail did not say ready in 20s; stderr:\n%s", stderr.String())
	}
	return stdin, func() result {
		stdin.Close()
		err := cmd.Wait()
		r := result{stdout: rest.String(), stderr: stderr.String()}
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		}
		return r
	}
}

const readyThenWait = `echo ready; read line; echo bye`

// The host's mount table is the same before, during and after a run.
func TestHostMountTableUnchanged(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	// In place, so that the process fsviews started is the jail.
	profile := writeProfile(t, h, "host", base+`
[[bind]]
source = "`+h+`"
target = "/h"
[[state]]
target = "/s"
[namespaces]
pid = false
`)
	before := mountTable(t, "self")
	cmd := exec.Command(fsviews(t), "run", "--state-dir", filepath.Join(h, "state"), profile, "--", "/bin/sh", "-c", readyThenWait)
	_, done := startJail(t, cmd)
	during := mountTable(t, "self")
	jail := mountTable(t, strconv.Itoa(cmd.Process.Pid))
	r := done()
	after := mountTable(t, "self")
	if r.code != 0 {
		t.Fatalf("jail failed: %v", r)
	}
	sameMounts(t, "during the run", before, during)
	sameMounts(t, "after the run", before, after)
	if jail == during || !strings.Contains(jail, " / / ro,") {
		t.Errorf("the jail's own mount table should be its view:\n%s", jail)
	}
}

// Even when "/" is rshared — systemd's default — nothing the jail mounts
// propagates to the namespace fsviews was started from. The test makes its
// own private namespace, shares it there, and watches that namespace.
func TestNoPropagationFromSharedRoot(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	profile := writeProfile(t, h, "shared", base+`
[[bind]]
source = "`+h+`"
target = "/h"
`)
	script := `mount --make-rshared / || exit 9
cat /proc/self/mountinfo > "$1/before"
"$2" run "$3" -- /bin/sh -c "$4"
cat /proc/self/mountinfo > "$1/after"`
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", h, fsviews(t), profile, readyThenWait)
	_, done := startJail(t, cmd)
	during := mountTable(t, strconv.Itoa(cmd.Process.Pid))
	r := done()
	if r.code != 0 {
		t.Fatalf("run failed: %v", r)
	}
	before, err := os.ReadFile(filepath.Join(h, "before"))
	if err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(filepath.Join(h, "after"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(before), " shared:") {
		t.Fatalf("test setup: / is not shared:\n%s", before)
	}
	sameMounts(t, "during the run", string(before), during)
	sameMounts(t, "after the run", string(before), string(after))
}

// A canary on the host outside the view stays out of reach: by path,
// through /proc/1/root, through the parent's /proc/PID/root and cwd, and
// through a descriptor the caller leaked without O_CLOEXEC.
func TestCanaryUnreachable(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	canaryDir := filepath.Join(h, "secret")
	mustWrite(t, filepath.Join(canaryDir, "canary.txt"), "CANARY\n")
	profile := writeProfile(t, h, "canary", base)
	leak, err := os.Open(canaryDir)
	if err != nil {
		t.Fatal(err)
	}
	defer leak.Close()
	script := `c=` + canaryDir + `/canary.txt
for p in "$c" /proc/1/root$c /proc/1/cwd$c /proc/$PPID/root$c /proc/self/fd/3/canary.txt /proc/$$/fd/3/canary.txt; do
  cat "$p" 2>/dev/null && echo "LEAK via $p"
done
ls -l /proc/$$/fd/ | grep -q secret && echo "LEAK: fd to the canary dir is open"
echo done`
	cmd := exec.Command(fsviews(t), "run", profile, "--", "/bin/sh", "-c", script)
	cmd.ExtraFiles = []*os.File{leak} // fd 3 in the child, without O_CLOEXEC
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := wait(t, cmd, &stdout, &stderr)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "done" {
		t.Errorf("the canary was reachable or the run failed: %v", r)
	}
}

// A symlink the jail plants in its state dir cannot redirect what the next
// run creates or mounts outside the view.
func TestPlantedSymlinkInStateCannotRedirect(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	outside := filepath.Join(h, "outside")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(h, "state")
	first := writeProfile(t, h, "planted", base+`
[[state]]
target = "/data"
`)
	r := run(t, "run", "--state-dir", state, first, "--", "/bin/sh", "-c", "ln -s "+outside+" /data/link && ln -s / /data/rootlink")
	if r.code != 0 {
		t.Fatalf("planting failed: %v", r)
	}
	if target, err := os.Readlink(filepath.Join(state, "planted/data/link")); err != nil || target != outside {
		t.Fatalf("the planted link is not on the host: %q %v", target, err)
	}
	for _, tc := range []struct{ name, extra, want string }{
		{"file through link", "[[file]]\ntarget = \"/data/link/planted\"\ncontent = \"x\"\n", "symlink"},
		{"tmpfs through link", "[[tmpfs]]\ntarget = \"/data/link/t\"\n", "symlink"},
		{"tmpfs onto link", "[[tmpfs]]\ntarget = \"/data/link\"\n", "is a symlink inside the view"},
		{"bind onto link to /", "[[bind]]\nsource = \"" + h + "\"\ntarget = \"/data/rootlink\"\n", "is a symlink inside the view"},
		{"dir through link", "[[dir]]\ntarget = \"/data/link/d\"\n", "symlink"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			second := writeProfile(t, h, "planted", base+"[[state]]\ntarget = \"/data\"\n"+tc.extra)
			r := run(t, "run", "--state-dir", state, second, "--", "/bin/true")
			if r.code != 125 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("want exit 125 and %q, got %v", tc.want, r)
			}
			entries, _ := os.ReadDir(outside)
			if len(entries) != 0 {
				t.Errorf("fsviews wrote outside the view, into %s: %v", outside, entries)
			}
		})
	}
}

// A FIFO the jail leaves in its state dir where the next run writes a
// [[file]] or mounts a file makes that run fail or succeed, never hang.
func TestPlantedFIFOInStateDoesNotHang(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	state := filepath.Join(h, "state")
	first := writeProfile(t, h, "fifo", base+"[[state]]\ntarget = \"/data\"\n")
	if r := run(t, "run", "--state-dir", state, first, "--", "/bin/sh", "-c", "mkfifo /data/file /data/mnt"); r.code != 0 {
		t.Fatalf("planting failed: %v", r)
	}
	for _, tc := range []struct{ name, extra, want string }{
		{"file over fifo", "[[file]]\ntarget = \"/data/file\"\ncontent = \"x\"\n", "not a regular file"},
		{"bind over fifo", "[[bind]]\nsource = \"/etc/hostname\"\ntarget = \"/data/mnt\"\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			second := writeProfile(t, h, "fifo", base+"[[state]]\ntarget = \"/data\"\n"+tc.extra)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, fsviews(t), "run", "--state-dir", state, second, "--", "/bin/true")
			out, err := cmd.CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("run hung on the planted FIFO: %s", out)
			}
			if tc.want == "" && err != nil {
				t.Errorf("a file bind over a FIFO failed: %v\n%s", err, out)
			}
			if tc.want != "" && (err == nil || !strings.Contains(string(out), tc.want)) {
				t.Errorf("want failure with %q, got %v\n%s", tc.want, err, out)
			}
		})
	}
}
