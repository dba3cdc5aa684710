package e2e

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// rootlessUser is a host user made for one test (useradd; userdel when
// the test ends) who runs fsviews without any privilege: its own uid and
// gid, no supplementary groups, no capabilities, a home of its own.
type rootlessUser struct {
	name     string
	uid, gid int
	home     string // HOME; XDG_RUNTIME_DIR is home/run
	bin      string // a copy of fsviews it can execute
	dir      string // a 0755 temporary directory for the test's files
}

func newRootlessUser(t *testing.T) *rootlessUser {
	t.Helper()
	requireRoot(t)
	requireTools(t, "useradd", "userdel")
	b := make([]byte, 4)
	rand.Read(b)
	name := "fsvt" + hex.EncodeToString(b)
	if out, err := exec.Command("useradd", "--no-create-home", "--user-group", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd %s: %v\n%s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("userdel", name).CombinedOutput(); err != nil {
			t.Errorf("userdel %s: %v\n%s", name, err, out)
		}
	})
	pw, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	u := &rootlessUser{name: name, dir: hostDir(t)}
	u.uid, _ = strconv.Atoi(pw.Uid)
	u.gid, _ = strconv.Atoi(pw.Gid)
	u.home = filepath.Join(u.dir, "home")
	for _, d := range []string{u.home, filepath.Join(u.home, "run")} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, u.uid, u.gid); err != nil {
			t.Fatal(err)
		}
	}
	// The binary under test may sit below a directory only root can
	// enter (bin/ of a checkout in /root).
	u.bin = filepath.Join(u.dir, "fsviews")
	copyFile(t, fsviews(t), u.bin)
	return u
}

// command is fsviews with args, run as the user, with the environment a
// login session gives it and a hard nofile limit of 2048 (so that a
// profile can ask for more than the user has).
func (u *rootlessUser) command(args ...string) *exec.Cmd {
	cmd := exec.Command("/bin/sh", append([]string{"-c", `ulimit -Sn 1024 && ulimit -Hn 2048 && exec "$0" "$@"`, u.bin}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(u.uid), Gid: uint32(u.gid), Groups: []uint32{}}}
	cmd.Env = []string{"HOME=" + u.home, "XDG_RUNTIME_DIR=" + filepath.Join(u.home, "run"), "PATH=/usr/bin:/bin:/usr/sbin:/sbin", "USER=" + u.name}
	cmd.Dir = u.home
	return cmd
}

func (u *rootlessUser) run(t *testing.T, args ...string) result {
	t.Helper()
	cmd := u.command(args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return wait(t, cmd, &stdout, &stderr)
}

// owner is the uid owning p on the host.
func owner(t *testing.T, p string) int {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return int(fi.Sys().(*syscall.Stat_t).Uid)
}

// An unprivileged user gets the profile's view: ro binds read-only (no
// remount), tmpfs, state dirs that are the user's on the host, device
// nodes, a loopback network, no capabilities, the daemon's exit status.
func TestRootlessView(t *testing.T) {
	u := newRootlessUser(t)
	mustWrite(t, filepath.Join(u.dir, "src/a.txt"), "alpha\n")
	rw := filepath.Join(u.dir, "rw")
	if err := os.Mkdir(rw, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chown(rw, u.uid, u.gid)
	profile := writeProfile(t, u.dir, "rootless", base+`
[[bind]]
source = "`+u.dir+`/src"
target = "/data"
[[bind]]
source = "`+rw+`"
target = "/rw"
mode = "rw"
[[state]]
target = "/var/lib/app"
[namespaces]
net = "loopback"
`)
	script := `
echo '== id =='; id -u; id -g
echo '== root =='; ls -A /
echo '== contents =='; cat /data/a.txt
echo '== ro =='; touch /data/new 2>&1; touch /usr/new 2>&1; touch /new 2>&1
mount -o remount,rw /data 2>&1; echo "remount rc=$?"
echo '== write =='; echo t > /tmp/t && echo tmp-ok; echo s > /var/lib/app/s && echo state-ok; echo w > /rw/w && echo rw-ok
echo '== dev =='; echo x > /dev/null && echo null-ok; head -c 3 /dev/zero | wc -c
echo '== net =='; ip -o link | cut -d' ' -f2,3
echo '== status =='; grep -E '^(Cap(Prm|Eff|Bnd|Amb)|NoNewPrivs)' /proc/self/status
exit 7
`
	before := mountTable(t, "self")
	r := u.run(t, "run", profile, "--", "/bin/sh", "-c", script)
	sameMounts(t, "after a rootless run", before, mountTable(t, "self"))
	if r.code != 7 {
		t.Fatalf("want the daemon's exit status 7, got %v", r)
	}
	s := sections(r.stdout)
	if got, want := fields(s["id"]), strconv.Itoa(u.uid)+" "+strconv.Itoa(u.gid); got != want {
		t.Errorf("the daemon runs as %q, want the caller %q", got, want)
	}
	if got, want := fields(s["root"]), "bin data dev etc lib lib64 proc rw sbin tmp usr var"; got != want {
		t.Errorf("view root: got %q, want %q", got, want)
	}
	if s["contents"] != "alpha\n" {
		t.Errorf("bind contents: %q", s["contents"])
	}
	for _, f := range []string{"/data/new", "/usr/new", "/new"} {
		if !strings.Contains(s["ro"], "touch: cannot touch '"+f+"': Read-only file system") {
			t.Errorf("writing %s did not fail with EROFS:\n%s", f, s["ro"])
		}
	}
	if strings.Contains(s["ro"], "remount rc=0") {
		t.Errorf("the daemon remounted a read-only bind:\n%s", s["ro"])
	}
	if got := fields(s["write"]); got != "tmp-ok state-ok rw-ok" {
		t.Errorf("writes: %q", got)
	}
	if got := fields(s["dev"]); got != "null-ok 3" {
		t.Errorf("device nodes: %q", got)
	}
	if got := fields(s["net"]); got != "lo: <LOOPBACK,UP,LOWER_UP>" {
		t.Errorf("network: %q", got)
	}
	for _, want := range []string{"CapPrm:\t0000000000000000", "CapEff:\t0000000000000000", "CapBnd:\t0000000000000000", "CapAmb:\t0000000000000000", "NoNewPrivs:\t1"} {
		if !strings.Contains(s["status"], want) {
			t.Errorf("status lacks %q:\n%s", want, s["status"])
		}
	}
	state := filepath.Join(u.home, ".local/state/fsviews/rootless")
	for _, p := range []string{state, filepath.Join(state, "var/lib/app"), filepath.Join(state, "var/lib/app/s"), filepath.Join(rw, "w")} {
		if got := owner(t, p); got != u.uid {
			t.Errorf("%s is owned by uid %d, want the caller %d", p, got, u.uid)
		}
	}
	// The record outlives the jail, stale (for diff NAME), and it and its
	// directory are the user's.
	jails := filepath.Join(u.home, "run/fsviews/jails")
	for _, p := range []string{jails, filepath.Join(jails, "rootless.json")} {
		if got := owner(t, p); got != u.uid {
			t.Errorf("%s is owned by uid %d, want %d", p, got, u.uid)
		}
	}
}

// A signal to fsviews reaches the daemon, and fsviews dies of it as the
// daemon did.
func TestRootlessSignals(t *testing.T) {
	u := newRootlessUser(t)
	profile := writeProfile(t, u.dir, "sig", base)
	cmd := u.command("run", profile, "--", "/bin/sh", "-c", "echo ready; exec sleep 1000")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the daemon did not start: %q\n%s", line, stderr.String())
	}
	// The shell of command() exec'd fsviews: its PID is the supervisor's.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || !ee.Sys().(syscall.WaitStatus).Signaled() || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
		t.Fatalf("want fsviews killed by SIGTERM, got %v\n%s", err, stderr.String())
	}
}

// The daemon cannot undo its view: no umount, and a user namespace of
// its own (which it may create) gets the view's mounts locked, so root
// there cannot remount them writable or unmount them; /proc/1/root does
// not lead out.
func TestRootlessCannotUndoTheView(t *testing.T) {
	u := newRootlessUser(t)
	mustWrite(t, filepath.Join(u.dir, "src/a.txt"), "alpha\n")
	canary := canary(t)
	mustWrite(t, filepath.Join(u.dir, "canary"), canary+"\n")
	// preset = "none": the kernel's mount locks are under test here, not
	// the default filter, which would refuse the nested user namespace.
	profile := writeProfile(t, u.dir, "undo", base+`
[[bind]]
source = "`+u.dir+`/src"
target = "/data"
[seccomp]
preset = "none"
`)
	script := `
echo '== umount =='; umount /data 2>&1; echo "rc=$?"; umount -l /usr 2>&1; echo "rc=$?"
echo '== nested =='; unshare -Urm /bin/sh -c '
  echo nested-root $(id -u)
  mount -o remount,rw /data 2>&1; echo "remount rc=$?"
  mount -o remount,bind,rw /data 2>&1; echo "bind-remount rc=$?"
  umount /data 2>&1; echo "umount rc=$?"
  touch /data/x 2>&1
  ls /data'
echo '== proc1 =='; ls -A /proc/1/root/ 2>&1; cat /proc/1/root` + u.dir + `/canary 2>&1; cat ` + u.dir + `/canary 2>&1; true
`
	r := u.run(t, "run", profile, "--", "/bin/sh", "-c", script)
	if r.code != 0 {
		t.Fatalf("run failed: %v", r)
	}
	s := sections(r.stdout)
	if strings.Contains(s["umount"], "rc=0") {
		t.Errorf("the daemon unmounted part of its view:\n%s", s["umount"])
	}
	if !strings.Contains(s["nested"], "nested-root 0") {
		t.Fatalf("the daemon could not make a user namespace, so this test proves nothing:\n%s\n%s", s["nested"], r.stderr)
	}
	for _, what := range []string{"remount rc=0", "bind-remount rc=0", "umount rc=0"} {
		if strings.Contains(s["nested"], what) {
			t.Errorf("root of a nested user namespace undid the view (%s):\n%s", what, s["nested"])
		}
	}
	if !strings.Contains(s["nested"], "touch: cannot touch '/data/x': Read-only file system") || !strings.Contains(s["nested"], "a.txt") {
		t.Errorf("the nested namespace does not see /data read-only with its content:\n%s", s["nested"])
	}
	if strings.Contains(r.stdout, canary) {
		t.Errorf("a host file outside the profile was read from the jail:\n%s", s["proc1"])
	}
	if _, err := os.Stat(filepath.Join(u.dir, "src/x")); err == nil {
		t.Error("the jail wrote into a read-only bind's host directory")
	}
}

// Whatever a rootless jail cannot do is an error of check and of run,
// before anything is built, saying why and what to do.
func TestRootlessBadInputAtCheck(t *testing.T) {
	u := newRootlessUser(t)
	secret := filepath.Join(u.dir, "secret")
	mustWrite(t, filepath.Join(secret, "key"), "k\n")
	// The caller can see the file but not read it.
	os.Chmod(filepath.Join(secret, "key"), 0o600)
	for _, tc := range []struct {
		name, top, text, want string
	}{
		{"unreadable", "", "[[bind]]\nsource = \"" + secret + "/key\"\ntarget = \"/key\"\n", "cannot read " + secret + "/key"},
		{"user", "", "[security]\nuser = \"root\"\n", `user "root" (uid 0) is not you`},
		{"sysadmin", "", "[security]\ncapabilities = [\"CAP_SYS_ADMIN\"]\n", "CAP_SYS_ADMIN in a rootless jail would let the daemon unmount"},
		{"chown", "", "[security]\ncapabilities = [\"CAP_CHOWN\"]\n", "CAP_CHOWN has no meaning in a rootless jail"},
		{"limit", "", "[limits]\nnofile = { hard = 4096 }\n", "hard limit 4096 is above your own hard limit 2048"},
		{"stateroot", "state_root = \"/var/lib/fsviews-rootless-test\"\n", "[[state]]\ntarget = \"/s\"\n", "cannot create state dirs under /var/lib/fsviews-rootless-test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			profile := writeProfile(t, u.dir, tc.name, tc.top+base+tc.text)
			r := u.run(t, "check", profile)
			if r.code != 1 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("check: want exit 1 and %q, got %v", tc.want, r)
			}
			before := mountTable(t, "self")
			r = u.run(t, "run", profile, "--", "/bin/true")
			if r.code != 125 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "nothing was changed") {
				t.Errorf("run: want exit 125, %q and \"nothing was changed\", got %v", tc.want, r)
			}
			sameMounts(t, "after a refused rootless run", before, mountTable(t, "self"))
			for _, p := range []string{filepath.Join(u.home, ".local"), filepath.Join(u.home, "run/fsviews"), "/var/lib/fsviews-rootless-test"} {
				if _, err := os.Stat(p); err == nil {
					t.Errorf("a refused run created %s", p)
				}
			}
		})
	}
	// The same profile passes as root, which can do all of it.
	r := run(t, "check", writeProfile(t, u.dir, "asroot", base+"[security]\nuser = \"root\"\n"))
	if r.code != 0 {
		t.Errorf("check as root: %v", r)
	}
}

// fsviews running with an effective uid other than its real one (a
// setuid installation) refuses to start.
func TestSetuidRefused(t *testing.T) {
	u := newRootlessUser(t)
	requireTools(t, "setpriv")
	profile := writeProfile(t, u.dir, "suid", base)
	before := mountTable(t, "self")
	r := runShell(t, []string{"setpriv", "--ruid", strconv.Itoa(u.uid), "--rgid", strconv.Itoa(u.gid), "--clear-groups", u.bin, "run", "--state-dir", filepath.Join(u.dir, "state"), profile, "--", "/bin/true"})
	if r.code != 125 || !strings.Contains(r.stderr, "running setuid or setgid") || !strings.Contains(r.stderr, "not supported") {
		t.Errorf("want exit 125 and a refusal, got %v", r)
	}
	sameMounts(t, "after a setuid run", before, mountTable(t, "self"))
	if _, err := os.Stat(filepath.Join(u.dir, "state")); err == nil {
		t.Error("a refused setuid run created its state dir")
	}
}

// Root asks for a rootless jail with --userns: root is mapped to itself,
// and its daemon holds no capability over the host.
func TestUsernsFlagAsRoot(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	profile := writeProfile(t, h, "userns", base)
	r := run(t, "run", "--userns", "--state-dir", filepath.Join(h, "state"), profile, "--", "/bin/sh", "-c",
		"echo '== map =='; cat /proc/self/uid_map; echo '== plan =='; grep CapEff /proc/self/status; touch /usr/x 2>&1")
	if r.code == 125 {
		t.Fatalf("run --userns failed: %v", r)
	}
	s := sections(r.stdout)
	if got := fields(s["map"]); got != "0 0 1" {
		t.Errorf("uid_map: %q", got)
	}
	if !strings.Contains(s["plan"], "CapEff:\t0000000000000000") || !strings.Contains(s["plan"], "Read-only file system") {
		t.Errorf("the daemon: %s", s["plan"])
	}
	plan := run(t, "plan", "--userns", profile)
	if !strings.Contains(plan.stdout, "# namespaces: mnt, cgroup, pid, user") {
		t.Errorf("plan --userns does not show the user namespace:\n%s", plan.stdout)
	}
}

// A capability that acts on the jail's own network namespace is kept for
// the daemon, and nothing else.
func TestRootlessNetCapability(t *testing.T) {
	u := newRootlessUser(t)
	profile := writeProfile(t, u.dir, "netcap", base+`
[namespaces]
net = "loopback"
[security]
capabilities = ["CAP_NET_BIND_SERVICE"]
`)
	r := u.run(t, "run", profile, "--", "/bin/sh", "-c", `grep -E '^Cap(Prm|Eff|Bnd|Amb)' /proc/self/status`)
	if r.code != 0 {
		t.Fatalf("run: %v", r)
	}
	for _, set := range []string{"Prm", "Eff", "Bnd", "Amb"} {
		if want := "Cap" + set + ":\t0000000000000400"; !strings.Contains(r.stdout, want) {
			t.Errorf("want %q (CAP_NET_BIND_SERVICE only):\n%s", want, r.stdout)
		}
	}
}

// The bundled decoder profile (seccomp, Landlock, no network) runs as
// nobody, which a rootless jail cannot switch to: check says so, and a
// profile that includes it and keeps the caller's user works over stdin
// and stdout.
func TestRootlessDecoder(t *testing.T) {
	u := newRootlessUser(t)
	requireTools(t, "gzip")
	if r := u.run(t, "check", "decoder"); r.code != 1 || !strings.Contains(r.stderr, `security.user: user "nobody" (uid 65534) is not you`) {
		t.Errorf("check decoder as a user: %v", r)
	}
	profile := writeProfile(t, u.dir, "mydecoder", "include = [\"decoder.toml\"]\n[security]\nuser = \"\"\ngroup = \"\"\n")
	var packed bytes.Buffer
	gz := exec.Command("gzip", "-c")
	gz.Stdin, gz.Stdout = strings.NewReader("untrusted data\n"), &packed
	if err := gz.Run(); err != nil {
		t.Fatal(err)
	}
	cmd := u.command("run", profile)
	cmd.Stdin = &packed
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := wait(t, cmd, &stdout, &stderr)
	if r.code != 0 || r.stdout != "untrusted data\n" {
		t.Errorf("want the data decoded, got %v", r)
	}
}
