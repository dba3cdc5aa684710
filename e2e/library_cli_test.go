package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `fsviews profiles` lists every bundled profile with its one-line
// summary, and bare names load.
func TestProfilesListsTheLibrary(t *testing.T) {
	r := run(t, "--search-path", t.TempDir(), "profiles")
	if r.code != 0 {
		t.Fatalf("fsviews profiles: %v", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	want := []string{"decoder", "demo", "dnsmasq", "http-server", "memcached", "minimal", "mosquitto", "nginx", "postgresql", "redis", "sshd"}
	if len(lines) != len(want) {
		t.Fatalf("fsviews profiles: want one line for each of %v, got:\n%s", want, r.stdout)
	}
	for i, name := range want {
		f := strings.Fields(lines[i])
		if len(f) < 4 || f[0] != name {
			t.Errorf("line %d: want %q and a summary, got %q", i+1, name, lines[i])
		}
	}
}

// A bundled name that does not exist lists the ones that do.
func TestUnknownProfileListsAvailable(t *testing.T) {
	r := run(t, "--search-path", t.TempDir(), "check", "ngnix")
	if r.code != 1 || !strings.Contains(r.stderr, `no profile named "ngnix"`) || !strings.Contains(r.stderr, `did you mean "nginx"?`) ||
		!strings.Contains(r.stderr, "available: decoder, demo, dnsmasq, http-server, memcached, minimal, mosquitto, nginx, postgresql, redis, sshd") {
		t.Errorf("check ngnix: %v", r)
	}
}

// A profile for a daemon that is not installed says which program is
// missing and which package to install, before anything is built.
func TestDaemonNotInstalled(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	state := filepath.Join(h, "state")
	profile := writeProfile(t, h, "ghost", `# ghost: a daemon this host does not have
include = ["base/libc.toml"]
command = ["/sbin/fsviews-ghostd", "--foreground"]
[[bind]]
source = "/etc/fsviews-ghostd"
[[state]]
target = "/var/lib/ghost"
`)
	for _, args := range [][]string{{"check", profile}, {"run", "--state-dir", state, profile}} {
		r := run(t, args...)
		want := profile + ":3: command: /sbin/fsviews-ghostd is not installed on this host (the view shows it from /usr/sbin/fsviews-ghostd, through the bind of /usr): no such file or directory: install the package providing /usr/sbin/fsviews-ghostd"
		if r.code == 0 || !strings.Contains(r.stderr, want) {
			t.Errorf("%s: want exit != 0 and\n%s\ngot %v", args[0], want, r)
		}
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("a run of a profile whose daemon is missing created %s", state)
	}
}

// `fsviews profiles show` prints a profile's own text first, then each
// file it includes, each under a header naming it.
func TestProfilesShow(t *testing.T) {
	r := run(t, "--search-path", t.TempDir(), "profiles", "show", "redis")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "# ==> library:redis.toml <==\n# redis: ") ||
		!strings.Contains(r.stdout, "\n# ==> library:base/libc.toml <==\n") || !strings.Contains(r.stdout, "redis-server") {
		t.Errorf("profiles show redis: %v", r)
	}
	r = run(t, "--search-path", t.TempDir(), "profiles", "show", "ngnix")
	if r.code != 1 || !strings.Contains(r.stderr, `did you mean "nginx"?`) || r.stdout != "" {
		t.Errorf("profiles show ngnix: want exit 1 and a suggestion, got %v", r)
	}
}

// `fsviews profiles copy` writes a bundled profile into the search path,
// where it then hides the bundled one and checks, and never overwrites.
func TestProfilesCopy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "etc-fsviews")
	r := run(t, "--search-path", dir, "profiles", "copy", "redis")
	dest := filepath.Join(dir, "redis.toml")
	if r.code != 0 || !strings.Contains(r.stdout, "wrote "+dest) {
		t.Fatalf("profiles copy redis: %v", r)
	}
	fi, err := os.Stat(dest)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("the copy: %v %v", fi, err)
	}
	if r := run(t, "--search-path", dir, "check", "redis"); r.code != 0 || !strings.Contains(r.stdout, "redis: ok") {
		t.Errorf("check of the copy: %v", r)
	}
	mustWrite(t, dest, "# mine\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"redis"}, dest + " exists; nothing was written"},
		{[]string{"./redis.toml"}, "name one bundled profile by its name"},
		{[]string{"nosuch"}, `"nosuch" is not a bundled profile`},
		{nil, "name one bundled profile by its name"},
	} {
		r := run(t, append([]string{"--search-path", dir, "profiles", "copy"}, c.args...)...)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("profiles copy %v: want exit 1 and %q, got %v", c.args, c.want, r)
		}
	}
	if b, _ := os.ReadFile(dest); string(b) != "# mine\n" {
		t.Errorf("profiles copy replaced an existing file: %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("a refused copy wrote something: %v", entries)
	}
}

// `fsviews --version` names the version and the Go toolchain.
func TestVersion(t *testing.T) {
	r := run(t, "--version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "fsviews ") || !strings.Contains(r.stdout, "go1.") {
		t.Errorf("fsviews --version: %v", r)
	}
}
