package profiles

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/fsviews/fsviews/rlimits"
)

// tableCaller is a caller with uid 1000 whose access(2) answers come from
// a table: path -> the modes allowed; a path not in it does not exist.
func tableCaller(allowed map[string]uint32, hard map[string]uint64) Caller {
	return Caller{
		UID: 1000, GID: 1000,
		Access: func(p string, mode uint32) error {
			m, ok := allowed[p]
			switch {
			case !ok:
				return &fs.PathError{Op: "access", Path: p, Err: fs.ErrNotExist}
			case m&mode != mode:
				return &fs.PathError{Op: "access", Path: p, Err: fs.ErrPermission}
			}
			return nil
		},
		HardLimit: func(name string) (uint64, bool) { v, ok := hard[name]; return v, ok },
		StateRoot: "/home/u/.local/state/fsviews",
	}
}

func u64(v uint64) *uint64 { return &v }

func TestRootlessProblems(t *testing.T) {
	at := func(line int) Pos { return Pos{File: "p.toml", Line: line} }
	allowed := map[string]uint32{"/usr": 5, "/etc/shadow": 0, "/home/u": 7, "/": 5, "/home": 5}
	hard := map[string]uint64{"nofile": 4096, "nproc": 100}
	ok := func(p *Profile) {}
	for _, tc := range []struct {
		name   string
		change func(p *Profile)
		want   []string // one substring per expected error, in order
	}{
		{"a plain view", ok, nil},
		{"unreadable bind", func(p *Profile) {
			p.Binds = append(p.Binds, Bind{Pos: at(7), Source: "/etc/shadow", Target: "/etc/shadow"})
		}, []string{"p.toml:7: [[bind]] #2 source: uid 1000 cannot read /etc/shadow"}},
		{"missing optional bind passes", func(p *Profile) {
			p.Binds = append(p.Binds, Bind{Pos: at(7), Source: "/nope", Target: "/nope", Optional: true})
		}, nil},
		{"another user", func(p *Profile) {
			p.Security.User, p.Security.UserPos, p.Security.UID = "www-data", at(9), 33
		}, []string{"p.toml:9: security.user: user \"www-data\" (uid 33) is not you"}},
		{"yourself is fine", func(p *Profile) {
			p.Security.User, p.Security.UID, p.Security.Group, p.Security.GID = "u", 1000, "u", 1000
		}, nil},
		{"another group", func(p *Profile) {
			p.Security.Group, p.Security.GroupPos, p.Security.GID = "adm", at(10), 4
		}, []string{"p.toml:10: security.group: group \"adm\" (gid 4) is not your group"}},
		{"CAP_SYS_ADMIN", func(p *Profile) {
			p.Security.Caps, p.Security.CapsPos = []string{"CAP_SYS_ADMIN"}, at(11)
		}, []string{"CAP_SYS_ADMIN in a rootless jail would let the daemon unmount"}},
		{"CAP_CHOWN", func(p *Profile) {
			p.Security.Caps, p.Security.CapsPos = []string{"CAP_CHOWN"}, at(11)
		}, []string{"CAP_CHOWN has no meaning in a rootless jail"}},
		{"net cap on the host network", func(p *Profile) {
			p.Security.Caps, p.Security.CapsPos = []string{"CAP_NET_BIND_SERVICE"}, at(11)
		}, []string{"CAP_NET_BIND_SERVICE has no meaning in a rootless jail with net = \"host\""}},
		{"net cap in its own network", func(p *Profile) {
			p.Security.Caps, p.Security.CapsPos = []string{"CAP_NET_BIND_SERVICE"}, at(11)
			p.Namespaces.Net = NetLoopback
		}, nil},
		{"default caps are not the profile's", func(p *Profile) { p.Security.Caps = DefaultCaps() }, nil},
		{"hard limit raised", func(p *Profile) {
			p.Limits = []Limit{{Pos: at(13), Limit: rlimits.Limit{Name: "nofile", Hard: u64(8192)}}}
		}, []string{"p.toml:13: limits.nofile: hard limit 8192 is above your own hard limit 4096"}},
		{"soft above hard", func(p *Profile) {
			p.Limits = []Limit{{Pos: at(13), Limit: rlimits.Limit{Name: "nproc", Soft: u64(200)}}}
		}, []string{"soft limit 200 is above your hard limit 100"}},
		{"limits within", func(p *Profile) {
			p.Limits = []Limit{{Pos: at(13), Limit: rlimits.Limit{Name: "nofile", Soft: u64(1024), Hard: u64(4096)}}}
		}, nil},
		{"state root not writable", func(p *Profile) {
			p.States = []State{{Pos: at(15), Target: "/s"}}
			p.StateRoot = "/var/lib/fsviews"
		}, nil}, // the caller's StateRoot decides, see below
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Profile{Origin: Pos{File: "p.toml"}, Binds: []Bind{{Pos: at(3), Source: "/usr", Target: "/usr"}},
				Security: Security{UID: -1, GID: -1}, Namespaces: Namespaces{Net: NetHost}}
			tc.change(p)
			probs := Rootless(p, tableCaller(allowed, hard))
			if len(probs) != len(tc.want) {
				t.Fatalf("want %d problems, got:\n%v", len(tc.want), probs)
			}
			for i, w := range tc.want {
				if probs[i].Warning || !strings.Contains(probs[i].String(), w) {
					t.Errorf("problem %d: want an error containing %q, got %q", i, w, probs[i])
				}
				if !strings.Contains(probs[i].Msg, "remove") && !strings.Contains(probs[i].Msg, "run fsviews as root") && !strings.Contains(probs[i].Msg, "lower") {
					t.Errorf("problem %d says no fix: %q", i, probs[i])
				}
			}
		})
	}
}

func TestRootlessStateRoot(t *testing.T) {
	allowed := map[string]uint32{"/": 5, "/var": 5, "/var/lib": 5, "/home": 5, "/home/u": 7}
	p := &Profile{Origin: Pos{File: "p.toml"}, States: []State{{Target: "/s"}}, Security: Security{UID: -1, GID: -1}}
	for _, tc := range []struct {
		root string
		want string
	}{
		{"/home/u/.local/state/fsviews", ""}, // created under /home/u, which is writable
		{"/var/lib/fsviews", "uid 1000 cannot create state dirs under /var/lib/fsviews (/var/lib:"},
	} {
		c := tableCaller(allowed, nil)
		c.StateRoot = tc.root
		probs := Rootless(p, c)
		switch {
		case tc.want == "" && len(probs) > 0:
			t.Errorf("%s: want no problem, got %v", tc.root, probs)
		case tc.want != "" && (len(probs) != 1 || !strings.Contains(probs[0].Msg, tc.want) || !strings.Contains(probs[0].Msg, "--state-dir")):
			t.Errorf("%s: want %q with a fix, got %v", tc.root, tc.want, probs)
		}
	}
	// No state dirs, no question.
	c := tableCaller(allowed, nil)
	c.StateRoot = "/var/lib/fsviews"
	if probs := Rootless(&Profile{Security: Security{UID: -1, GID: -1}}, c); len(probs) > 0 {
		t.Errorf("a profile without state dirs: %v", probs)
	}
}
