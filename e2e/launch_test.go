package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The daemon keeps the RLIMIT_NOFILE its caller gave fsviews, in every
// process model. The Go runtime raises its own soft limit at start (to the
// hard limit - 1) and restores it only for what it starts itself; fsviews'
// init forks the daemon with raw system calls, so it restores it for the
// daemon on its own (launch.restoreNofile). Without that the daemon got
// 4095 instead of 321.
func TestDaemonKeepsCallersNofile(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	models := map[string]string{
		"inplace":  "[namespaces]\npid = false\n",
		"init":     "",
		"as-pid-1": "[namespaces]\nas_pid_1 = true\n",
	}
	for name, extra := range models {
		t.Run(name, func(t *testing.T) {
			profile := writeProfile(t, h, "nofile-"+name, base+extra)
			r := runShell(t, []string{"/usr/bin/prlimit", "--nofile=321:4096", fsviews(t), "run", "--state-dir", filepath.Join(h, "state"),
				profile, "--", "/bin/sh", "-c", "echo $(ulimit -Sn) $(ulimit -Hn)"})
			if r.code != 0 || r.stdout != "321 4096\n" {
				t.Errorf("%s: want the caller's nofile 321 4096, got %v", name, r)
			}
		})
	}
}

// The daemon's process is forked by fsviews' init and execs the command
// there: a command that exists in the view but cannot be executed ends
// the run with 126 and the kernel's reason, the failure the child reports
// through its close-on-exec pipe, and nothing is left behind.
func TestInitReportsTheDaemonsExecFailure(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	bin := filepath.Join(h, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// Executable, but neither ELF nor a script: execve says ENOEXEC.
	if err := os.WriteFile(filepath.Join(bin, "garbage"), []byte("\x00\x01\x02\x03 not a program\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	profile := writeProfile(t, h, "badexec", base+"[[bind]]\nsource = \""+bin+"\"\ntarget = \"/opt/bin\"\n")
	before := mountTable(t, "self")
	r := run(t, "run", "--state-dir", filepath.Join(h, "state"), profile, "--", "/opt/bin/garbage")
	want := "exec /opt/bin/garbage inside the view: exec format error"
	if r.code != 126 || !strings.Contains(r.stderr, want) {
		t.Errorf("want exit 126 and %q, got %v", want, r)
	}
	sameMounts(t, "badexec", before, mountTable(t, "self"))
	if out, err := exec.Command("pgrep", "-f", "/opt/bin/garbage").Output(); err == nil {
		t.Errorf("a process of the failed jail is left: %s", out)
	}
}
