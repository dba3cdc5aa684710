package views

import (
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fsviews/fsviews/profiles"
)

var update = flag.Bool("update", false, "rewrite the saved plans in testdata/ from the current compiler")

// load reads a profile from testdata/ (includes fall back to the bundled
// library) without asking the host anything, so plans do not depend on
// the machine.
func load(t testing.TB, name string) *profiles.Profile {
	t.Helper()
	l := profiles.Loader{Library: profiles.Library()}
	p, probs := l.Load(filepath.Join("testdata", name+".toml"))
	if p == nil {
		t.Fatalf("load %s: %v", name, probs)
	}
	return p
}

// loadText loads a profile written inline, after the same rules.
func loadText(t testing.TB, text string) *profiles.Profile {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p, probs := profiles.Loader{Library: profiles.Library()}.Load(path)
	if p == nil {
		t.Fatalf("load: %v", probs)
	}
	return p
}

// The plans of the testdata profiles are saved as `fsviews plan` prints
// them, in both forms; a change to the compiler shows up as a diff of
// these files (go test ./views -update rewrites them).
func TestSavedPlans(t *testing.T) {
	for _, name := range []string{"web", "empty"} {
		t.Run(name, func(t *testing.T) {
			plan := Compile(load(t, name), Options{StateRoot: "/var/lib/fsviews-test"})
			plan.Profile = "testdata/" + name + ".toml"
			js, err := json.MarshalIndent(plan, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			compareSaved(t, filepath.Join("testdata", name+".plan"), []byte(plan.String()))
			compareSaved(t, filepath.Join("testdata", name+".json"), append(js, '\n'))

			var back Plan
			if err := json.Unmarshal(js, &back); err != nil {
				t.Fatalf("the JSON plan does not read back: %v", err)
			}
			if again, _ := json.MarshalIndent(&back, "", "  "); !bytes.Equal(again, js) {
				t.Errorf("JSON round trip changed the plan:\n%s\n---\n%s", js, again)
			}
		})
	}
}

func compareSaved(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./views -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the compiled plan (go test ./views -update rewrites it after review)\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

// Every op's parent directory exists by the time the op runs: created by
// an earlier op, or inside a host tree that a bind brought in.
func checkParentsFirst(t *testing.T, plan *Plan) {
	t.Helper()
	made := map[string]Kind{}
	for i, op := range plan.Ops {
		if i == 0 {
			if op.Kind != MakeRoot || op.Target != "/" {
				t.Fatalf("plan does not start with the root: %v", op)
			}
			made["/"] = MakeRoot
			continue
		}
		if _, again := made[op.Target]; again && op.Kind != RemountRO {
			t.Errorf("op %d sets up %s twice: %v", i, op.Target, op)
		}
		dir := parent(op.Target)
		for {
			if _, ok := made[dir]; ok {
				break
			}
			if dir == "/" {
				t.Errorf("op %d (%v) runs before its parent %s exists", i, op, parent(op.Target))
				break
			}
			dir = parent(dir)
		}
		if kind, ok := made[dir]; ok && dir != parent(op.Target) && kind != Bind {
			t.Errorf("op %d (%v): %s is missing below %s, which fsviews owns, and no mkdir made it", i, op, parent(op.Target), dir)
		}
		made[op.Target] = op.Kind
	}
}

func TestCompileOrder(t *testing.T) {
	for _, name := range []string{"web", "empty"} {
		checkParentsFirst(t, Compile(load(t, name), Options{}))
	}
}

func TestReadOnlyRemountComesLast(t *testing.T) {
	plan := Compile(load(t, "web"), Options{})
	if last := plan.Ops[len(plan.Ops)-1]; last.Kind != RemountRO || last.Target != "/" {
		t.Errorf("last op is %v, want remount-ro /", last)
	}
	for _, op := range plan.Ops[:len(plan.Ops)-1] {
		if op.Kind == RemountRO {
			t.Errorf("remount-ro before the end: %v", op)
		}
	}
	writable := Compile(load(t, "empty"), Options{})
	for _, op := range writable.Ops {
		if op.Kind == RemountRO {
			t.Errorf("root = { writable = true } still remounts read-only: %v", op)
		}
	}
}

// Missing parents are created in what fsviews owns (the root, a tmpfs),
// never inside a bind: that would write into a host directory.
func TestMkdirOnlyWhereFsviewsOwns(t *testing.T) {
	p := loadText(t, `command = ["/x"]
[[bind]]
source = "/srv/www"
[[bind]]
source = "/srv/data"
target = "/srv/www/data/store"
[[tmpfs]]
target = "/run"
[[dir]]
target = "/run/app/sockets"
`)
	plan := Compile(p, Options{})
	var mkdirs []string
	for _, op := range plan.Ops {
		if op.Kind == Mkdir {
			mkdirs = append(mkdirs, op.Target)
		}
	}
	want := []string{"/run/app", "/run/app/sockets", "/srv"}
	if !reflect.DeepEqual(mkdirs, want) {
		t.Errorf("mkdirs = %q, want %q\n%s", mkdirs, want, plan)
	}
}

func TestStateDirs(t *testing.T) {
	p := loadText(t, `name = "app"
command = ["/x"]
state_root = "/srv/jails"
[[state]]
target = "/var/lib/app"
mode = "0750"
`)
	for _, tc := range []struct {
		opt  Options
		want string
	}{
		{Options{}, "/srv/jails/app"},
		{Options{StateRoot: "/tmp/s"}, "/tmp/s/app"},
		// Two jails of one profile (run --name) keep separate state.
		{Options{Name: "app2"}, "/srv/jails/app2"},
		{Options{Name: "app2", StateRoot: "/tmp/s"}, "/tmp/s/app2"},
	} {
		plan := Compile(p, tc.opt)
		if want := cmp.Or(tc.opt.Name, "app"); plan.Name != want {
			t.Errorf("Name %q: plan named %q, want %q", tc.opt.Name, plan.Name, want)
		}
		if plan.StateDir != tc.want {
			t.Errorf("StateRoot %q: state dir %s, want %s", tc.opt.StateRoot, plan.StateDir, tc.want)
		}
		op := find(t, plan, "/var/lib/app")
		if op.Kind != State || op.Source != tc.want+"/var/lib/app" || op.Mode != 0o750 {
			t.Errorf("state op = %+v", op)
		}
		if op.UID != 0 || op.GID != 0 {
			t.Errorf("state dir of a profile without user is owned by %d:%d, want root", op.UID, op.GID)
		}
	}
	noRoot := loadText(t, "command = [\"/x\"]\n[[state]]\ntarget = \"/s\"\n")
	if got := Compile(noRoot, Options{}).StateDir; got != profiles.DefaultStateRoot+"/p" {
		t.Errorf("default state dir = %s", got)
	}

	p.Security.UID, p.Security.GID = 33, 34
	if op := find(t, Compile(p, Options{}), "/var/lib/app"); op.UID != 33 || op.GID != 34 {
		t.Errorf("state dir of user 33:34 owned by %d:%d", op.UID, op.GID)
	}
}

func TestCommandAndNamespaces(t *testing.T) {
	p := load(t, "web")
	plan := Compile(p, Options{})
	if want := []string{"/usr/sbin/nginx", "-g", "daemon off;"}; !reflect.DeepEqual(plan.Command, want) {
		t.Errorf("command = %q", plan.Command)
	}
	if got := Compile(p, Options{Command: []string{"/bin/sh", "-c", "ls"}}).Command; !reflect.DeepEqual(got, []string{"/bin/sh", "-c", "ls"}) {
		t.Errorf("the command after -- does not replace the profile's: %q", got)
	}
	if want := []string{"mnt", "uts", "ipc", "net", "cgroup", "pid"}; !reflect.DeepEqual(plan.Unshare, want) {
		t.Errorf("namespaces = %q, want %q", plan.Unshare, want)
	}
	if plan.Net != "loopback" || plan.Hostname != "web1" || plan.Workdir != "/srv/www" {
		t.Errorf("net %q hostname %q workdir %q", plan.Net, plan.Hostname, plan.Workdir)
	}
	if !reflect.DeepEqual(plan.Caps, []string{"CAP_NET_BIND_SERVICE"}) || !plan.NoNewPriv || plan.UID != -1 {
		t.Errorf("caps %q no_new_privs %v uid %d", plan.Caps, plan.NoNewPriv, plan.UID)
	}
	// The plan must not share the profile's slices: callers may edit it.
	plan.Command[0] = "changed"
	plan.Caps[0] = "changed"
	if p.Command[0] == "changed" || p.Security.Caps[0] == "changed" {
		t.Error("the plan aliases the profile's slices")
	}
}

func TestDevOps(t *testing.T) {
	plan := Compile(loadText(t, "command = [\"/x\"]\n[dev]\n"), Options{})
	var got []string
	for _, op := range plan.Ops {
		if strings.HasPrefix(op.Target, "/dev") {
			got = append(got, string(op.Kind)+" "+op.Target)
		}
	}
	want := []string{"tmpfs /dev", "symlink /dev/fd", "dev-node /dev/full", "dev-node /dev/null",
		"symlink /dev/ptmx", "devpts /dev/pts", "dev-node /dev/random", "tmpfs /dev/shm",
		"symlink /dev/stderr", "symlink /dev/stdin", "symlink /dev/stdout", "dev-node /dev/tty",
		"dev-node /dev/urandom", "dev-node /dev/zero"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("dev ops:\n got %q\nwant %q", got, want)
	}
}

func TestCompileIsDeterministic(t *testing.T) {
	a := Compile(load(t, "web"), Options{})
	for i := 0; i < 20; i++ {
		if b := Compile(load(t, "web"), Options{}); !reflect.DeepEqual(a, b) {
			t.Fatalf("two compiles differ:\n%s\n---\n%s", a, b)
		}
	}
}

func TestOpString(t *testing.T) {
	for _, tc := range []struct {
		op   Op
		want string
	}{
		{Op{Kind: Bind, Target: "/usr", Source: "/usr", ReadOnly: true}, "bind       /usr                         <- /usr ro"},
		{Op{Kind: Bind, Target: "/data", Source: "/srv/d", Optional: true}, "bind       /data                        <- /srv/d rw optional"},
		{Op{Kind: Tmpfs, Target: "/tmp", Size: 16 << 20, Mode: 0o1777}, "tmpfs      /tmp                         size=16M mode=1777"},
		{Op{Kind: Symlink, Target: "/bin", Link: "usr/bin"}, "symlink    /bin                         -> usr/bin"},
		{Op{Kind: File, Target: "/etc/motd", Content: "hi\n", Mode: 0o644}, "file       /etc/motd                    3 bytes mode=0644"},
		{Op{Kind: State, Target: "/s", Source: "/var/lib/fsviews/x/s", UID: 33, GID: 33, Mode: 0o700}, "state      /s                           <- /var/lib/fsviews/x/s rw owner=33:33 mode=0700"},
		{Op{Kind: RemountRO, Target: "/"}, "remount-ro /"},
	} {
		if got := tc.op.String(); got != tc.want {
			t.Errorf("String() =\n%q\nwant\n%q", got, tc.want)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{1: "1", 1023: "1023", 1024: "1k", 1536: "1536", 64 << 20: "64M", 3 << 30: "3G", 1<<30 + 1<<20: "1025M"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestModeText(t *testing.T) {
	var m Mode
	if err := m.UnmarshalText([]byte("1777")); err != nil || m != 0o1777 {
		t.Errorf("UnmarshalText(1777) = %o, %v", m, err)
	}
	if err := m.UnmarshalText([]byte("9")); err == nil {
		t.Error("UnmarshalText(9) accepted a non-octal mode")
	}
	if b, _ := Mode(0o755).MarshalText(); string(b) != "0755" {
		t.Errorf("MarshalText = %s", b)
	}
}

func find(t *testing.T, plan *Plan, target string) Op {
	t.Helper()
	for _, op := range plan.Ops {
		if op.Target == target {
			return op
		}
	}
	t.Fatalf("no op for %s in\n%s", target, plan)
	return Op{}
}
