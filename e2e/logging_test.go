package e2e

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// logClient runs inside the view: it lists what the view holds under
// /dev and /run, then writes one message to each logging socket.
const logClient = `import os, socket
for d in ["/dev", "/run", "/run/systemd", "/run/systemd/journal"]:
    print("ls", d, " ".join(sorted(os.listdir(d))))
for p in ["/dev/log", "/run/systemd/journal/socket"]:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.connect(p)
    s.send(b"hello from the jail via " + p.encode())
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("/run/systemd/journal/stdout")
s.send(b"hello from the jail via stdout")
print("sent")
`

// [logging] binds exactly the logging sockets into the view, and the
// daemon can talk to them; nothing else of /run (here a D-Bus socket and
// a file beside the journal's) is in the view. The host side is faked in
// a private mount namespace: tmpfs over /dev and /run, sockets made by a
// listener, so the test needs neither journald nor syslog.
func TestLoggingSocketsReachable(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	profile := writeProfile(t, h, "logging", `include = ["base/libc.toml"]
[proc]
[logging]
syslog = true
journal = true
`)
	_, here, _, _ := runtime.Caller(0)
	sink := filepath.Join(filepath.Dir(here), "testdata", "logsink.py")
	script := `set -e
touch "$2/null" && mount --bind /dev/null "$2/null"
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /dev
touch /dev/null && mount --bind "$2/null" /dev/null
mkdir -p /run/systemd/journal /run/dbus
echo private > /run/systemd/private-file
/usr/bin/python3 "$1" "$2/ready" 3 > "$2/sink.out" &
n=0; while [ ! -e "$2/ready" ]; do sleep 0.02; n=$((n+1)); [ $n -lt 1000 ] || exit 9; done
"$3" plan "$4"
"$3" run "$4" -- /usr/bin/python3 -c "$5"
wait
cat "$2/sink.out"`
	r := runShell(t, []string{"unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", sink, h, fsviews(t), profile, logClient})
	if r.code != 0 {
		t.Fatalf("run failed: %v", r)
	}
	for _, want := range []string{
		"socket     /dev/log                     <- /dev/log rw",
		"socket     /run/systemd/journal/socket  <- /run/systemd/journal/socket rw",
		"socket     /run/systemd/journal/stdout  <- /run/systemd/journal/stdout rw",
		"ls /dev log\n",
		"ls /run systemd\n",
		"ls /run/systemd journal\n",
		"ls /run/systemd/journal socket stdout\n",
		"sent\n",
		"/dev/log hello from the jail via /dev/log\n",
		"/run/systemd/journal/socket hello from the jail via /run/systemd/journal/socket\n",
		"/run/systemd/journal/stdout hello from the jail via stdout\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r)
		}
	}
}

// A [logging] socket the host does not have is an error of check and run
// that names the key and the path.
func TestLoggingSocketMissing(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	profile := writeProfile(t, h, "nolog", "command = [\"/bin/true\"]\n[logging]\njournal = true\n")
	script := `mount -t tmpfs tmpfs /run && exec "$1" run "$2"`
	r := runShell(t, []string{"unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", fsviews(t), profile})
	if r.code != 125 || !strings.Contains(r.stderr, "nolog.toml:2: [logging]") || !strings.Contains(r.stderr, "/run/systemd/journal/socket") {
		t.Errorf("want exit 125 naming nolog.toml:2 [logging] and the socket, got %v", r)
	}
}
