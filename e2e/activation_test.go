package e2e

import (
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// listenDaemon reports what socket activation left it, then answers one
// connection on fd 3.
const listenDaemon = `echo "fds=$LISTEN_FDS names=$LISTEN_FDNAMES pid=$LISTEN_PID self=$$"
[ -e /proc/$$/fd/3 ] && echo "fd3 open"
[ -e /proc/$$/fd/4 ] && echo "LEAK: fd 4 open"
[ -e /proc/$$/fd/3 ] || exit 0
exec /usr/bin/python3 -c 'import socket; s = socket.socket(fileno=3); c, _ = s.accept(); c.send(b"hi from the jail"); c.close()'`

// activate runs fsviews the way systemd does for a socket unit: the
// listening socket at fd 3, a leaked descriptor at fd 4 (no O_CLOEXEC),
// LISTEN_PID set to fsviews' PID. env is put before fsviews' command
// line; pidVar is what LISTEN_PID says ("$$" is fsviews' PID).
func activate(t *testing.T, profile, sock string, env string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	lf, err := l.File()
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	leak, err := os.Open(filepath.Dir(sock))
	if err != nil {
		t.Fatal(err)
	}
	defer leak.Close()
	script := `export ` + env + `; exec "$0" run "$1" -- /bin/sh -c "$2"`
	cmd := exec.Command("/bin/sh", "-c", script, fsviews(t), profile, listenDaemon)
	cmd.ExtraFiles = []*os.File{lf, leak}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stdout, &stderr
}

// Socket activation: fd 3 passes into the jail and works, LISTEN_FDS and
// LISTEN_FDNAMES pass although [env] clears the environment, LISTEN_PID
// is the daemon's own PID as it sees it, and the leaked fd 4 is closed.
func TestSocketActivationEveryModel(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	for i, m := range models {
		t.Run(m.name, func(t *testing.T) {
			profile := writeProfile(t, h, "listen", base+m.namespaces)
			sock := filepath.Join(h, "s"+string(rune('0'+i)))
			cmd, stdout, stderr := activate(t, profile, sock, `LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=web`)
			c, err := net.DialTimeout("unix", sock, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(20 * time.Second))
			got, _ := io.ReadAll(c)
			c.Close()
			r := wait(t, cmd, stdout, stderr)
			if string(got) != "hi from the jail" {
				t.Errorf("the jail did not answer on the passed socket: got %q; %v", got, r)
			}
			first := strings.SplitN(r.stdout, "\n", 2)[0]
			f := strings.Fields(first)
			if len(f) != 4 || f[0] != "fds=1" || f[1] != "names=web" || strings.TrimPrefix(f[2], "pid=") != strings.TrimPrefix(f[3], "self=") {
				t.Errorf("want fds=1 names=web and LISTEN_PID equal to the daemon's PID, got %q", first)
			}
			if m.name == "as_pid_1" && f[2] != "pid=1" {
				t.Errorf("as PID 1 the daemon's LISTEN_PID must be 1: %q", first)
			}
			if !strings.Contains(r.stdout, "fd3 open") || strings.Contains(r.stdout, "LEAK") || r.code != 0 {
				t.Errorf("want fd 3 open and fd 4 closed: %v", r)
			}
		})
	}
}

// LISTEN_PID naming another process: a warning, and nothing is passed.
// LISTEN_FDS larger than the descriptors passed: an error naming the fd.
func TestSocketActivationBadInput(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	profile := writeProfile(t, h, "listen", base)
	t.Run("LISTEN_PID not ours", func(t *testing.T) {
		cmd, stdout, stderr := activate(t, profile, filepath.Join(h, "a"), `LISTEN_PID=1 LISTEN_FDS=1`)
		r := wait(t, cmd, stdout, stderr)
		if r.code != 0 || !strings.Contains(r.stderr, "LISTEN_PID=1 is not fsviews' PID") || !strings.HasPrefix(r.stdout, "fds= names= pid=") || strings.Contains(r.stdout, "fd3 open") {
			t.Errorf("want a warning and no socket passed: %v", r)
		}
	})
	t.Run("LISTEN_FDS too large", func(t *testing.T) {
		cmd, stdout, stderr := activate(t, profile, filepath.Join(h, "b"), `LISTEN_PID=$$ LISTEN_FDS=3`)
		r := wait(t, cmd, stdout, stderr)
		if r.code != 125 || !strings.Contains(r.stderr, "LISTEN_FDS=3") || !strings.Contains(r.stderr, "fd 5 is not open") {
			t.Errorf("want exit 125 naming LISTEN_FDS=3 and fd 5: %v", r)
		}
	})
	t.Run("LISTEN_FDS not a number", func(t *testing.T) {
		cmd, stdout, stderr := activate(t, profile, filepath.Join(h, "c"), `LISTEN_PID=$$ LISTEN_FDS=x`)
		r := wait(t, cmd, stdout, stderr)
		if r.code != 125 || !strings.Contains(r.stderr, `LISTEN_FDS="x"`) {
			t.Errorf("want exit 125 naming LISTEN_FDS: %v", r)
		}
	})
}
