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
