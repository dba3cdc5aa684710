package learn

import (
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fakeHost is a host made of a few paths, with owners and modes.
type fakeHost map[string]fakeFile

type fakeFile struct {
	dir      bool
	mode     fs.FileMode
	uid, gid int
}

type fakeInfo struct {
	name string
	f    fakeFile
}

func (i fakeInfo) Name() string { return filepath.Base(i.name) }
func (i fakeInfo) Size() int64  { return 0 }
func (i fakeInfo) Mode() fs.FileMode {
	if i.f.dir {
		return i.f.mode | fs.ModeDir
	}
	return i.f.mode
}
func (i fakeInfo) ModTime() time.Time { return time.Time{} }
func (i fakeInfo) IsDir() bool        { return i.f.dir }
func (i fakeInfo) Sys() any           { return nil }

func (h fakeHost) Lstat(p string) (fs.FileInfo, error) {
	f, ok := h[p]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return fakeInfo{p, f}, nil
}

func (h fakeHost) Owner(p string) (int, int, bool) {
	f, ok := h[p]
	return f.uid, f.gid, ok
}

func (fakeHost) UserName(uid int) string {
	return map[int]string{0: "root", 33: "www-data", 104: "redis", 107: "mosquitto"}[uid]
}

func (fakeHost) GroupName(gid int) string { return fakeHost{}.UserName(gid) }

var testHost = fakeHost{
	"/etc/nginx":                    {dir: true, mode: 0o755},
	"/etc/nginx/nginx.conf":         {mode: 0o644},
	"/etc/ssl":                      {dir: true, mode: 0o755},
	"/etc/ssl/openssl.cnf":          {mode: 0o644},
	"/etc/mime.types":               {mode: 0o644},
	"/etc/shadow":                   {mode: 0o640, gid: 42},
	"/var/www":                      {dir: true, mode: 0o755},
	"/var/www/html/index.html":      {mode: 0o644},
	"/var/log/nginx":                {dir: true, mode: 0o750, uid: 33, gid: 4},
	"/etc/redis":                    {dir: true, mode: 0o2775, uid: 104, gid: 104},
	"/etc/redis/redis.conf":         {mode: 0o640, uid: 104, gid: 104},
	"/etc/mosquitto":                {dir: true, mode: 0o755},
	"/etc/mosquitto/mosquitto.conf": {mode: 0o644},
	"/var/lib/mosquitto":            {dir: true, mode: 0o700, uid: 107, gid: 107},
}

var testBases = []Base{
	{Include: "base/libc.toml", Shows: []string{"/usr", "/bin", "/lib", "/lib64", "/etc/ld.so.cache", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/localtime"}},
	{Include: "base/net.toml", Shows: []string{"/etc/resolv.conf", "/etc/hosts", "/etc/services"}},
	{Include: "base/tls.toml", Shows: []string{"/etc/ssl/certs"}},
}

// fakeFit stands for the presets over the calls the fixtures use: strict
// allows read, write and exit_group; stdio adds openat and mmap; daemon
// refuses only mount and ptrace.
func fakeFit(preset string, names []string) []string {
	allowed := map[string][]string{"strict": {"read", "write", "exit_group"}, "stdio": {"read", "write", "exit_group", "openat", "mmap", "execve"}}
	var out []string
	for _, n := range names {
		switch list, ok := allowed[preset]; {
		case ok && !slices.Contains(list, n):
			out = append(out, n)
		case !ok && (n == "mount" || n == "ptrace"):
			out = append(out, n)
		}
	}
	return out
}

// observed reads testdata/NAME.json.
func observed(t *testing.T, name string) *Observations {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var obs Observations
	if err := json.Unmarshal(b, &obs); err != nil {
		t.Fatal(err)
	}
	return &obs
}

// matchGolden compares got with testdata/NAME.toml.golden, which -update
// rewrites.
func matchGolden(t *testing.T, name, got string) {
	t.Helper()
	golden := filepath.Join("testdata", name+".toml.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("the profile differs from %s (go test ./learn -update rewrites it):\n%s", golden, got)
	}
}

func TestSynthesizeGolden(t *testing.T) {
	for _, name := range []string{"nginx", "redis", "mosquitto", "filter"} {
		t.Run(name, func(t *testing.T) {
			matchGolden(t, name, Synthesize(Input{Obs: observed(t, name), Name: name, Host: testHost, Bases: testBases, Seccomp: fakeFit}))
		})
	}
}

// An extension of a profile adds only what the profile lacks.
func TestSynthesizeExtension(t *testing.T) {
	ext := &Existing{
		Include: "nginx.toml", Command: true,
		Shows:    []string{"/usr", "/bin", "/etc/ld.so.cache", "/etc/passwd", "/etc/group", "/etc/hosts", "/etc/nginx", "/var/www", "/var/lib/nginx", "/run"},
		Writable: []string{"/var/lib/nginx", "/run"},
		Dev:      true, HostNet: true,
		Caps:    []string{"NET_BIND_SERVICE", "SETGID", "SETUID"},
		Refused: func(names []string) []string { return fakeFit("daemon", names) },
	}
	got := Synthesize(Input{Obs: observed(t, "nginx"), Name: "nginx-more", Host: testHost, Bases: testBases, Seccomp: fakeFit, Extends: ext})
	matchGolden(t, "nginx-extension", got)
}

func TestCollapse(t *testing.T) {
	for p, want := range map[string]string{
		"/etc/nginx/sites-enabled/default": "/etc/nginx",
		"/etc/mime.types":                  "/etc/mime.types",
		"/var/www/html/index.html":         "/var/www",
		"/var/lib/redis/dump.rdb":          "/var/lib/redis",
		"/var/log/nginx/access.log":        "/var/log/nginx",
		"/srv/www/a/b":                     "/srv/www",
		"/data/x/y":                        "/data",
		"/usr/local/lib/x.so":              "/usr/local/lib",
	} {
		if got := collapse(p); got != want {
			t.Errorf("collapse(%q) = %q, want %q", p, got, want)
		}
	}
}

func TestOutermost(t *testing.T) {
	got := outermost([]string{"/var/lib/a/b", "/run", "/var/lib/a", "/run/x", "/var/lib/ab"})
	if want := []string{"/run", "/var/lib/a", "/var/lib/ab"}; !slices.Equal(got, want) {
		t.Errorf("outermost = %q, want %q", got, want)
	}
}

func TestScratchOf(t *testing.T) {
	for w, want := range map[string]string{
		"/tmp/x":                  "/tmp",
		"/run/nginx.pid":          "/run",
		"/run/mosquitto/m.pid":    "/run/mosquitto",
		"/var/tmp/a/b":            "/var/tmp",
		"/var/lib/redis/dump.rdb": "",
		"/runner/x":               "",
	} {
		if got := scratchOf(w); got != want {
			t.Errorf("scratchOf(%q) = %q, want %q", w, got, want)
		}
	}
}

// Paths come from the host's file names, which anyone who can create a
// file may choose: none may add TOML to the profile, in a string or in a
// comment.
func TestSynthesizeHostileNames(t *testing.T) {
	evil := "/srv/x\n[security]\ncapabilities = [\"SYS_ADMIN\"]\n#"
	host := fakeHost{evil: {dir: true, mode: 0o755}, "/srv/q\"\\": {mode: 0o644}}
	obs := &Observations{
		Command: []string{"/usr/bin/d", "--opt=a\nb"},
		Files: map[string]Use{
			evil + "/f":            {Read: true},
			"/srv/q\"\\":           {Read: true},
			"/srv/\xff/f":          {Read: true},
			"/var/lib/d/\x01\n[x]": {Write: true},
		},
		Processes: []Process{{Comm: "d", UID: 0, Main: true}},
	}
	out := Synthesize(Input{Obs: obs, Name: "d", Host: host, Bases: testBases, Seccomp: fakeFit})
	var p struct {
		Command  []string
		Bind     []struct{ Source string }
		State    []struct{ Target string }
		Security map[string]any
	}
	md, err := toml.Decode(out, &p)
	if err != nil {
		t.Fatalf("the profile is not TOML: %v\n%s", err, out)
	}
	var keys []string
	for _, k := range md.Keys() {
		keys = append(keys, k.String())
	}
	if slices.Contains(keys, "x") || !slices.Equal(p.Command, obs.Command) {
		t.Errorf("keys %q, command %q:\n%s", keys, p.Command, out)
	}
	if caps, _ := p.Security["capabilities"].([]any); len(caps) != 0 {
		t.Errorf("a file name gave the daemon capabilities %v:\n%s", caps, out)
	}
	var sources []string
	for _, b := range p.Bind {
		sources = append(sources, b.Source)
	}
	if want := []string{"/srv/q\"\\", evil}; !slices.Equal(sources, want) {
		t.Errorf("bind sources %q, want %q (the names as they are)", sources, want)
	}
	if len(p.State) != 1 || p.State[0].Target != "/var/lib/d" {
		t.Errorf("state %v, want /var/lib/d", p.State)
	}
	if !strings.Contains(out, `not UTF-8): "/srv/\xff/f"`) {
		t.Errorf("the path that is not UTF-8 is not named as left out:\n%s", out)
	}
}
