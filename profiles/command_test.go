package profiles

import (
	"testing"
)

// A profile whose daemon is not installed names the missing program at
// the command line, and says to install its package.
func TestCheckCommandMissing(t *testing.T) {
	h := testHost()
	h.paths["/usr/sbin"] = true
	h.paths["/usr/sbin/present"] = false // a file, mode 0644 in fakeInfo
	h.paths["/opt/tool/run"] = false
	const libc = `[[bind]]
source = "/usr"
[[symlink]]
target = "/sbin"
to = "usr/sbin"
`
	for _, tc := range []struct {
		name    string
		profile string
		wants   []want
	}{
		{"missing under a bind", lines(`command = ["/usr/sbin/nginx", "-g", "daemon off;"]`, `include = ["base.toml"]`),
			[]want{{pos: "library:p.toml:1", key: "command", msg: "/usr/sbin/nginx is not installed on this host: file does not exist: install the package providing /usr/sbin/nginx (apt-file search /usr/sbin/nginx names it), or fix the path"}}},
		{"missing through a symlink", lines(`include = ["base.toml"]`, `command = ["/sbin/redis-server"]`),
			[]want{{pos: "library:p.toml:2", key: "command", msg: "/sbin/redis-server is not installed on this host (the view shows it from /usr/sbin/redis-server, through the bind of /usr): file does not exist: install the package providing /usr/sbin/redis-server"}}},
		{"missing through a bind with another target", lines(`command = ["/tool/daemon"]`, `[[bind]]`, `source = "/opt/tool"`, `target = "/tool"`),
			[]want{
				{pos: "library:p.toml:1", key: "command", msg: "/tool/daemon is not installed on this host (the view shows it from /opt/tool/daemon, through the bind of /tool)"},
				{pos: "library:p.toml:4", key: "[[bind]] source", msg: "/opt/tool: file does not exist"},
			}},
		{"not executable", lines(`include = ["base.toml"]`, `command = ["/usr/sbin/present"]`),
			[]want{{pos: "library:p.toml:2", key: "command", msg: "/usr/sbin/present is not an executable file on this host: name the program itself, or make it executable"}}},
		{"a directory", lines(`include = ["base.toml"]`, `command = ["/usr/bin"]`),
			[]want{{pos: "library:p.toml:2", key: "command", msg: "/usr/bin is not an executable file on this host"}}},
		// Not covered by a bind: a file the profile writes, a state dir,
		// a bare name looked up in PATH at run time.
		{"in a state dir", lines(`include = ["base.toml"]`, `command = ["/var/lib/app/run"]`, `[[state]]`, `target = "/var/lib/app"`), nil},
		{"bare name", lines(`include = ["base.toml"]`, `command = ["no-such-daemon"]`), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := mapLoader(map[string]string{"p.toml": tc.profile, "base.toml": libc}, h).Load("p")
			checkProblems(t, probs, tc.wants)
		})
	}
}

func TestHostPath(t *testing.T) {
	p := &Profile{
		Binds: []Bind{
			{Source: "/usr", Target: "/usr"},
			{Source: "/srv/site", Target: "/usr/share/site"},
			{Source: "/", Target: "/host"},
		},
		Symlinks: []Symlink{
			{Target: "/bin", To: "usr/bin"},
			{Target: "/usr/share/site/current", To: "/usr/share/site"}, // shadowed by the bind; never seen
			{Target: "/loop/a", To: "/loop/b"},
			{Target: "/loop/b", To: "/loop/a"},
			{Target: "/opt/x", To: "../host/opt"},
		},
		Tmpfs: []Tmpfs{{Target: "/usr/lib/app"}},
	}
	for _, tc := range []struct {
		view, host, bind string
		ok               bool
	}{
		{"/usr/bin/env", "/usr/bin/env", "/usr", true},
		{"/bin/sh", "/usr/bin/sh", "/usr", true},
		{"/usr", "/usr", "/usr", true},
		{"/usrx/bin", "", "", false},
		{"/usr/share/site/index.html", "/srv/site/index.html", "/usr/share/site", true},
		{"/host/etc/hosts", "/etc/hosts", "/host", true},
		{"/opt/x/tool", "/opt/tool", "/host", true},
		{"/loop/a/x", "", "", false},
		{"/tmp/x", "", "", false},
		{"/usr/lib/app/run", "", "", false}, // a tmpfs inside the bind of /usr hides it
		{"/usr/lib/app", "", "", false},
		{"/usr/lib/apps", "/usr/lib/apps", "/usr", true},
	} {
		host, bind, ok := p.HostPath(tc.view)
		if host != tc.host || bind != tc.bind || ok != tc.ok {
			t.Errorf("HostPath(%s) = %q, %q, %v; want %q, %q, %v", tc.view, host, bind, ok, tc.host, tc.bind, tc.ok)
		}
	}
}
