package e2e

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// notifyDaemon shows where NOTIFY_SOCKET points and what /run holds, and
// sends READY=1 the way sd_notify does.
const notifyDaemon = `echo "NOTIFY_SOCKET=$NOTIFY_SOCKET"
echo "run: $(ls /run) fsviews: $(ls /run/fsviews)"
exec /usr/bin/python3 -c '
import os, socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect(os.environ["NOTIFY_SOCKET"])
s.send(b"READY=1\nSTATUS=serving from the jail")
'`

// NOTIFY_SOCKET: the socket alone is bound at /run/fsviews/notify, the
// daemon's NOTIFY_SOCKET says so although [env] clears the environment,
// and its READY=1 reaches the host's socket, in every model.
func TestNotifySocketEveryModel(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	for i, m := range models {
		t.Run(m.name, func(t *testing.T) {
			profile := writeProfile(t, h, "notify", base+m.namespaces)
			sock := filepath.Join(h, "notify"+string(rune('0'+i)))
			l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			r := runEnv(t, append(os.Environ(), "NOTIFY_SOCKET="+sock), "run", profile, "--", "/bin/sh", "-c", notifyDaemon)
			if r.code != 0 {
				t.Fatalf("run failed: %v", r)
			}
			if !strings.Contains(r.stdout, "NOTIFY_SOCKET=/run/fsviews/notify\n") || !strings.Contains(r.stdout, "run: fsviews fsviews: notify\n") {
				t.Errorf("want NOTIFY_SOCKET=/run/fsviews/notify and nothing else in /run:\n%s", r.stdout)
			}
			l.SetDeadline(time.Now().Add(10 * time.Second))
			buf := make([]byte, 256)
			n, err := l.Read(buf)
			if err != nil || string(buf[:n]) != "READY=1\nSTATUS=serving from the jail" {
				t.Errorf("the host's notify socket got %q, %v", buf[:n], err)
			}
		})
	}
}

// A NOTIFY_SOCKET that points nowhere is a warning, never a hang, and the
// daemon runs without it; an abstract socket with a new network
// namespace is an error; with the host's network it passes as it is.
func TestNotifySocketBadInput(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	show := `echo "NOTIFY_SOCKET=$NOTIFY_SOCKET"`
	profile := writeProfile(t, h, "notify", base)
	r := runEnv(t, append(os.Environ(), "NOTIFY_SOCKET=/nonexistent/notify"), "run", profile, "--", "/bin/sh", "-c", show)
	if r.code != 0 || r.stdout != "NOTIFY_SOCKET=\n" || !strings.Contains(r.stderr, "warning: NOTIFY_SOCKET=/nonexistent/notify") {
		t.Errorf("want a warning and no NOTIFY_SOCKET: %v", r)
	}
	r = runEnv(t, append(os.Environ(), "NOTIFY_SOCKET=@fsviews-test"), "run", profile, "--", "/bin/sh", "-c", show)
	if r.code != 0 || r.stdout != "NOTIFY_SOCKET=@fsviews-test\n" {
		t.Errorf("want the abstract socket passed as it is with the host's network: %v", r)
	}
	isolated := writeProfile(t, h, "isolated", base+"[namespaces]\nnet = \"none\"\n")
	r = runEnv(t, append(os.Environ(), "NOTIFY_SOCKET=@fsviews-test"), "run", isolated, "--", "/bin/sh", "-c", show)
	if r.code != 125 || !strings.Contains(r.stderr, "NOTIFY_SOCKET=@fsviews-test is an abstract socket") || !strings.Contains(r.stderr, `net = "host"`) {
		t.Errorf("want exit 125 explaining the abstract socket: %v", r)
	}
}

// ttyProbe reports whether the daemon has a controlling terminal and
// whether it can push input into the terminal with TIOCSTI.
const ttyProbe = `/usr/bin/python3 -c '
import fcntl, os, termios
try:
    os.close(os.open("/dev/tty", os.O_RDWR)); print("ctty=yes")
except OSError as e:
    print("ctty=no errno=%d" % e.errno)
try:
    fcntl.ioctl(0, termios.TIOCSTI, b"#"); print("tiocsti=ok")
except OSError as e:
    print("tiocsti=denied errno=%d" % e.errno)
'`

// Run from a terminal (a pty, fsviews its session leader), the daemon has
// no controlling terminal and TIOCSTI fails, in every model; --tty keeps
// the terminal.
func TestNoControllingTerminal(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	spawn := `import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)`
	for _, m := range models {
		profile := writeProfile(t, h, "tty", base+m.namespaces)
		t.Run(m.name, func(t *testing.T) {
			r := runShell(t, []string{"/usr/bin/python3", "-c", spawn, fsviews(t), "run", profile, "--", "/bin/sh", "-c", ttyProbe})
			out := strings.ReplaceAll(r.stdout, "\r", "")
			if r.code != 0 || !strings.Contains(out, "ctty=no errno=6\n") || !strings.Contains(out, "tiocsti=denied errno=1\n") {
				t.Errorf("want no controlling terminal (ENXIO) and TIOCSTI denied (EPERM): %v", r)
			}
		})
		t.Run(m.name+"/--tty", func(t *testing.T) {
			r := runShell(t, []string{"/usr/bin/python3", "-c", spawn, fsviews(t), "run", "--tty", profile, "--", "/bin/sh", "-c", ttyProbe})
			out := strings.ReplaceAll(r.stdout, "\r", "")
			if r.code != 0 || !strings.Contains(out, "ctty=yes\n") {
				t.Errorf("want the terminal kept with --tty: %v", r)
			}
		})
	}
}
