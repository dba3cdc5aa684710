package views

import (
	"strings"
	"testing"

	"github.com/fsviews/fsviews/profiles"
)

// [logging] adds one socket bind per host socket, with the parents it
// needs made in the root tmpfs, and nothing else of /run or /dev.
func TestLoggingSocketsAreSingleBinds(t *testing.T) {
	p := &profiles.Profile{Name: "log", Command: []string{"/d"}, Workdir: "/"}
	p.Logging = profiles.Logging{Syslog: true, Journal: true, Pos: profiles.Pos{File: "log.toml", Line: 3}}
	plan := Compile(p, Options{})
	var got []string
	for _, op := range plan.Ops {
		got = append(got, op.String())
	}
	want := []string{
		"root       /",
		"mkdir      /dev                         mode=0755",
		"socket     /dev/log                     <- /dev/log rw",
		"mkdir      /run                         mode=0755",
		"mkdir      /run/systemd                 mode=0755",
		"mkdir      /run/systemd/journal         mode=0755",
		"socket     /run/systemd/journal/socket  <- /run/systemd/journal/socket rw",
		"socket     /run/systemd/journal/stdout  <- /run/systemd/journal/stdout rw",
		"remount-ro /",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("plan ops:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, op := range plan.Ops {
		if op.Kind == Socket && op.Origin != "log.toml:3" {
			t.Errorf("%s: origin %q, want log.toml:3", op.Target, op.Origin)
		}
	}
}

// Without [logging] no socket is bound.
func TestNoLoggingNoSockets(t *testing.T) {
	plan := Compile(&profiles.Profile{Name: "x", Command: []string{"/d"}, Workdir: "/"}, Options{})
	for _, op := range plan.Ops {
		if op.Kind == Socket {
			t.Errorf("unexpected %s", op)
		}
	}
}
