package profiles

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/fsviews/fsviews/seccomp"
)

// full sets every key of the format once.
var full = lines(
	`name = "web"`,
	`command = ["/usr/sbin/nginx", "-g", "daemon off;"]`,
	`workdir = "/srv/www/"`,
	`hostname = "web1"`,
	`state_root = "/var/lib/jails/"`,
	`[root]`,
	`size = "64M"`,
	`mode = "0711"`,
	`writable = true`,
	`[[bind]]`,
	`source = "/srv//www/"`,
	`[[bind]]`,
	`source = "/etc/passwd"`,
	`target = "/etc/./passwd"`,
	`mode = "rw"`,
	`optional = true`,
	`[[tmpfs]]`,
	`target = "/tmp/"`,
	`size = "1g"`,
	`[[tmpfs]]`,
	`target = "/run"`,
	`size = 4096`,
	`mode = "0o755"`,
	`[[state]]`,
	`target = "/var/lib/nginx"`,
	`[[state]]`,
	`target = "/var/cache/nginx"`,
	`mode = "0750"`,
	`[[dir]]`,
	`target = "/run/nginx"`,
	`[[symlink]]`,
	`target = "/bin"`,
	`to = "usr/bin"`,
	`[[file]]`,
	`target = "/etc/motd"`,
	`content = "hi\n"`,
	`[[file]]`,
	`target = "/etc/hosts"`,
	`source = "/etc/hosts"`,
	`mode = "0444"`,
	`[proc]`,
	`[dev]`,
	`[env]`,
	`clear = false`,
	`set = { LANG = "C.UTF-8" }`,
	`keep = ["TERM"]`,
	`[security]`,
	`no_new_privs = false`,
	`user = "www-data"`,
	`group = "adm"`,
	`capabilities = ["net_bind_service", "CAP_CHOWN", "Cap_Kill", "chown"]`,
	`[namespaces]`,
	`net = "loopback"`,
	`uts = true`,
	`ipc = true`,
	`cgroup = true`,
	`pid = false`,
)

func TestLoadFull(t *testing.T) {
	p, probs := mapLoader(map[string]string{"web.toml": full}, testHost()).Load("web")
	if p == nil || len(probs) != 0 {
		t.Fatalf("Load: want no problems, got:\n%v", probs)
	}
	at := func(line int) Pos { return Pos{File: "library:web.toml", Line: line} }
	want := &Profile{
		Name:       "web",
		Origin:     Pos{File: "library:web.toml"},
		FilesRead:  []string{"library:web.toml"},
		Command:    []string{"/usr/sbin/nginx", "-g", "daemon off;"},
		CommandPos: at(2),
		Workdir:    "/srv/www",
		Hostname:   "web1",
		StateRoot:  "/var/lib/jails",
		Root:       Root{Size: 64 << 20, Mode: 0o711, Writable: true},
		Binds: []Bind{
			{Pos: at(11), Source: "/srv/www", Target: "/srv/www", Mode: ReadOnly},
			{Pos: at(14), Source: "/etc/passwd", Target: "/etc/passwd", Mode: ReadWrite, Optional: true},
		},
		Tmpfs: []Tmpfs{
			{Pos: at(18), Target: "/tmp", Size: 1 << 30, Mode: 0o1777},
			{Pos: at(21), Target: "/run", Size: 4096, Mode: 0o755},
		},
		States: []State{
			{Pos: at(25), Target: "/var/lib/nginx", Mode: 0o700},
			{Pos: at(27), Target: "/var/cache/nginx", Mode: 0o750},
		},
		Dirs:     []Dir{{Pos: at(30), Target: "/run/nginx", Mode: 0o755}},
		Symlinks: []Symlink{{Pos: at(32), Target: "/bin", To: "usr/bin"}},
		Files: []File{
			{Pos: at(35), Target: "/etc/motd", Content: "hi\n", Mode: 0o644},
			{Pos: at(38), Target: "/etc/hosts", Source: "/etc/hosts", Mode: 0o444},
		},
		Proc: &Proc{Pos: at(41), NetSysctls: ReadOnly},
		Dev:  &Mounted{Pos: at(42)},
		Env:  Env{Clear: false, Set: map[string]string{"LANG": "C.UTF-8"}, Keep: []string{"TERM"}},
		Security: Security{
			NoNewPrivs: false, User: "www-data", Group: "adm", UserPos: at(49), GroupPos: at(50), CapsPos: at(51),
			UID: 33, GID: 4, Caps: []string{"CAP_NET_BIND_SERVICE", "CAP_CHOWN", "CAP_KILL"},
		},
		Namespaces: Namespaces{UTS: true, IPC: true, Cgroup: true, Net: NetLoopback, NetPos: Pos{File: "library:web.toml", Line: 53}, PIDPos: at(57)},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("Load(full):\n got %+v\nwant %+v", *p, *want)
	}
}

func TestLoadDefaults(t *testing.T) {
	p, probs := mapLoader(map[string]string{"app.toml": lines(`# nothing`)}, nil).Load("app")
	if p == nil || len(probs) != 0 {
		t.Fatalf("Load: want no problems, got:\n%v", probs)
	}
	want := &Profile{
		Name: "app", Origin: Pos{File: "library:app.toml"}, FilesRead: []string{"library:app.toml"},
		Workdir: "/", Root: Root{Mode: 0o755},
		Env:        Env{Clear: true, Set: map[string]string{}},
		Security:   Security{NoNewPrivs: true, UID: -1, GID: -1, Caps: DefaultCaps()},
		Namespaces: Namespaces{Net: NetHost, PID: true, Cgroup: true},
		Seccomp:    &Seccomp{Pos: Pos{File: "library:app.toml"}, Spec: seccomp.Spec{Preset: "default"}, Implicit: true},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("Load(empty):\n got %+v\nwant %+v", *p, *want)
	}
}

func TestSizes(t *testing.T) {
	for _, tc := range []struct {
		size string
		want int64
	}{
		{`"64M"`, 64 << 20},
		{`"1g"`, 1 << 30},
		{`"512k"`, 512 << 10},
		{`"512K"`, 512 << 10},
		{`"1GiB"`, 1 << 30},
		{`"2MB"`, 2 << 20},
		{`"16 M"`, 16 << 20},
		{`"4096"`, 4096},
		{`4096`, 4096},
		{`"4294967296G"`, 1 << 62},
	} {
		t.Run(tc.size, func(t *testing.T) {
			p, probs := mapLoader(map[string]string{"p.toml": lines(`[root]`, `size = `+tc.size)}, nil).Load("p")
			if p == nil {
				t.Fatalf("size = %s: want it accepted, got:\n%v", tc.size, probs)
			}
			if p.Root.Size != tc.want {
				t.Errorf("size = %s: got %d, want %d", tc.size, p.Root.Size, tc.want)
			}
		})
	}
}

func TestModes(t *testing.T) {
	for _, tc := range []struct {
		mode string
		want uint32
	}{{"0755", 0o755}, {"755", 0o755}, {"1777", 0o1777}, {"0o700", 0o700}, {"0", 0}, {"7777", 0o7777}} {
		t.Run(tc.mode, func(t *testing.T) {
			p, probs := mapLoader(map[string]string{"p.toml": lines(`[[dir]]`, `target = "/d"`, `mode = "`+tc.mode+`"`)}, nil).Load("p")
			if p == nil {
				t.Fatalf("mode %q: want it accepted, got:\n%v", tc.mode, probs)
			}
			if p.Dirs[0].Mode != tc.want {
				t.Errorf("mode %q: got %#o, want %#o", tc.mode, p.Dirs[0].Mode, tc.want)
			}
		})
	}
}

func TestCapabilities(t *testing.T) {
	for _, tc := range []struct {
		name, security string
		want           []string
	}{
		{"absent gives the default set", ``, DefaultCaps()},
		{"empty list keeps none", `capabilities = []`, []string{}},
		{"with and without CAP_, any case", `capabilities = ["CAP_NET_RAW", "net_admin", "Sys_Chroot", " kill "]`,
			[]string{"CAP_NET_RAW", "CAP_NET_ADMIN", "CAP_SYS_CHROOT", "CAP_KILL"}},
		{"duplicates kept once, first position", `capabilities = ["chown", "kill", "CAP_CHOWN", "cap_kill"]`,
			[]string{"CAP_CHOWN", "CAP_KILL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, probs := mapLoader(map[string]string{"p.toml": lines(`[security]`, tc.security)}, nil).Load("p")
			if p == nil || len(probs) != 0 {
				t.Fatalf("want no problems, got:\n%v", probs)
			}
			if !reflect.DeepEqual(p.Security.Caps, tc.want) {
				t.Errorf("caps: got %#v, want %#v", p.Security.Caps, tc.want)
			}
		})
	}
}

func TestIdentity(t *testing.T) {
	for _, tc := range []struct {
		name, security string
		uid, gid       int
	}{
		{"none keeps the caller's", ``, -1, -1},
		{"user name", `user = "www-data"`, 33, 33},
		{"user and group names", `user = "alice"` + "\n" + `group = "adm"`, 1000, 4},
		{"numeric user: gid = uid", `user = "4242"`, 4242, 4242},
		{"numeric user and group", `user = "4242"` + "\n" + `group = "99"`, 4242, 99},
		{"root by number", `user = "0"`, 0, 0},
		{"name and number", `user = "www-data"` + "\n" + `group = "0"`, 33, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, probs := mapLoader(map[string]string{"p.toml": lines(`[security]`, tc.security)}, testHost()).Load("p")
			if p == nil || len(probs) != 0 {
				t.Fatalf("want no problems, got:\n%v", probs)
			}
			if p.Security.UID != tc.uid || p.Security.GID != tc.gid {
				t.Errorf("uid:gid = %d:%d, want %d:%d", p.Security.UID, p.Security.GID, tc.uid, tc.gid)
			}
		})
	}
}

// TestIncludeMerge checks how an includer's values combine with those of
// the files it includes, in include order.
func TestIncludeMerge(t *testing.T) {
	files := map[string]string{
		"base/a.toml": lines(
			`command = ["/bin/a"]`,
			`workdir = "/a"`,
			`[[bind]]`,
			`source = "/usr"`,
			`[env]`,
			`set = { A = "from-a", SHARED = "a" }`,
			`keep = ["HOME"]`,
			`[security]`,
			`user = "www-data"`,
			`capabilities = ["kill"]`,
			`[namespaces]`,
			`net = "none"`,
		),
		"base/b.toml": lines(
			`command = ["/bin/b"]`,
			`[[tmpfs]]`,
			`target = "/tmp"`,
			`[env]`,
			`set = { SHARED = "b" }`,
			`keep = ["TERM"]`,
		),
		"app.toml": lines(
			`include = ["base/a.toml", "base/b.toml"]`,
			`workdir = "/app"`,
			`[[bind]]`,
			`source = "/srv/www"`,
			`[env]`,
			`set = { C = "app" }`,
			`[security]`,
			`capabilities = ["chown"]`,
		),
	}
	p, probs := mapLoader(files, testHost()).Load("app")
	if p == nil || len(probs) != 0 {
		t.Fatalf("Load: want no problems, got:\n%v", probs)
	}
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"files read, includes first", p.FilesRead, []string{"library:base/a.toml", "library:base/b.toml", "library:app.toml"}},
		{"command: later wins", p.Command, []string{"/bin/b"}},
		{"workdir: includer wins", p.Workdir, "/app"},
		{"binds concatenate", []string{p.Binds[0].Target, p.Binds[1].Target}, []string{"/usr", "/srv/www"}},
		{"bind positions name their file", p.Binds[0].Pos.String(), "library:base/a.toml:4"},
		{"tmpfs from b", len(p.Tmpfs), 1},
		{"env.set merges key by key", p.Env.Set, map[string]string{"A": "from-a", "SHARED": "b", "C": "app"}},
		{"env.keep concatenates", p.Env.Keep, []string{"HOME", "TERM"}},
		{"capabilities replaced", p.Security.Caps, []string{"CAP_CHOWN"}},
		{"user from a", p.Security.User, "www-data"},
		{"net from a", p.Namespaces.Net, NetNone},
		{"name from the top file", p.Name, "app"},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.what, c.got, c.want)
		}
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLoadFromDisk covers files on disk: includes relative to the
// including file, the fallback to the library, bare names in SearchDirs
// (before the library), and what a missing name is told.
func TestLoadFromDisk(t *testing.T) {
	dir := t.TempDir()
	etc, local := filepath.Join(dir, "etc"), filepath.Join(dir, "local")
	write(t, filepath.Join(etc, "app.toml"), lines(`include = ["frag/tmp.toml", "base/lib.toml"]`, `command = ["/bin/app"]`))
	write(t, filepath.Join(etc, "frag/tmp.toml"), lines(`include = ["../frag2/run.toml"]`, `[[tmpfs]]`, `target = "/tmp"`))
	write(t, filepath.Join(etc, "frag2/run.toml"), lines(`[[tmpfs]]`, `target = "/run"`))
	write(t, filepath.Join(etc, "bad.toml"), lines(`# bad`, `include = ["nope.toml"]`))
	write(t, filepath.Join(etc, "cycle.toml"), lines(`include = ["cycle.toml"]`))
	write(t, filepath.Join(local, "app.toml"), lines(`command = ["/bin/local"]`))
	write(t, filepath.Join(local, "minimul.toml"), lines(`command = ["/bin/local"]`))
	lib := map[string]string{
		"base/lib.toml": lines(`[[dir]]`, `target = "/lib"`),
		"app.toml":      lines(`command = ["/bin/library"]`),
		"minimal.toml":  lines(`command = ["/bin/sh"]`),
	}
	loader := mapLoader(lib, nil)

	t.Run("includes relative to the file, then the library", func(t *testing.T) {
		p, probs := loader.Load(filepath.Join(etc, "app.toml"))
		if p == nil || len(probs) != 0 {
			t.Fatalf("want no problems, got:\n%v", probs)
		}
		want := []string{filepath.Join(etc, "frag2/run.toml"), filepath.Join(etc, "frag/tmp.toml"), "library:base/lib.toml", filepath.Join(etc, "app.toml")}
		if !reflect.DeepEqual(p.FilesRead, want) {
			t.Errorf("files read: got %q, want %q", p.FilesRead, want)
		}
		if p.Tmpfs[0].Pos.String() != filepath.Join(etc, "frag2/run.toml")+":2" {
			t.Errorf("tmpfs position: got %s", p.Tmpfs[0].Pos)
		}
	})
	t.Run("missing include at the include line", func(t *testing.T) {
		_, probs := loader.Load(filepath.Join(etc, "bad.toml"))
		checkProblems(t, probs, []want{{pos: filepath.Join(etc, "bad.toml") + ":2", key: "include",
			msg: "cannot include " + filepath.Join(etc, "nope.toml") + ": open " + filepath.Join(etc, "nope.toml") + ": no such file or directory"}})
	})
	t.Run("self include on disk names the absolute path", func(t *testing.T) {
		f := filepath.Join(etc, "cycle.toml")
		_, probs := loader.Load(f)
		checkProblems(t, probs, []want{{pos: f + ":1", key: "include", msg: "include cycle: " + f + " -> " + f}})
	})
	t.Run("missing file", func(t *testing.T) {
		f := filepath.Join(etc, "nope.toml")
		_, probs := loader.Load(f)
		checkProblems(t, probs, []want{{pos: f, key: "", msg: "no such profile file; check the path, or name a bundled profile"}})
	})
	t.Run("search dirs in order, before the library", func(t *testing.T) {
		for _, tc := range []struct {
			dirs []string
			want string
		}{
			{[]string{local, etc}, "/bin/local"},
			{[]string{etc, local}, "/bin/app"},
			{nil, "/bin/library"},
		} {
			l := loader
			l.SearchDirs = tc.dirs
			p, probs := l.Load("app")
			if p == nil {
				t.Fatalf("dirs %q: %v", tc.dirs, probs)
			}
			if p.Command[0] != tc.want {
				t.Errorf("dirs %q: loaded the profile with command %q, want %q", tc.dirs, p.Command[0], tc.want)
			}
		}
	})
	t.Run("unknown bare name lists the names and suggests one", func(t *testing.T) {
		l := loader
		l.SearchDirs = []string{local}
		_, probs := l.Load("minmal")
		checkProblems(t, probs, []want{{pos: "minmal", msg: `no profile named "minmal" in ` + local + ` or the bundled library; did you mean "minimal"?; available: app, minimal, minimul`}})
	})
	t.Run("a profile with errors is not suggested, and is listed apart", func(t *testing.T) {
		dir := t.TempDir()
		// "minmal" is one letter from "minmql", two from "minimal".
		write(t, filepath.Join(dir, "minmql.toml"), lines(`command = ["/bin/sh"]`, `comand = ["/bin/sh"]`))
		write(t, filepath.Join(dir, "loops.toml"), lines(`include = ["loops.toml"]`))
		l := loader
		l.SearchDirs = []string{dir}
		_, probs := l.Load("minmal")
		checkProblems(t, probs, []want{{pos: "minmal", msg: `no profile named "minmal" in ` + dir + ` or the bundled library; did you mean "minimal"?; available: app, minimal; with errors (fsviews check NAME says which): loops, minmql`}})
	})
	t.Run("unknown bare name without search dirs", func(t *testing.T) {
		_, probs := loader.Load("zzzzzzzzzz")
		checkProblems(t, probs, []want{{pos: "zzzzzzzzzz", msg: `no profile named "zzzzzzzzzz" in the bundled library; available: app, minimal`}})
	})
	t.Run("no name", func(t *testing.T) {
		_, probs := loader.Load("")
		checkProblems(t, probs, []want{{pos: "(command line)", msg: "no profile named: give a path or a bundled profile name"}})
	})
}

// TestBundledLibrary loads every bundled profile with the real host: the
// profiles users start from must load on any machine fsviews supports.
func TestBundledLibrary(t *testing.T) {
	l := Loader{Library: Library(), Host: OSHost{}}
	names := l.Available()
	for _, want := range []string{"demo", "minimal"} {
		if !slices.Contains(names, want) {
			t.Errorf("Available() = %q lacks %q", names, want)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			p, probs := l.Load(name)
			if p == nil {
				t.Fatalf("bundled profile %s does not load:\n%v", name, probs)
			}
			for _, w := range probs {
				// Optional ld.so files may be missing on some hosts.
				if !strings.Contains(w.Msg, "optional source") {
					t.Errorf("unexpected warning: %v", w)
				}
			}
			if len(p.Command) == 0 {
				t.Errorf("bundled profile %s has no command", name)
			}
		})
	}
}
