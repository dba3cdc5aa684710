package e2e

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The view holds exactly what the profile lists, with the modes, contents
// and links it says.
func TestViewHoldsExactlyTheProfile(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	mustWrite(t, filepath.Join(h, "src/a.txt"), "alpha\n")
	mustWrite(t, filepath.Join(h, "src/sub/b.txt"), "beta\n")
	mustWrite(t, filepath.Join(h, "rw/c.txt"), "gamma\n")
	mustWrite(t, filepath.Join(h, "copied.conf"), "copied\n")
	profile := writeProfile(t, h, "view", base+`
[[bind]]
source = "`+h+`/src"
target = "/data"
[[bind]]
source = "`+h+`/rw"
target = "/rw"
mode = "rw"
[[state]]
target = "/var/lib/app"
[[dir]]
target = "/run/app"
mode = "0750"
[[symlink]]
target = "/etc/alt"
to = "/data/a.txt"
[[file]]
target = "/etc/app.conf"
content = "hello\n"
mode = "0640"
[[file]]
target = "/etc/copied.conf"
source = "`+h+`/copied.conf"
`)
	script := `
echo '== root =='; ls -A /
echo '== etc =='; ls -A /etc
echo '== dev =='; ls -A /dev
echo '== var =='; ls -A /var /var/lib
echo '== contents =='; cat /data/a.txt /data/sub/b.txt /rw/c.txt /etc/app.conf /etc/copied.conf
echo '== modes =='; stat -c '%n %a %F' /run/app /etc/app.conf /tmp /var/lib/app /
echo '== link =='; readlink /etc/alt; cat /etc/alt
echo '== write =='; echo delta > /rw/d.txt && echo rw-ok; echo state > /var/lib/app/s && echo state-ok
`
	r := run(t, "run", "--state-dir", filepath.Join(h, "state"), profile, "--", "/bin/sh", "-c", script)
	if r.code != 0 {
		t.Fatalf("run failed: %v", r)
	}
	s := sections(r.stdout)
	wantRoot := []string{"bin", "data", "dev", "etc", "lib", "lib64", "proc", "run", "rw", "sbin", "tmp", "usr", "var"}
	if got := fields(s["root"]); got != strings.Join(wantRoot, " ") {
		t.Errorf("/ holds %q, want %q", got, strings.Join(wantRoot, " "))
	}
	wantEtc := []string{"alt", "app.conf", "copied.conf", "group", "nsswitch.conf", "passwd"}
	for _, optional := range []string{"ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime"} {
		if _, err := os.Stat("/etc/" + optional); err == nil {
			wantEtc = append(wantEtc, optional)
		}
	}
	sort.Strings(wantEtc)
	if got := fields(s["etc"]); got != strings.Join(wantEtc, " ") {
		t.Errorf("/etc holds %q, want %q", got, strings.Join(wantEtc, " "))
	}
	if got, want := fields(s["dev"]), "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero"; got != want {
		t.Errorf("/dev holds %q, want %q", got, want)
	}
	if got, want := fields(s["contents"]), "alpha beta gamma hello copied"; got != want {
		t.Errorf("contents %q, want %q", got, want)
	}
	modes := s["modes"]
	for _, want := range []string{"/run/app 750 directory", "/etc/app.conf 640 regular file", "/tmp 1777 directory", "/var/lib/app 700 directory", "/ 755 directory"} {
		if !strings.Contains(modes, want) {
			t.Errorf("modes:\n%s\nwant a line %q", modes, want)
		}
	}
	if got := fields(s["link"]); got != "/data/a.txt alpha" {
		t.Errorf("symlink: %q", got)
	}
	if got := fields(s["write"]); got != "rw-ok state-ok" {
		t.Errorf("writes: %q\n%v", got, r)
	}
	if b, err := os.ReadFile(filepath.Join(h, "rw/d.txt")); err != nil || string(b) != "delta\n" {
		t.Errorf("rw bind write did not reach the host: %q %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(h, "state/view/var/lib/app/s")); err != nil || string(b) != "state\n" {
		t.Errorf("state dir write not kept on the host: %q %v", b, err)
	}
	fi, err := os.Stat(filepath.Join(h, "state/view"))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("jail state dir: %v %v, want mode 0700", fi, err)
	}
}

// Writes to read-only binds fail with EROFS, on submounts too, and the
// jail can neither remount them nor mount anything.
func TestReadOnlyBindsAreReadOnlyRecursively(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	mustWrite(t, filepath.Join(h, "src/a.txt"), "alpha\n")
	if err := os.MkdirAll(filepath.Join(h, "src/sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	profile := writeProfile(t, h, "ro", base+`
[[bind]]
source = "`+h+`/src"
target = "/data"
`)
	script := `
for f in /data/new /data/sub/new /usr/new /new /etc/new; do touch "$f" 2>&1; done
echo '== remount =='; mount -o remount,rw /data 2>&1; mount -o remount,rw,bind /data/sub 2>&1; echo "rc=$?"
echo '== mount =='; mount -t tmpfs none /tmp 2>&1; echo "rc=$?"
echo '== mountinfo =='; grep -E ' /data(/sub)? ' /proc/self/mountinfo
`
	// The submount is made inside a private namespace of the test's own,
	// so the host never sees it.
	cmd := `mount -t tmpfs sub "$1/src/sub" && echo on-submount > "$1/src/sub/f" && exec "$2" run "$3" -- /bin/sh -c "$4"`
	r := runShell(t, []string{"unshare", "-m", "--propagation", "private", "sh", "-c", cmd, "sh", h, fsviews(t), profile, script})
	if r.code != 0 {
		t.Fatalf("run failed: %v", r)
	}
	for _, f := range []string{"/data/new", "/data/sub/new", "/usr/new", "/new", "/etc/new"} {
		if !strings.Contains(r.stdout, "touch: cannot touch '"+f+"': Read-only file system") {
			t.Errorf("writing %s did not fail with EROFS:\n%s", f, r.stdout)
		}
	}
	s := sections(r.stdout)
	if !strings.Contains(s["remount"], "permission denied") || strings.Contains(s["remount"], "rc=0") {
		t.Errorf("the jail could remount a read-only bind:\n%s", s["remount"])
	}
	if strings.Contains(s["mount"], "rc=0") {
		t.Errorf("the jail could mount a tmpfs:\n%s", s["mount"])
	}
	lines := strings.Split(strings.TrimSpace(s["mountinfo"]), "\n")
	if len(lines) != 2 {
		t.Fatalf("want /data and /data/sub in mountinfo, got:\n%s", s["mountinfo"])
	}
	for _, l := range lines {
		if opts := strings.Fields(l)[5]; !strings.HasPrefix(opts, "ro,") || !strings.Contains(opts, "nosuid") || !strings.Contains(opts, "nodev") {
			t.Errorf("mount options %q, want ro,nosuid,nodev: %s", opts, l)
		}
	}
}

// /dev's links into /proc/self/fd: without a [proc] they dangle, which
// check says; with the smallest procfs (subset = "pid", as the bundled
// profiles have it) a daemon that drops to another user logs through
// /dev/stderr and /dev/stdout, and the view has no kernel files.
func TestDevLinksNeedProc(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	script := `echo out > /dev/stdout; echo err > /dev/stderr; ls /dev/fd/ >/dev/null && echo fd-ok; test -e /proc/sys || echo no-sys`
	profile := func(name, tables string) string {
		return writeProfile(t, h, name, `include = ["base/libc.toml"]
command = ["/bin/sh", "-c", "`+script+`"]
[dev]
`+tables+`[security]
user = "65534"
[namespaces]
net = "none"
`)
	}
	noProc := profile("noproc", "")
	before := mountTable(t, "self")
	r := run(t, "check", "--strict", noProc)
	if r.code != 1 || !strings.Contains(r.stderr, "noproc.toml:3: warning: [dev]: /dev/stdin, /dev/stdout, /dev/stderr and /dev/fd link into /proc/self/fd, and the view has no /proc") ||
		!strings.Contains(r.stderr, `add a [proc] table with subset = "pid"`) {
		t.Errorf("check --strict of [dev] without [proc]: want the warning and exit 1, got %v", r)
	}
	// Run anyway: the daemon's opens of /dev/stdout fail, as check said.
	if r := run(t, "run", noProc); !strings.Contains(r.stderr, "/dev/stdout") || strings.Contains(r.stdout, "out\n") {
		t.Errorf("run without [proc]: want /dev/stdout to fail, got %v", r)
	}
	sameMounts(t, "the host's mount table", before, mountTable(t, "self"))

	withProc := profile("subsetproc", "[proc]\nsubset = \"pid\"\n")
	if r := run(t, "check", "--strict", withProc); r.code != 0 {
		t.Errorf("check --strict with [proc] subset = \"pid\": %v", r)
	}
	r = run(t, "run", withProc)
	if r.code != 0 || r.stdout != "out\nfd-ok\nno-sys\n" || r.stderr != "err\n" {
		t.Errorf("run with [proc] subset = \"pid\": want out, fd-ok, no-sys and err on stderr, got %v", r)
	}
}
