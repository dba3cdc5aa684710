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

// NOTIFY_SOCKET: a socket file is bound alone at NotifyTarget and the
// daemon is told that path; an abstract socket passes as it is, unbound.
func TestNotifySocket(t *testing.T) {
	p := &profiles.Profile{Name: "n", Command: []string{"/d"}, Workdir: "/"}
	for _, tc := range []struct {
		socket, notify string
		op             string
	}{
		{"/run/systemd/notify", NotifyTarget, "socket     /run/fsviews/notify          <- /run/systemd/notify rw"},
		{"@abstract", "@abstract", ""},
		{"", "", ""},
	} {
		plan := Compile(p, Options{NotifySocket: tc.socket})
		if plan.Notify != tc.notify {
			t.Errorf("%q: Notify = %q, want %q", tc.socket, plan.Notify, tc.notify)
		}
		var sockets []string
		for _, op := range plan.Ops {
			if op.Kind == Socket {
				sockets = append(sockets, op.String())
			}
		}
		if want := []string{tc.op}; tc.op == "" && len(sockets) > 0 || tc.op != "" && strings.Join(sockets, "\n") != strings.Join(want, "\n") {
			t.Errorf("%q: socket ops %q, want %q", tc.socket, sockets, tc.op)
		}
	}
}

// pid = true adds the PID namespace and says which process model runs;
// plans without it print as before.
func TestPIDNamespacePlan(t *testing.T) {
	p := &profiles.Profile{Name: "p", Command: []string{"/d"}, Workdir: "/", Namespaces: profiles.Namespaces{Net: profiles.NetHost}}
	if s := Compile(p, Options{}).String(); strings.Contains(s, "# process") {
		t.Errorf("a plan without a PID namespace names a process model:\n%s", s)
	}
	p.Namespaces.PID = true
	plan := Compile(p, Options{})
	if !plan.PID || plan.AsPID1 || strings.Join(plan.Unshare, ",") != "mnt,pid" {
		t.Errorf("pid = true: PID %v AsPID1 %v Unshare %v", plan.PID, plan.AsPID1, plan.Unshare)
	}
	if !strings.Contains(plan.String(), "# process: supervised: fsviews stays outside a new PID namespace; fsviews' init is its PID 1") {
		t.Errorf("plan does not name the init model:\n%s", plan)
	}
	p.Namespaces.AsPID1 = true
	if s := Compile(p, Options{}).String(); !strings.Contains(s, "the daemon is its PID 1") {
		t.Errorf("plan does not name the as_pid_1 model:\n%s", s)
	}
}
