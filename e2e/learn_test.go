package e2e

// fsviews learn, for real (issue #18): each daemon is learned while its
// real client exercises it, then runs under the learned profile and
// passes the same client test as its library profile. Learning leaves the
// host as it was (mount table, and every file below the places the
// daemon used, hashed before and after), and a host file the daemon never
// touched is not in the learned view.

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startLearn runs `fsviews learn --out OUT -- COMMAND...` in the background,
// as startDaemon runs `fsviews run`.
func startLearn(t *testing.T, out string, flags []string, command ...string) *daemon {
	t.Helper()
	args := append(append(bundled(append([]string{"learn", "--out", out}, flags...)...), "--"), command...)
	return startBackground(t, "learn "+filepath.Base(command[0]), args)
}

// wantInProfile fails for each piece the learned profile lacks.
func wantInProfile(t *testing.T, profile string, pieces ...string) {
	t.Helper()
	for _, p := range pieces {
		if !strings.Contains(profile, p) {
			t.Errorf("the learned profile lacks %q", p)
		}
	}
}

// finishLearn interrupts learn (which stops the daemon), and fails unless
// it wrote a profile that passed check --strict.
func finishLearn(t *testing.T, d *daemon, out string) string {
	t.Helper()
	log := d.stop(syscall.SIGINT)
	if d.err != nil || !strings.Contains(log, ": ok (") {
		t.Fatalf("fsviews learn: %v\n%s", d.err, log)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("learned %s:\n%s", out, b)
	return string(b)
}

// treeSum hashes every entry below the given host paths: path, type,
// mode, owner, size, link target and file content. A missing path hashes
// as missing.
func treeSum(t *testing.T, roots ...string) string {
	t.Helper()
	h := sha256.New()
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				fmt.Fprintf(h, "%s: %v\n", p, err)
				return nil
			}
			fi, err := os.Lstat(p)
			if err != nil {
				return err
			}
			st := fi.Sys().(*syscall.Stat_t)
			fmt.Fprintf(h, "%s %v %d:%d %d %d\n", p, fi.Mode(), st.Uid, st.Gid, fi.Size(), st.Mtim.Nano())
			switch {
			case fi.Mode()&fs.ModeSymlink != 0:
				l, _ := os.Readlink(p)
				fmt.Fprintln(h, l)
			case fi.Mode().IsRegular():
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				h.Write(b)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// hostUnchanged takes the host's mount table and a hash of roots now, and
// returns a check that they are the same later. Roots are the places the
// daemon reads and writes on the host, and none that other tests running
// at the same time change (/etc/passwd, the registry in /run/fsviews).
func hostUnchanged(t *testing.T, roots ...string) func() {
	t.Helper()
	mounts, sum := mountTable(t, "self"), treeSum(t, roots...)
	return func() {
		t.Helper()
		sameMounts(t, "after learning", mounts, mountTable(t, "self"))
		if got := treeSum(t, roots...); got != sum {
			t.Errorf("learning changed the host below %s", strings.Join(roots, ", "))
		}
	}
}

// untouched are host files none of the learned daemons opens, in
// directories they do use: absent from every learned view.
var untouched = []string{"/etc/debian_version", "/etc/issue", "/etc/shadow", "/root", "/var/lib/fsviews"}

func TestLearnRedis(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	requireProfile(t, "redis")
	requireTools(t, "redis-cli")
	dir, state, port := hostDir(t), hostDir(t), freePort(t)
	cmd := append(libraryCommand(t, "redis"), "--port", strconv.Itoa(port))
	cli := []string{"redis-cli", "-h", "127.0.0.1", "-p", strconv.Itoa(port)}
	out := filepath.Join(dir, "redis-learned.toml")
	same := hostUnchanged(t, "/etc/redis", "/var/lib/redis", "/run/redis")

	l := startLearn(t, out, []string{"--user", "redis"}, cmd...)
	l.waitTCP(port)
	if got := strings.TrimSpace(client(t, "", append(cli, "SET", "fsviews:learned", "while learning")...)); got != "OK" {
		t.Errorf("SET while learning: %q", got)
	}
	profile := finishLearn(t, l, out)
	same()
	wantInProfile(t, profile, `user         = "redis"`, "[[state]]\ntarget = \"/var/lib/redis\"", `source = "/etc/redis"`, `net = "host"`, `include = ["base/libc.toml"]`)

	// The library's client test, under the learned profile.
	serveRedis(t, state, out, "redis-learned", port, nil, func(d *daemon) { d.runsAs("redis-server", "redis") })
	confined(t, out, state, append(untouched, canary(t), "/etc/nginx", "/var/lib/postgresql")...)
}

func TestLearnNginx(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	requireProfile(t, "nginx")
	requireTools(t, "curl")
	dir, state, port := hostDir(t), hostDir(t), freePort(t)
	conf := filepath.Join(dir, "conf", "nginx.conf")
	mustWrite(t, conf, nginxConf(port))
	out := filepath.Join(dir, "nginx-learned.toml")
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	same := hostUnchanged(t, filepath.Dir(conf), "/etc/nginx", "/var/lib/nginx", "/var/log/nginx", "/var/www", "/run/nginx.pid")

	l := startLearn(t, out, []string{"--stop-signal", "QUIT"}, "/usr/sbin/nginx", "-c", conf, "-g", "daemon off;")
	l.waitTCP(port)
	client(t, "", "curl", "-sSf", "-o", "/dev/null", url)
	client(t, "", "curl", "-sS", "-o", "/dev/null", url+"no-such-page")
	profile := finishLearn(t, l, out)
	same()
	wantInProfile(t, profile, `target = "/var/log/nginx"`, `target = "/var/lib/nginx"`, `source = "/var/www"`, `"SETUID"`, `"SETGID"`)

	serveNginx(t, state, out, "nginx-learned", port, func(d *daemon) { d.runsAs("nginx", "www-data") })
	confined(t, out, state, append(untouched, canary(t), "/etc/redis", "/var/lib/redis")...)
}

func TestLearnMosquitto(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	requireProfile(t, "mosquitto")
	requireTools(t, "mosquitto_pub", "mosquitto_sub")
	dir, state, port := hostDir(t), hostDir(t), freePort(t)
	conf := filepath.Join(dir, "conf", "mosquitto.conf")
	// No pid_file: mosquitto writes it after dropping to its user, into
	// /run/mosquitto, which systemd makes (RuntimeDirectory), not the
	// package; the host may lack it, and so would the learning view.
	mustWrite(t, conf, mosquittoConf(port))
	out := filepath.Join(dir, "mosquitto-learned.toml")
	p := strconv.Itoa(port)
	same := hostUnchanged(t, filepath.Dir(conf), "/etc/mosquitto", "/var/lib/mosquitto", "/var/log/mosquitto", "/run/mosquitto")

	l := startLearn(t, out, nil, "/usr/sbin/mosquitto", "-c", conf)
	l.waitTCP(port)
	client(t, "", "mosquitto_pub", "-h", "127.0.0.1", "-p", p, "-q", "1", "-r", "-t", "fsviews/learn", "-m", "while learning")
	profile := finishLearn(t, l, out)
	same()
	wantInProfile(t, profile, `user         = "mosquitto"`, `target = "/var/lib/mosquitto"`, `target = "/var/log/mosquitto"`)

	serveMosquitto(t, state, out, "mosquitto-learned", port, func(d *daemon) { d.runsAs("mosquitto", "mosquitto") })
	confined(t, out, state, append(untouched, canary(t), "/etc/nginx", "/var/lib/redis")...)
}

// busybox httpd has no library profile: learning is how it gets one.
func TestLearnBusyboxHTTPD(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	requireTools(t, "busybox", "curl")
	dir, state, port := hostDir(t), hostDir(t), freePort(t)
	site := filepath.Join(hostDir(t), "www")
	mustWrite(t, filepath.Join(site, "index.html"), "learned and served\n")
	mustWrite(t, filepath.Join(site, "later.txt"), "not fetched while learning\n")
	out := filepath.Join(dir, "httpd-learned.toml")
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	same := hostUnchanged(t, site, "/etc/httpd.conf")
	// Reading a file whose access time is older than its change time
	// writes a new one on a relatime mount: learning must not, even
	// for the files the daemon reads.
	index, old := filepath.Join(site, "index.html"), time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(index, old, time.Time{}); err != nil {
		t.Fatal(err)
	}

	l := startLearn(t, out, nil, "busybox", "httpd", "-f", "-p", "127.0.0.1:"+strconv.Itoa(port), "-h", site)
	l.waitTCP(port)
	if got := client(t, "", "curl", "-sSf", url+"index.html"); got != "learned and served\n" {
		t.Errorf("GET while learning: %q", got)
	}
	profile := finishLearn(t, l, out)
	// (before same(), which reads the file)
	var st syscall.Stat_t
	if err := syscall.Stat(index, &st); err != nil || time.Unix(st.Atim.Unix()).UTC() != old {
		t.Errorf("learning changed the access time of %s to %v (%v)", index, time.Unix(st.Atim.Unix()).UTC(), err)
	}
	same()
	wantInProfile(t, profile, `net = "host"`, `command = ["/usr/bin/busybox", "httpd"`)

	d := startDaemon(t, state, out)
	d.waitTCP(port)
	if got := client(t, "", "curl", "-sSf", url+"index.html"); got != "learned and served\n" {
		t.Errorf("GET under the learned profile: %q", got)
	}
	// Its site is bound whole, as a person would: a file added later is served.
	if got := client(t, "", "curl", "-sSf", url+"later.txt"); got != "not fetched while learning\n" {
		t.Errorf("GET later.txt: %q", got)
	}
	if got, err := clientErr("", "curl", "-sSf", url+"../../etc/debian_version"); err == nil {
		t.Errorf("the jail served a host file outside its site: %q", got)
	}
	d.stop(syscall.SIGTERM)
	confined(t, out, state, append(untouched, canary(t), "/etc/nginx", "/var/lib/redis")...)
}

// Bad input changes nothing and says what to do.
func TestLearnBadInput(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	dir := hostDir(t)
	out := filepath.Join(dir, "never.toml")
	same := hostUnchanged(t, dir)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"learn", "--out", out}, "give the daemon after --"},
		{[]string{"learn", "--out", out, "--", "no-such-daemon-fsviews"}, "no-such-daemon-fsviews is not in PATH"},
		{[]string{"learn", "--out", out, "--user", "no-such-user-fsviews", "--", "/bin/true"}, "--user no-such-user-fsviews: no such user"},
		{[]string{"learn", "--out", out, "--stop-signal", "BOGUS", "--", "/bin/true"}, "--stop-signal BOGUS: not one of"},
		{[]string{"learn", "--out", out, "--", "/etc/passwd"}, "/etc/passwd did not start (the message above says why); nothing was learned"},
		{[]string{"learn", "--out", out, "no-such-profile-fsviews"}, `no profile named "no-such-profile-fsviews"`},
		{[]string{"learn", "--out", out, "a.toml", "b.toml"}, "name at most one profile to extend"},
	} {
		r := run(t, tc.args...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("fsviews %s: want a failure saying %q, got %v", strings.Join(tc.args, " "), tc.want, r)
		}
	}
	same()
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a failed learn wrote %s", out)
	}
}

// learn PROFILE extends a profile that is almost right: here one for
// busybox httpd that lacks its site.
func TestLearnExtendsAProfile(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	requireTools(t, "busybox", "curl")
	dir, state, port := hostDir(t), hostDir(t), freePort(t)
	site := filepath.Join(hostDir(t), "www")
	mustWrite(t, filepath.Join(site, "index.html"), "served by the extension\n")
	url := fmt.Sprintf("http://127.0.0.1:%d/index.html", port)
	partial := writeProfile(t, dir, "httpd", fmt.Sprintf(`include = ["base/libc.toml"]
command = ["/usr/bin/busybox", "httpd", "-f", "-p", "127.0.0.1:%d", "-h", %q]
[namespaces]
net = "host"
[seccomp]
preset = "daemon"
`, port, site))
	// The partial profile's view has no site: httpd cannot start.
	if r := run(t, "run", "--state-dir", state, partial); r.code == 0 || !strings.Contains(r.stderr, "can't change directory") {
		t.Fatalf("the partial profile: want httpd to fail without its site, got %v", r)
	}

	out := filepath.Join(dir, "httpd-more.toml")
	same := hostUnchanged(t, site, "/etc/httpd.conf")
	l := startBackground(t, "learn "+partial, bundled("learn", "--out", out, partial))
	l.waitTCP(port)
	client(t, "", "curl", "-sSf", url)
	profile := finishLearn(t, l, out)
	same()
	wantInProfile(t, profile, fmt.Sprintf("include = [%q]", partial), fmt.Sprintf("source = %q", filepath.Dir(site)))
	for _, absent := range []string{"command =", "[[state]]", "net =", "capabilities", "[landlock]", `"base/libc.toml"`} {
		if strings.Contains(profile, absent) {
			t.Errorf("the extension repeats what %s has: %q", partial, absent)
		}
	}

	d := startDaemon(t, state, out)
	d.waitTCP(port)
	if got := client(t, "", "curl", "-sSf", url); got != "served by the extension\n" {
		t.Errorf("GET under the extended profile: %q", got)
	}
	d.stop(syscall.SIGTERM)

	// Extending a profile into itself would make it include itself.
	if r := run(t, "learn", "--out", partial, partial); r.code == 0 || !strings.Contains(r.stderr, "is the profile it extends") {
		t.Errorf("learn --out PROFILE PROFILE: %v", r)
	}
}

// waitOutput waits until the output of d holds want n times, failing if d
// exits first or readyTimeout passes.
func waitOutput(t *testing.T, d *daemon, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(readyTimeout)
	for strings.Count(d.out.String(), want) < n {
		if d.exited() {
			t.Fatalf("%s exited before printing %q %d times: %v\n%s", d.name, want, n, d.err, d.out)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not print %q %d times within %v:\n%s", d.name, want, n, readyTimeout, d.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// learn --verify runs the learned profile and names the syscalls its
// filter would have refused: here one the daemon makes only after
// learning, when a host file tells it to.
func TestLearnVerify(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	requireTools(t, "unshare")
	dir := hostDir(t)
	flag := filepath.Join(hostDir(t), "flag")
	mustWrite(t, flag, "wait\n")
	out := filepath.Join(dir, "looper.toml")
	// The flag is read before "started": learning stops at the first
	// "started", and a profile learned before the first read would not
	// show the flag to the daemon it verifies.
	script := `cat ` + flag + ` >/dev/null; echo started-$((1+1)); while :; do if [ "$(cat ` + flag + `)" = go ]; then unshare -U sleep 1; echo unshared-$((2+2)); fi; sleep 0.1; done`

	l := startBackground(t, "learn looper", bundled("learn", "--verify", "--out", out, "--", "/bin/sh", "-c", script))
	waitOutput(t, l, "started-2", 1)
	l.cmd.Process.Signal(syscall.SIGINT) // ends learning; verifying starts
	waitOutput(t, l, "started-2", 2)
	if !strings.Contains(l.out.String(), "verifying: running looper under "+out) {
		t.Errorf("learn does not say it verifies:\n%s", l.out)
	}
	mustWrite(t, flag, "go\n")
	waitOutput(t, l, "unshared-4", 1)
	log := l.stop(syscall.SIGINT)
	if l.err == nil {
		t.Errorf("learn --verify exited 0 though the filter would have refused a syscall:\n%s", log)
	}
	for _, want := range []string{"would have refused these syscalls", "unshare", `allow = ["unshare"]`, "needs changes"} {
		if !strings.Contains(log, want) {
			t.Errorf("learn --verify does not report %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "ended by itself") {
		t.Errorf("learn --verify reports its own stop as the daemon's end:\n%s", log)
	}
}

// fsviews learn --verify killed outright (SIGKILL, as a service manager's
// last resort or a kill of its process group) takes the jail it verifies
// with it, though that jail runs in a process group of its own.
func TestLearnVerifyEndsWithLearn(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	out := filepath.Join(hostDir(t), "orphan.toml")
	// sleep runs once before "started", which ends learning: the learned
	// view then lets the verifying run execute it.
	l := startBackground(t, "learn orphan", bundled("learn", "--verify", "--out", out, "--", "/bin/sh", "-c", "sleep 0; echo started-$((1+1)); exec sleep 600"))
	waitOutput(t, l, "started-2", 1)
	l.cmd.Process.Signal(syscall.SIGINT) // ends learning; verifying starts
	waitOutput(t, l, "started-2", 2)
	verifying := func() []string {
		var pids []string
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
			if err == nil && strings.Contains(string(cmdline), "--seccomp-log") && strings.Contains(string(cmdline), out) {
				pids = append(pids, e.Name())
			}
		}
		return pids
	}
	if len(verifying()) == 0 {
		t.Fatalf("no verifying fsviews run found:\n%s", l.out)
	}
	// Killed, learn cannot remove the verifying run's temporary state
	// root (named in that run's command line): the test does.
	cmdline, _ := os.ReadFile("/proc/" + verifying()[0] + "/cmdline")
	args := strings.Split(string(cmdline), "\x00")
	if i := slices.Index(args, "--state-dir"); i >= 0 && i+1 < len(args) && strings.HasPrefix(args[i+1], os.TempDir()+"/fsviews-verify-") {
		t.Cleanup(func() { os.RemoveAll(args[i+1]) })
	}
	t.Cleanup(func() { // what a failure left
		for _, pid := range verifying() {
			if n, err := strconv.Atoi(pid); err == nil {
				syscall.Kill(n, syscall.SIGKILL)
			}
		}
	})
	l.cmd.Process.Kill() // fsviews learn alone, not its group
	deadline := time.Now().Add(10 * time.Second)
	for len(verifying()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the verifying run outlived fsviews learn by 10s: %v", verifying())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A filter learned from one run: the smallest preset that fits (stdio),
// no network, nothing writable; it decodes other input byte for byte
// under the learned profile, and sees no host file it did not use.
func TestLearnFilter(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	dir, state := hostDir(t), hostDir(t)
	out := filepath.Join(dir, "gunzip.toml")
	gz := func(payload []byte) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write(payload)
		w.Close()
		return b.Bytes()
	}
	first := bytes.Repeat([]byte("learned from this\n"), 1000)
	cmd := exec.Command(fsviews(t), bundled("learn", "--out", out, "--", "gzip", "-dc")...)
	cmd.Stdin = bytes.NewReader(gz(first))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || !bytes.Equal(stdout.Bytes(), first) {
		t.Fatalf("gzip -dc while learning: %v, %d bytes out of %d\n%s", err, stdout.Len(), len(first), stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	profile := string(b)
	wantInProfile(t, profile, `preset = "stdio"`, `net = "none"`, `capabilities = []`)
	for _, absent := range []string{"[[state]]", "[[tmpfs]]", "[[bind]]", "[dev]"} {
		if strings.Contains(profile, absent) {
			t.Errorf("the learned filter profile has %s, though gzip -dc used none:\n%s", absent, profile)
		}
	}

	second := make([]byte, 1<<20)
	rand.Read(second[:len(second)/2])
	jail := exec.Command(fsviews(t), bundled("run", "--state-dir", state, out)...)
	jail.Stdin = bytes.NewReader(gz(second))
	stdout.Reset()
	stderr.Reset()
	jail.Stdout, jail.Stderr = &stdout, &stderr
	if err := jail.Run(); err != nil || !bytes.Equal(stdout.Bytes(), second) {
		t.Errorf("gzip -dc under the learned profile: %v, %d bytes out of %d\n%s", err, stdout.Len(), len(second), stderr.String())
	}
	for _, p := range append(untouched, canary(t)) {
		r := run(t, bundled("run", "--state-dir", state, out, "--", "/usr/bin/gzip", "-dc", p)...)
		if r.code == 0 || !strings.Contains(r.stderr, "No such file") {
			t.Errorf("gzip -dc %s in the learned view: want No such file, got %v", p, r)
		}
	}
}

// The daemon learns as root, but not with what would take it out of the
// learning view: the watcher's /proc/1/root, chroot, mount, host sysctls,
// the pipe its observations go back on.
// It is seen trying, and the profile says what it needed; the host keeps
// its canary.
func TestLearnStaysInItsView(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	dir := hostDir(t)
	// Not below /tmp, which the watcher's own root shadows with its tmpfs.
	varTmp, err := os.MkdirTemp("/var/tmp", "fsviews-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(varTmp) })
	canaryFile := filepath.Join(varTmp, "canary")
	mustWrite(t, canaryFile, "host\n")
	out := filepath.Join(dir, "escaper.toml")
	script := `c=` + canaryFile + `
echo pwned > /proc/1/root$c && echo ESCAPED through /proc/1/root
chroot / /bin/true && echo ESCAPED chroot, the first step out of a chroot
mkdir -p /tmp/m && mount -t tmpfs none /tmp/m && echo ESCAPED mount
v=$(cat /proc/sys/kernel/printk_ratelimit) && echo "$v" > /proc/sys/kernel/printk_ratelimit && echo ESCAPED sysctl
echo '{"command": ["/bin/sh"], "files": {"/etc/shadow": {"read": true}}}' >&3 && echo ESCAPED into the observations
echo pwned > $c && cat $c
exit 0`
	same := hostUnchanged(t, filepath.Dir(canaryFile))
	r := run(t, bundled("learn", "--out", out, "--", "/bin/sh", "-c", script)...)
	same()
	if r.code != 0 || strings.Contains(r.stdout, "ESCAPED") {
		t.Errorf("the learning daemon got out of its view:\n%v", r)
	}
	if !strings.Contains(r.stdout, "pwned") {
		t.Errorf("the daemon could not write in its own view (the overlay):\n%v", r)
	}
	if b, err := os.ReadFile(canaryFile); err != nil || string(b) != "host\n" {
		t.Errorf("the host's canary: %q %v", b, err)
	}
	profile, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	wantInProfile(t, string(profile), `"SYS_CHROOT"`, `"mount"`)
}
