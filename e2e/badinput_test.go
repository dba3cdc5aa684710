package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Every bad input is an error that names the file, line and key and says
// what to do, from both check and run; run changes nothing on the host.
func TestBadInputChangesNothing(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	mustWrite(t, filepath.Join(h, "cycle-b.toml"), "include = [\"cycle-a.toml\"]\n")
	mustWrite(t, filepath.Join(h, "cycle-a.toml"), "include = [\"cycle-b.toml\"]\ncommand = [\"/bin/true\"]\n")
	state := "[[state]]\ntarget = \"/var/lib/app\"\n"
	for _, tc := range []struct {
		name, profile string
		want          []string // substrings of stderr, the first with file:line
	}{
		{"syntax", "command = [\"/bin/true\"\n" + state, []string{"bad.toml:2:", "TOML syntax"}},
		{"unknown key", "command = [\"/bin/true\"]\n" + state + "[[bind]]\nsoruce = \"/usr\"\n", []string{"bad.toml:5: [[bind]] #1 soruce:", `did you mean "source"`}},
		{"relative source", "command = [\"/bin/true\"]\n" + state + "[[bind]]\nsource = \"usr\"\n", []string{"bad.toml:5: [[bind]] #1 source:", `relative path "usr"`, `"/usr"`}},
		{"relative target", "command = [\"/bin/true\"]\n" + state + "[[tmpfs]]\ntarget = \"tmp\"\n", []string{"bad.toml:5: [[tmpfs]] #1 target:", "view paths are absolute"}},
		{"dotdot target", "command = [\"/bin/true\"]\n" + state + "[[bind]]\nsource = \"/usr\"\ntarget = \"/a/../../b\"\n", []string{"bad.toml:6: [[bind]] #1 target:", `contains ".."`}},
		{"duplicate target", "command = [\"/bin/true\"]\n" + state + "[[tmpfs]]\ntarget = \"/x\"\n[[dir]]\ntarget = \"/x\"\n", []string{"bad.toml:7: [[dir]] target:", "already used by [[tmpfs]] at", "bad.toml:5"}},
		{"under symlink", "command = [\"/bin/true\"]\n" + state + "[[symlink]]\ntarget = \"/bin\"\nto = \"usr/bin\"\n[[tmpfs]]\ntarget = \"/bin/x\"\n", []string{"bad.toml:8: [[tmpfs]] target:", "makes a symlink"}},
		{"missing source", "command = [\"/bin/true\"]\n" + state + "[[bind]]\nsource = \"/nonexistent/fsviews\"\n", []string{"bad.toml:5: [[bind]] source:", "no such file", "optional = true"}},
		{"bad mode", "command = [\"/bin/true\"]\n" + state + "[[dir]]\ntarget = \"/d\"\nmode = \"0899\"\n", []string{"bad.toml:6: [[dir]] #1 mode:", `bad mode "0899"`}},
		{"integer mode", "command = [\"/bin/true\"]\n" + state + "[[dir]]\ntarget = \"/d\"\nmode = 755\n", []string{"bad.toml:6: [[dir]] #1 mode:", `mode = "0755"`}},
		{"bad size", "command = [\"/bin/true\"]\n" + state + "[[tmpfs]]\ntarget = \"/t\"\nsize = \"12X\"\n", []string{"bad.toml:6: [[tmpfs]] #1 size:", `bad size "12X"`}},
		{"bad bind mode", "command = [\"/bin/true\"]\n" + state + "[[bind]]\nsource = \"/usr\"\nmode = \"wr\"\n", []string{"bad.toml:6: [[bind]] #1 mode:", `"ro"`}},
		{"unknown user", "command = [\"/bin/true\"]\n" + state + "[security]\nuser = \"no-such-user-fsviews\"\n", []string{"bad.toml:5: [security] user:", "unknown user", "useradd"}},
		{"unknown group", "command = [\"/bin/true\"]\n" + state + "[security]\nuser = \"nobody\"\ngroup = \"no-such-group-fsviews\"\n", []string{"bad.toml:6: [security] group:", "unknown group"}},
		{"unknown capability", "command = [\"/bin/true\"]\n" + state + "[security]\ncapabilities = [\"net_bind_servce\"]\n", []string{"bad.toml:5: [security] capabilities:", `did you mean "CAP_NET_BIND_SERVICE"`}},
		{"include cycle", "include = [\"cycle-a.toml\"]\n" + state, []string{"include cycle", "cycle-a.toml -> ", "cycle-b.toml -> "}},
		{"missing include", "include = [\"nope.toml\"]\ncommand = [\"/bin/true\"]\n" + state, []string{"bad.toml:1: include:", "nope.toml"}},
		{"hostname without uts", "command = [\"/bin/true\"]\nhostname = \"jail\"\n" + state, []string{"bad.toml:2: hostname:", "uts = true"}},
		{"command missing", state, []string{"has no command", "command = ["}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			profile := writeProfile(t, h, "bad", tc.profile)
			stateDir := filepath.Join(h, "state-"+strings.ReplaceAll(tc.name, " ", "-"))
			check := run(t, "check", profile)
			if tc.name != "command missing" {
				if check.code != 1 {
					t.Errorf("check: want exit 1, got %v", check)
				}
				for _, w := range tc.want {
					if !strings.Contains(check.stderr, w) {
						t.Errorf("check: stderr lacks %q:\n%s", w, check.stderr)
					}
				}
			}
			before := mountTable(t, "self")
			r := run(t, "run", "--state-dir", stateDir, profile)
			if r.code != 125 {
				t.Errorf("run: want exit 125, got %v", r)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("run: stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			sameMounts(t, "after a bad run", before, mountTable(t, "self"))
			if _, err := os.Stat(stateDir); !os.IsNotExist(err) {
				t.Errorf("a bad run created %s (%v)", stateDir, err)
			}
		})
	}
}

// Without root, run builds a rootless jail (rootless_test.go), and a
// state dir it cannot create is refused before anything changes.
func TestNotRootSaysSo(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	profile := writeProfile(t, h, "unpriv", base+"[[state]]\ntarget = \"/s\"\n")
	stateDir := filepath.Join(h, "state")
	bin := filepath.Join(h, "fsviews")
	copyFile(t, fsviews(t), bin)
	before := mountTable(t, "self")
	cmd := exec.Command(bin, "run", "--state-dir", stateDir, profile, "--", "/bin/true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 125 {
		t.Fatalf("want exit 125, got %v: %s", err, out)
	}
	if !strings.Contains(string(out), "--state-dir: uid 65534 cannot create state dirs under "+stateDir) {
		t.Errorf("message does not say the state dir cannot be made: %s", out)
	}
	sameMounts(t, "after an unprivileged run", before, mountTable(t, "self"))
	if _, err := os.Stat(stateDir); !os.IsNotExist(err) {
		t.Errorf("an unprivileged run created %s", stateDir)
	}
}

// A command missing from the view says whether the host has it.
func TestCommandMissingFromView(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	mustWrite(t, filepath.Join(h, "tool/run.sh"), "#!/bin/sh\necho hi\n")
	os.Chmod(filepath.Join(h, "tool/run.sh"), 0o755)
	mustWrite(t, filepath.Join(h, "tool/data.txt"), "not executable\n")
	profile := writeProfile(t, h, "nocmd", base+"[[bind]]\nsource = \""+h+"/tool\"\ntarget = \"/opt/tool\"\n")
	for _, tc := range []struct {
		cmd  string
		code int
		want string
	}{
		{h + "/tool/run.sh", 127, "not found inside the view, but it exists on the host"},
		{"/no/such/fsviews-cmd", 127, "not found inside the view nor on the host"},
		{"/opt/tool/data.txt", 126, "not executable"},
		{"fsviews-no-such-cmd", 127, "not found"},
		{"/opt/tool/run.sh", 0, ""},
	} {
		r := run(t, "run", profile, "--", tc.cmd)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: want exit %d and %q, got %v", tc.cmd, tc.code, tc.want, r)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// seccomp-log --exe for a program that has no records, while the log
// has records of others, says so and names them: "no records on stdin"
// sent admins looking for a logging problem that was not there.
func TestSeccompLogNamesOtherPrograms(t *testing.T) {
	log := `audit: type=1326 audit(1.2:3): auid=0 uid=0 gid=0 ses=1 pid=5 comm="x" exe="/usr/bin/x" sig=0 arch=c000003e syscall=165 compat=0 ip=0x1 code=0x7ffc0000` + "\n"
	cmd := exec.Command(fsviews(t), "seccomp-log", "--exe", "/usr/sbin/nginx")
	cmd.Stdin = strings.NewReader(log)
	out, err := cmd.CombinedOutput()
	want := "# no seccomp records for /usr/sbin/nginx on stdin; there are records for other programs: /usr/bin/x (pid 5)"
	if err != nil || !strings.Contains(string(out), want) {
		t.Errorf("seccomp-log --exe: %v\n%s\nwant %q", err, out, want)
	}
	cmd = exec.Command(fsviews(t), "seccomp-log")
	cmd.Stdin = strings.NewReader("nothing here\n")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "# no seccomp records (type=1326) on stdin") {
		t.Errorf("seccomp-log on no records: %v\n%s", err, out)
	}
}

// The hidden stages are not commands: run by hand they end with the
// stage's status and say so, and the command line parses nothing of
// theirs (their arguments are descriptors).
func TestHiddenStagesByHand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"__jail", "x"}, 125, `fsviews __jail: internal stage, not for use by hand (bad argument "x")`},
		{[]string{"__enter"}, 125, "fsviews __enter: internal stage, not for use by hand"},
		{[]string{"learn", "_view"}, 1, "fsviews learn: bug: invalid argument: the view stage takes one argument"},
		{[]string{"learn", "_exec"}, 127, "fsviews learn: bug: invalid argument: the exec stage takes a workdir"},
	} {
		r := run(t, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("fsviews %s: want exit %d and %q, got %v", strings.Join(tc.args, " "), tc.code, tc.want, r)
		}
	}
}
