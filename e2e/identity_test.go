package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The daemon runs as the profiled user with exactly the kept
// capabilities in every set, no_new_privs, the profiled environment,
// workdir and namespaces.
func TestIdentityCapsEnvNamespaces(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	profile := writeProfile(t, h, "ident", `workdir = "/srv"
hostname = "jailhost"
`+base+`
[[dir]]
target = "/srv"
[[state]]
target = "/var/lib/app"
[env]
set = { GREETING = "hi" }
keep = ["FSVIEWS_TEST_KEEP"]
[security]
user = "nobody"
capabilities = ["net_bind_service"]
[namespaces]
uts = true
net = "none"
ipc = true
`)
	script := `echo "== id =="; id -u; id -g; id -G
echo "== status =="; grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' /proc/self/status
echo "== env =="; env | sort
echo "== cwd =="; pwd
echo "== host =="; hostname
echo "== net =="; tail -n +3 /proc/net/dev | cut -d: -f1
echo "== state =="; stat -c '%u:%g %a' /var/lib/app; touch /var/lib/app/w && echo writable`
	env := append(os.Environ(), "FSVIEWS_TEST_KEEP=kept", "FSVIEWS_TEST_DROP=dropped")
	r := runEnv(t, env, "run", "--state-dir", filepath.Join(h, "state"), profile, "--", "/bin/sh", "-c", script)
	if r.code != 0 {
		t.Fatalf("run failed: %v", r)
	}
	s := sections(r.stdout)
	if got := fields(s["id"]); got != "65534 65534 65534" {
		t.Errorf("uid gid groups = %q, want 65534 65534 65534", got)
	}
	for _, want := range []string{"CapInh:\t0000000000000400", "CapPrm:\t0000000000000400", "CapEff:\t0000000000000400", "CapBnd:\t0000000000000400", "CapAmb:\t0000000000000400", "NoNewPrivs:\t1"} {
		if !strings.Contains(s["status"], want) {
			t.Errorf("status lacks %q:\n%s", want, s["status"])
		}
	}
	env1 := s["env"]
	for _, want := range []string{"GREETING=hi", "FSVIEWS_TEST_KEEP=kept", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"} {
		if !strings.Contains(env1, want) {
			t.Errorf("env lacks %q:\n%s", want, env1)
		}
	}
	if strings.Contains(env1, "FSVIEWS_TEST_DROP") {
		t.Errorf("env kept a variable the profile did not keep:\n%s", env1)
	}
	if got := fields(s["cwd"]); got != "/srv" {
		t.Errorf("cwd %q, want /srv", got)
	}
	if got := fields(s["host"]); got != "jailhost" {
		t.Errorf("hostname %q, want jailhost", got)
	}
	if got := fields(s["net"]); got != "lo" {
		t.Errorf("interfaces %q, want only lo", got)
	}
	if got := fields(s["state"]); got != "65534:65534 700 writable" {
		t.Errorf("state dir %q, want owned by nobody, 700, writable", got)
	}
	if host, _ := os.Hostname(); host == "jailhost" {
		t.Errorf("the jail changed the host's hostname")
	}
}

// A scratch tmpfs belongs to the daemon's user, as its state dirs do: a
// daemon that runs as nobody writes its private 0700 scratch dir (before,
// the tmpfs was root's and the write failed with EACCES).
func TestTmpfsOwnedByTheDaemon(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	profile := writeProfile(t, h, "scratch", base+`[[tmpfs]]
target = "/var/cache/app"
mode = "0700"
[security]
user = "nobody"
`)
	r := run(t, "run", "--state-dir", filepath.Join(h, "state"), profile, "--", "/bin/sh", "-c",
		"stat -c '%u:%g %a' /var/cache/app; echo x > /var/cache/app/f && echo wrote")
	if r.code != 0 || r.stdout != "65534:65534 700\nwrote\n" {
		t.Errorf("want the 0700 scratch dir owned by nobody and written, got %v", r)
	}
	if p := run(t, "plan", "--state-dir", filepath.Join(h, "state"), profile); !strings.Contains(p.stdout, "owner=65534:65534") {
		t.Errorf("plan does not show the tmpfs's owner:\n%s", p.stdout)
	}
}
