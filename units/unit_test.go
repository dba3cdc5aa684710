package units

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsviews/fsviews/profiles"
)

var update = flag.Bool("update", false, "rewrite the golden units in testdata/")

// web is a typical profile: default capabilities, no_new_privs, the
// host's network.
func web() *profiles.Profile {
	return &profiles.Profile{
		Name:       "web",
		Origin:     profiles.Pos{File: "/etc/fsviews/web.toml"},
		Command:    []string{"/usr/sbin/nginx", "-g", "daemon off;"},
		Security:   profiles.Security{NoNewPrivs: true, UID: -1, GID: -1, Caps: profiles.DefaultCaps()},
		Namespaces: profiles.Namespaces{Net: profiles.NetHost},
	}
}

// Each generated unit is compared with a saved one; `go test ./units
// -update` rewrites them after a deliberate change (review the diff).
func TestGenerateGolden(t *testing.T) {
	for _, tc := range []struct {
		golden  string
		profile func() *profiles.Profile
		opt     Options
	}{
		{"simple", web, Options{Executable: "/usr/local/bin/fsviews", Profile: "/etc/fsviews/web.toml"}},
		{"notify", web, Options{Type: Notify, Executable: "/usr/local/bin/fsviews", Profile: "/etc/fsviews/web.toml"}},
		{"notify-pid-namespace", func() *profiles.Profile {
			p := web()
			p.Namespaces = profiles.Namespaces{PID: true, Net: profiles.NetLoopback, UTS: true, IPC: true, Cgroup: true}
			p.Security.Caps = []string{"CAP_NET_BIND_SERVICE"}
			return p
		}, Options{Type: Notify, Executable: "/usr/bin/fsviews", Profile: "/etc/fsviews/web.toml"}},
		{"library-name-state-dir", func() *profiles.Profile {
			p := web()
			p.Name, p.Origin.File = "minimal", "library:minimal.toml"
			p.Namespaces.Net = profiles.NetNone
			p.Security.Caps = []string{}
			p.Security.NoNewPrivs = false
			return p
		}, Options{Name: "jail", Executable: "/usr/bin/fsviews", Profile: "minimal", StateDir: "/srv/fsviews-state"}},
		{"quoted-paths", func() *profiles.Profile {
			p := web()
			p.Origin.File = `/srv/my profiles/100% "$HOME" it's.toml`
			return p
		}, Options{Executable: "/opt/fs views/fsviews", Profile: `/srv/my profiles/100% "$HOME" it's.toml`, StateDir: "/srv/state $1"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			u, err := Generate(tc.profile(), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join("testdata", tc.golden+".service")
			if *update {
				if err := os.WriteFile(file, []byte(u.Text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test ./units -update to create it)", err)
			}
			if u.Text != string(want) {
				t.Errorf("unit differs from %s (go test ./units -update rewrites it):\n%s", file, u.Text)
			}
		})
	}
}

// What each unit must say, independent of the golden files' wording.
func TestGenerateSettings(t *testing.T) {
	settings := func(text string) map[string]string {
		m := map[string]string{}
		for _, l := range strings.Split(text, "\n") {
			if k, v, ok := strings.Cut(l, "="); ok && !strings.HasPrefix(l, "#") {
				if _, dup := m[k]; dup {
					t.Errorf("%s= set twice", k)
				}
				m[k] = v
			}
		}
		return m
	}
	opt := Options{Executable: "/usr/bin/fsviews", Profile: "/etc/fsviews/web.toml"}
	u, err := Generate(web(), opt)
	if err != nil {
		t.Fatal(err)
	}
	s := settings(u.Text)
	for k, want := range map[string]string{
		"Type":                     "simple",
		"ExecStart":                "/usr/bin/fsviews run /etc/fsviews/web.toml",
		"ExecReload":               "/bin/kill -HUP $MAINPID",
		"KillMode":                 "mixed",
		"Restart":                  "on-failure",
		"RestartPreventExitStatus": "125 126 127",
		"NoNewPrivileges":          "yes",
		"RestrictNamespaces":       "mnt",
		"SyslogIdentifier":         "web",
	} {
		if s[k] != want {
			t.Errorf("%s=%q, want %q", k, s[k], want)
		}
	}
	// A profile with its own user namespace needs systemd to allow it.
	withUser := web()
	withUser.Namespaces.User, withUser.Namespaces.PID = true, true
	if u, err := Generate(withUser, opt); err != nil || !strings.Contains(u.Text, "\nRestrictNamespaces=mnt pid user\n") {
		t.Errorf("[namespaces] user = true: want RestrictNamespaces=mnt pid user, got %v\n%s", err, u.Text)
	}
	if _, ok := s["NotifyAccess"]; ok {
		t.Errorf("a simple unit sets NotifyAccess=%s", s["NotifyAccess"])
	}
	if u.Name != "fsviews-web.service" {
		t.Errorf("default name %q, want fsviews-web.service", u.Name)
	}
	for _, c := range append(profiles.DefaultCaps(), "CAP_SYS_ADMIN", "CAP_SETPCAP") {
		if !strings.Contains(" "+s["CapabilityBoundingSet"]+" ", " "+c+" ") {
			t.Errorf("CapabilityBoundingSet=%s lacks %s", s["CapabilityBoundingSet"], c)
		}
	}
	for _, c := range []string{"CAP_SYS_MODULE", "CAP_SYS_PTRACE", "CAP_NET_ADMIN", "CAP_BPF"} {
		if strings.Contains(s["CapabilityBoundingSet"], c) {
			t.Errorf("CapabilityBoundingSet=%s keeps %s, which neither fsviews nor the profile needs", s["CapabilityBoundingSet"], c)
		}
	}

	for _, tc := range []struct {
		pid          bool
		notifyAccess string
	}{{false, "main"}, {true, "main"}} {
		p := web()
		p.Namespaces.PID = tc.pid
		u, err := Generate(p, Options{Type: Notify, Executable: "/usr/bin/fsviews", Profile: "web"})
		if err != nil {
			t.Fatal(err)
		}
		s := settings(u.Text)
		if s["Type"] != "notify" || s["NotifyAccess"] != tc.notifyAccess {
			t.Errorf("pid namespace %v: Type=%s NotifyAccess=%s, want notify and %s", tc.pid, s["Type"], s["NotifyAccess"], tc.notifyAccess)
		}
	}

	p := web()
	p.Security.NoNewPrivs = false
	u, err = Generate(p, opt)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := settings(u.Text)["NoNewPrivileges"]; ok {
		t.Errorf("no_new_privs = false in the profile, but the unit sets NoNewPrivileges=%s", v)
	}
}

func TestGenerateErrors(t *testing.T) {
	good := Options{Executable: "/usr/bin/fsviews", Profile: "/etc/fsviews/web.toml"}
	for _, tc := range []struct {
		name    string
		profile func() *profiles.Profile
		opt     func(o *Options)
		want    []string
	}{
		{"no command", func() *profiles.Profile { p := web(); p.Command = nil; return p }, func(*Options) {},
			[]string{"/etc/fsviews/web.toml has no command", `add command = ["/path/to/daemon"`}},
		{"bad name", web, func(o *Options) { o.Name = "my web" }, []string{`unit name "my web"`, `" " is not allowed`, `try "my-web.service"`}},
		{"bad type", web, func(o *Options) { o.Type = "forking" }, []string{`type "forking" is not generated`, `"simple"`, `"notify"`}},
		{"newline in profile", web, func(o *Options) { o.Profile = "/etc/x\nExecStartPre=/evil" }, []string{"the profile", "control character", "rename it"}},
		{"backslash in state dir", web, func(o *Options) { o.StateDir = `/srv/a\` }, []string{"the state directory", "backslash", "rename it"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := good
			tc.opt(&o)
			u, err := Generate(tc.profile(), o)
			if err == nil {
				t.Fatalf("no error; unit:\n%s", u.Text)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if u.Text != "" {
				t.Errorf("a unit came with the error:\n%s", u.Text)
			}
		})
	}
}

func TestServiceName(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"web", "web.service", ""},
		{"web.service", "web.service", ""},
		{"web.v2", "web.v2.service", ""},
		{"fsviews-nginx_1:a", "fsviews-nginx_1:a.service", ""},
		{`a\x2db`, `a\x2db.service`, ""},
		{"", "", "the unit name is empty"},
		{".service", "", "nothing before .service"},
		{"web.socket", "", `use "web.service"`},
		{"web@.service", "", "template and instance units"},
		{"web@1", "", `e.g. "web-1.service"`},
		{"wéb", "", `"é" is not allowed`},
		{"a/b", "", `try "a-b.service"`},
		{strings.Repeat("a", 247), strings.Repeat("a", 247) + ".service", ""},
		{strings.Repeat("a", 248), "", "at most 255"},
	} {
		got, err := ServiceName(tc.in)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("ServiceName(%q): %v", tc.in, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ServiceName(%q) = %q, %v; want an error saying %q", tc.in, got, err, tc.err)
		case got != tc.want:
			t.Errorf("ServiceName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseType(t *testing.T) {
	for _, tc := range []struct{ in, err string }{
		{"simple", ""},
		{"notify", ""},
		{"exec", `use "simple"`},
		{"forking", "in the foreground"},
		{"oneshot", "in the foreground"},
		{"Notify", `unknown type "Notify"`},
		{"", `unknown type ""`},
	} {
		got, err := ParseType(tc.in)
		switch {
		case tc.err == "" && (err != nil || string(got) != tc.in):
			t.Errorf("ParseType(%q) = %q, %v", tc.in, got, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseType(%q) = %q, %v; want an error saying %q", tc.in, got, err, tc.err)
		}
	}
}

// The worked example in docs/systemd.md is the golden "simple" unit,
// comments aside: the page must not drift from what fsviews prints.
func TestDocsExampleIsCurrent(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "systemd.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Generating a unit\n")
	_, example, ok2 := strings.Cut(section, "```ini\n")
	example, _, ok3 := strings.Cut(example, "```\n")
	if !ok || !ok2 || !ok3 {
		t.Fatal("docs/systemd.md has no ```ini example under \"## Generating a unit\"")
	}
	golden, err := os.ReadFile(filepath.Join("testdata", "simple.service"))
	if err != nil {
		t.Fatal(err)
	}
	settings := func(s string) string {
		var keep []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.HasPrefix(l, "#") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	if settings(example) != settings(string(golden)) {
		t.Errorf("the example in docs/systemd.md differs from units/testdata/simple.service; copy the settings over:\n%s", settings(string(golden)))
	}
}
