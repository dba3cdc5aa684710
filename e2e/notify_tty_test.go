package e2e

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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
s.send(b"READY=1\nMAINPID=%d\nSTATUS=serving from the jail" % os.getpid())
'`

// listenNotify listens like a service manager on a datagram socket (a
// path, or "@name" for an abstract one), with SO_PASSCRED on.
func listenNotify(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	raw, err := l.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	raw.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_PASSCRED, 1) })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// notification reads one notification and the PID that sent it.
func notification(t *testing.T, l *net.UnixConn) (string, int32) {
	t.Helper()
	l.SetDeadline(time.Now().Add(10 * time.Second))
	buf, oob := make([]byte, 512), make([]byte, 512)
	n, oobn, _, _, err := l.ReadMsgUnix(buf, oob)
	if err != nil {
		t.Fatalf("no notification: %v", err)
	}
	msgs, _ := syscall.ParseSocketControlMessage(oob[:oobn])
	for _, m := range msgs {
		if cred, err := syscall.ParseUnixCredentials(&m); err == nil {
			return string(buf[:n]), cred.Pid
		}
	}
	return string(buf[:n]), 0
}

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
			l := listenNotify(t, sock)
			cmd := exec.Command(fsviews(t), "run", profile, "--", "/bin/sh", "-c", notifyDaemon)
			cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			r := wait(t, cmd, &stdout, &stderr)
			if r.code != 0 {
				t.Fatalf("run failed: %v", r)
			}
			if !strings.Contains(r.stdout, "NOTIFY_SOCKET=/run/fsviews/notify\n") || !strings.Contains(r.stdout, "run: fsviews fsviews: notify\n") {
				t.Errorf("want NOTIFY_SOCKET=/run/fsviews/notify and nothing else in /run:\n%s", r.stdout)
			}
			msg, sender := notification(t, l)
			// In place the daemon is fsviews' process and sends its own
			// MAINPID; supervised, the supervisor relays from its PID
			// (the main PID) and drops the jail's MAINPID.
			want := "READY=1\nSTATUS=serving from the jail"
			if m.name == "in place" {
				want = fmt.Sprintf("READY=1\nMAINPID=%d\nSTATUS=serving from the jail", cmd.Process.Pid)
			}
			if msg != want || sender != int32(cmd.Process.Pid) {
				t.Errorf("the host's notify socket got %q from PID %d, want %q from fsviews' PID %d", msg, sender, want, cmd.Process.Pid)
			}
		})
	}
}

// The relay is a root process passing the jail's words to systemd: a
// MAINPID smuggled behind "\r" (systemd splits lines on it too), a
// NOTIFYACCESS= or an unknown tag never reaches the service manager, and
// a datagram with a NUL is not relayed at all. Before the relay kept only
// known tags, "READY=1\rMAINPID=1" went out as it came, and systemd made
// that PID the unit's main PID.
func TestNotifyRelayFiltersHostileMessages(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	for _, m := range models[1:] {
		t.Run(m.name, func(t *testing.T) {
			profile := writeProfile(t, h, "notify-attack", base+m.namespaces)
			sock := filepath.Join(h, "notify-attack-"+strings.ReplaceAll(m.name, " ", "-"))
			l := listenNotify(t, sock)
			attack := `exec /usr/bin/python3 -c '
import os, socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect(os.environ["NOTIFY_SOCKET"])
s.send(b"READY=1\x00\nMAINPID=1")
s.send(b"READY=1\rMAINPID=1\rMAINPIDFD=3\nNOTIFYACCESS=all\nX_FSVIEWS=1\rSTATUS=up")
'`
			cmd := exec.Command(fsviews(t), "run", profile, "--", "/bin/sh", "-c", attack)
			cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if r := wait(t, cmd, &stdout, &stderr); r.code != 0 {
				t.Fatalf("run failed: %v", r)
			}
			msg, sender := notification(t, l)
			if msg != "READY=1\nSTATUS=up" {
				t.Errorf("the host's notify socket got %q from PID %d, want only %q", msg, sender, "READY=1\nSTATUS=up")
			}
			l.SetDeadline(time.Now().Add(200 * time.Millisecond))
			if n, err := l.Read(make([]byte, 512)); err == nil {
				t.Errorf("a second notification was relayed (%d bytes): the NUL datagram must be dropped", n)
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
	// In place: with a PID namespace the supervisor relays every socket.
	profile := writeProfile(t, h, "notify", base+"[namespaces]\npid = false\n")
	r := runEnv(t, append(os.Environ(), "NOTIFY_SOCKET=/nonexistent/notify"), "run", profile, "--", "/bin/sh", "-c", show)
	if r.code != 0 || r.stdout != "NOTIFY_SOCKET=\n" || !strings.Contains(r.stderr, "warning: NOTIFY_SOCKET=/nonexistent/notify") {
		t.Errorf("want a warning and no NOTIFY_SOCKET: %v", r)
	}
	r = runEnv(t, append(os.Environ(), "NOTIFY_SOCKET=@fsviews-test"), "run", profile, "--", "/bin/sh", "-c", show)
	if r.code != 0 || r.stdout != "NOTIFY_SOCKET=@fsviews-test\n" {
		t.Errorf("want the abstract socket passed as it is with the host's network: %v", r)
	}
	isolated := writeProfile(t, h, "isolated", base+"[namespaces]\nnet = \"none\"\npid = false\n")
	r = runEnv(t, append(os.Environ(), "NOTIFY_SOCKET=@fsviews-test"), "run", isolated, "--", "/bin/sh", "-c", show)
	if r.code != 125 || !strings.Contains(r.stderr, "NOTIFY_SOCKET=@fsviews-test is an abstract socket") || !strings.Contains(r.stderr, `net = "host"`) {
		t.Errorf("want exit 125 explaining the abstract socket: %v", r)
	}
	// A profile binding the host's /run would have the socket made on the
	// host: an error, and nothing is created.
	sock := filepath.Join(h, "notify-runbind")
	listenNotify(t, sock)
	runBind := writeProfile(t, h, "runbind", base+"[[bind]]\nsource = \""+h+"\"\ntarget = \"/run\"\nmode = \"rw\"\n")
	r = runEnv(t, append(os.Environ(), "NOTIFY_SOCKET="+sock), "run", runBind, "--", "/bin/true")
	if _, err := os.Stat(filepath.Join(h, "fsviews")); r.code != 125 || !strings.Contains(r.stderr, "binds the host's "+h) || err == nil {
		t.Errorf("want exit 125 refusing to make the socket in a host bind, and nothing made (stat: %v): %v", err, r)
	}
	// Supervised, the supervisor relays to the abstract socket from the
	// host's network namespace.
	abstract := fmt.Sprintf("@fsviews-test-%d", os.Getpid())
	l := listenNotify(t, abstract)
	supervised := writeProfile(t, h, "isolated-pid", base+"[namespaces]\nnet = \"none\"\npid = true\n")
	r = runEnv(t, append(os.Environ(), "NOTIFY_SOCKET="+abstract), "run", supervised, "--", "/bin/sh", "-c", notifyDaemon)
	if msg, _ := notification(t, l); r.code != 0 || msg != "READY=1\nSTATUS=serving from the jail" {
		t.Errorf("want READY=1 relayed to %s, got %q; %v", abstract, msg, r)
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
    fcntl.ioctl(0, termios.TIOCSCTTY, 0); print("tiocsctty=ok")
except OSError as e:
    print("tiocsctty=denied errno=%d" % e.errno)
try:
    fcntl.ioctl(0, termios.TIOCSTI, b"#"); print("tiocsti=ok")
except OSError as e:
    print("tiocsti=denied errno=%d" % e.errno)
ign = [l for l in open("/proc/self/status") if l.startswith("SigIgn:")][0].split()[1]
print("sighup-ignored=%s" % ("yes" if int(ign, 16) & 1 else "no"))
'`

// Run from a terminal (a pty, fsviews its session leader), the daemon has
// no controlling terminal, cannot take the caller's back with TIOCSCTTY,
// and TIOCSTI fails; in place, where the daemon would lead fsviews'
// session, run refuses. --tty keeps the terminal.
func TestNoControllingTerminal(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	spawn := `import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)`
	for _, m := range models {
		profile := writeProfile(t, h, "tty", base+m.namespaces)
		t.Run(m.name, func(t *testing.T) {
			r := runShell(t, []string{"/usr/bin/python3", "-c", spawn, fsviews(t), "run", profile, "--", "/bin/sh", "-c", ttyProbe})
			out := strings.ReplaceAll(r.stdout, "\r", "")
			if m.name == "in place" {
				// fsviews leads the pty's session: the daemon, in its
				// place, could retake the terminal (TIOCSCTTY) after
				// TIOCNOTTY, as it did before this was refused.
				if r.code != 125 || !strings.Contains(out, "fsviews leads the session of the terminal on fd 0, and with pid = false the daemon would lead it too") || strings.Contains(out, "ctty=") {
					t.Errorf("want run refused in place as a session leader: %v", r)
				}
				return
			}
			if r.code != 0 || !strings.Contains(out, "ctty=no errno=6\n") || !strings.Contains(out, "tiocsctty=denied errno=1\n") || !strings.Contains(out, "tiocsti=denied errno=1\n") {
				t.Errorf("want no controlling terminal (ENXIO), TIOCSCTTY and TIOCSTI denied (EPERM): %v", r)
			}
			// Dropping the terminal must not leave SIGHUP ignored.
			if !strings.Contains(out, "sighup-ignored=no\n") {
				t.Errorf("the daemon starts with SIGHUP ignored: %v", r)
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
