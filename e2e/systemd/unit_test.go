package systemd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// common ends every test profile: libc, /proc, /dev and a scratch /tmp.
// Top-level keys such as command must come before it.
const common = `include = ["base/libc.toml"]
[proc]
[dev]
[[tmpfs]]
target = "/tmp"
size = "4M"
`

// unitArgs are the arguments of fsviews unit for profile: the state
// dirs stay in the test directory.
func unitArgs(profile string, more ...string) []string {
	return append(append([]string{"--state-dir", inside + "/state"}, more...), profile)
}

// systemd-analyze verify accepts every unit fsviews unit prints, plain
// and with paths that need quoting and escaping.
func TestGeneratedUnitsVerify(t *testing.T) {
	h := need(t)
	plain := h.profile(t, "verify", `command = ["/bin/true"]`+"\n"+common)
	odd := h.file(t, "profiles/odd %n $HOME it's/verify-odd.toml", `command = ["/bin/true"]`+"\n"+common, 0o644)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"fsviews-verify.service", unitArgs(plain)},
		{"verify-notify.service", unitArgs(plain, "--type", "notify", "--name", "verify-notify")},
		{"fsviews-verify-odd.service", unitArgs(odd)},
		{"verify-minimal.service", []string{"--name", "verify-minimal", "minimal"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := h.file(t, filepath.Join("units", tc.name), h.unit(t, tc.args...), 0o644)
			if out := h.exec(t, "systemd-analyze", "verify", p); out != "" {
				t.Errorf("systemd-analyze verify %s complains:\n%s\nunit:\n%s", tc.name, out, h.unit(t, tc.args...))
			}
		})
	}
}

// lifecycle is a daemon that reports its start, SIGHUP and SIGTERM, on
// which it exits 0.
const lifecycle = `command = ["/bin/sh", "-c", '''
echo "started pid=$$"
echo "this line goes to stderr" >&2
trap 'echo "got SIGHUP"' HUP
trap 'echo "got SIGTERM, exiting 0"; kill $sleeper; exit 0' TERM
while :; do sleep 1 & sleeper=$!; wait $sleeper; done
''']
`

// A Type=simple unit: active (running) with the daemon itself as MainPID
// (pid = false: fsviews execs it in place), stdout and stderr in the journal under the
// profile's name, SIGHUP on reload, SIGTERM on stop, and a clean stop.
func TestSimpleUnit(t *testing.T) {
	h := need(t)
	profile := h.profile(t, "lifecycle", lifecycle+common+"[namespaces]\npid = false\n")
	unit := h.unit(t, unitArgs(profile)...)
	// KillMode=mixed sends SIGTERM to the main process only: the stop
	// below proves that the daemon gets it, not that systemd signalled
	// every process of the unit (control-group, the default, would).
	setting(t, unit, "KillMode=mixed", "KillMode=mixed")
	const name = "fsviews-lifecycle.service"
	h.install(t, name, unit)
	h.systemctl(t, "start", name)

	s := h.waitStatus(t, name, "active (running)", active)
	pid := s["MainPID"]
	h.waitJournal(t, name, "lifecycle["+pid+"]: started pid="+pid)
	h.waitJournal(t, name, "lifecycle["+pid+"]: this line goes to stderr")
	if comm := strings.TrimSpace(h.exec(t, "cat", "/proc/"+pid+"/comm")); comm != "sh" {
		t.Errorf("MainPID %s is %q, want the daemon (sh) that replaced fsviews", pid, comm)
	}
	if jail, host := h.exec(t, "readlink", "/proc/"+pid+"/ns/mnt"), h.exec(t, "readlink", "/proc/1/ns/mnt"); jail == host {
		t.Errorf("MainPID %s shares systemd's mount namespace (%s): it is not in a view", pid, jail)
	}

	h.systemctl(t, "reload", name)
	h.waitJournal(t, name, "lifecycle["+pid+"]: got SIGHUP")
	if s := h.status(t, name); !active(s) || s["MainPID"] != pid {
		t.Errorf("after reload: %s, want active (running) with MainPID %s", s, pid)
	}

	h.systemctl(t, "stop", name)
	s = h.status(t, name)
	if s["ActiveState"] != "inactive" || s["SubState"] != "dead" || s["Result"] != "success" ||
		s["ExecMainCode"] != "1" || s["ExecMainStatus"] != "0" {
		t.Errorf("after stop: %s, want inactive (dead), Result=success, exited (ExecMainCode=1) with 0\njournal:\n%s", s, h.journal(t, name))
	}
	if j := h.journal(t, name); !strings.Contains(j, "lifecycle["+pid+"]: got SIGTERM, exiting 0") {
		t.Errorf("the daemon never reported SIGTERM:\n%s", j)
	}
}

// With a PID namespace, fsviews stays the main PID as the daemon's
// supervisor (branch sysd): reload and stop reach the daemon only because
// fsviews passes SIGHUP and SIGTERM on (KillMode=mixed signals the main
// PID alone), and the unit still ends inactive (dead) with success.
func TestSimpleUnitPIDNamespace(t *testing.T) {
	h := need(t)
	profile := h.profile(t, "lifecycle-pidns", lifecycle+common+"[namespaces]\npid = true\n")
	const name = "fsviews-lifecycle-pidns.service"
	h.install(t, name, h.unit(t, unitArgs(profile)...))
	h.systemctl(t, "start", name)

	s := h.waitStatus(t, name, "active (running)", active)
	pid := s["MainPID"]
	h.waitJournal(t, name, "started pid=")
	if comm := strings.TrimSpace(h.exec(t, "cat", "/proc/"+pid+"/comm")); comm != "fsviews" {
		t.Errorf("MainPID %s is %q, want the fsviews supervisor", pid, comm)
	}
	// ps finds the jail by its unit's name and shows the unit and
	// systemd's main PID.
	ps := h.exec(t, inside+"/bin/fsviews", "ps", "--json", name)
	var rows []struct {
		Name    string
		Unit    string
		MainPID int `json:"main_pid"`
	}
	if err := json.Unmarshal([]byte(ps), &rows); err != nil || len(rows) != 1 || rows[0].Unit != name || strconv.Itoa(rows[0].MainPID) != pid {
		t.Errorf("fsviews ps --json %s: want unit %s and main PID %s: %v\n%s", name, name, pid, err, ps)
	}
	h.systemctl(t, "reload", name)
	h.waitJournal(t, name, "got SIGHUP")
	h.systemctl(t, "stop", name)
	s = h.status(t, name)
	if s["ActiveState"] != "inactive" || s["SubState"] != "dead" || s["Result"] != "success" {
		t.Errorf("after stop: %s, want inactive (dead), Result=success\njournal:\n%s", s, h.journal(t, name))
	}
	if j := h.journal(t, name); !strings.Contains(j, "got SIGTERM, exiting 0") {
		t.Errorf("the daemon never reported SIGTERM:\n%s", j)
	}
}

// What the daemon's end looks like to systemd: its own exit status, its
// own death by signal, a restart after a failure, and no restart after
// fsviews' own failure (RestartPreventExitStatus=125 126 127).
func TestExitStatusUnderSystemd(t *testing.T) {
	h := need(t)
	const pidns = "[namespaces]\npid = true\n"
	exited3 := status{"ActiveState": "failed", "Result": "exit-code", "ExecMainCode": "1", "ExecMainStatus": "3", "NRestarts": "0"}
	killed := status{"ActiveState": "failed", "Result": "signal", "ExecMainCode": "2", "ExecMainStatus": "10", "NRestarts": "0"}
	for _, tc := range []struct {
		name, command string
		namespaces    string // appended to the profile
		noRestart     bool   // replace Restart=on-failure with Restart=no
		want          status
		journal       string
	}{
		{"exit3", `["/bin/sh", "-c", "echo exiting 3; exit 3"]`, "", true, exited3, "exiting 3"},
		{"killed", `["/bin/sh", "-c", "echo killing myself with SIGUSR1; kill -USR1 $$"]`, "", true, killed, "killing myself"},
		{"notfound", `["/no/such/daemon"]`, "", false,
			status{"ActiveState": "failed", "Result": "exit-code", "ExecMainCode": "1", "ExecMainStatus": "127", "NRestarts": "0"}, "/no/such/daemon"},
		// With a PID namespace the main PID is fsviews' supervisor, which
		// must end the way the daemon did (branch sysd).
		{"exit3-pidns", `["/bin/sh", "-c", "echo exiting 3; exit 3"]`, pidns, true, exited3, "exiting 3"},
		{"killed-pidns", `["/bin/sh", "-c", "echo killing myself with SIGUSR1; kill -USR1 $$"]`, pidns, true, killed, "killing myself"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			profile := h.profile(t, tc.name, "command = "+tc.command+"\n"+common+tc.namespaces)
			unit := h.unit(t, unitArgs(profile)...)
			if tc.noRestart {
				unit = setting(t, unit, "Restart=on-failure", "Restart=no")
			}
			name := "fsviews-" + tc.name + ".service"
			h.install(t, name, unit)
			h.systemctl(t, "start", name)
			s := h.waitStatus(t, name, "an end", settled)
			for k, v := range tc.want {
				if s[k] != v {
					t.Errorf("%s=%s, want %s (%s)", k, s[k], v, s)
				}
			}
			if j := h.journal(t, name); !strings.Contains(j, tc.journal) {
				t.Errorf("the journal lacks %q:\n%s", tc.journal, j)
			}
		})
	}

	t.Run("restart", func(t *testing.T) {
		profile := h.profile(t, "flaky", `command = ["/bin/sh", "-c", '''
if [ ! -e /var/lib/flaky/failed-once ]; then touch /var/lib/flaky/failed-once; echo "failing once"; exit 3; fi
echo "second start"
trap 'exit 0' TERM
while :; do sleep 1 & wait $!; done
''']
`+common+`[[state]]
target = "/var/lib/flaky"
# In place: the journal names the daemon by MainPID.
[namespaces]
pid = false
`)
		const name = "fsviews-flaky.service"
		h.install(t, name, h.unit(t, unitArgs(profile)...))
		h.systemctl(t, "start", name)
		s := h.waitStatus(t, name, "active (running) after one restart", func(s status) bool { return active(s) && s["NRestarts"] == "1" })
		h.waitJournal(t, name, "flaky["+s["MainPID"]+"]: second start")
		if j := h.journal(t, name); !strings.Contains(j, "failing once") {
			t.Errorf("the journal lacks the first, failed start:\n%s", j)
		}
	})
}

// The restrictions in the unit reach the daemon inside the view: with
// the generated RestrictNamespaces= it cannot make a user namespace;
// without it (the control) it can.
func TestRestrictionsReachTheDaemon(t *testing.T) {
	h := need(t)
	// preset = "none": the unit's restriction is under test, not the
	// default filter, which refuses unshare by itself.
	profile := h.profile(t, "restricted", `command = ["/bin/sh", "-c", "if unshare --user true; then echo user namespace: allowed; else echo user namespace: refused; fi"]`+"\n"+common+"[seccomp]\npreset = \"none\"\n")
	unit := h.unit(t, unitArgs(profile)...)
	for _, tc := range []struct {
		name, unit, want string
	}{
		{"fsviews-restricted.service", unit, "user namespace: refused"},
		{"control-unrestricted.service", setting(t, unit, "RestrictNamespaces=mnt cgroup pid", "RestrictNamespaces=no"), "user namespace: allowed"},
	} {
		h.install(t, tc.name, tc.unit)
		h.systemctl(t, "start", tc.name)
		if s := h.waitStatus(t, tc.name, "an end", settled); s["Result"] != "success" {
			t.Errorf("%s: %s\njournal:\n%s", tc.name, s, h.journal(t, tc.name))
		}
		if j := h.journal(t, tc.name); !strings.Contains(j, tc.want) {
			t.Errorf("%s: the daemon did not say %q:\n%s", tc.name, tc.want, j)
		}
	}
}

// A profile whose path needs quoting and escaping in ExecStart (space,
// '%', '$', quote) still runs.
func TestOddProfilePath(t *testing.T) {
	h := need(t)
	profile := h.file(t, "profiles/odd %n $HOME it's/odd.toml", `command = ["/bin/sh", "-c", "echo odd path ok"]`+"\n"+common, 0o644)
	const name = "fsviews-odd.service"
	h.install(t, name, h.unit(t, unitArgs(profile)...))
	h.systemctl(t, "start", name)
	s := h.waitStatus(t, name, "an end", settled)
	if s["ActiveState"] != "inactive" || s["Result"] != "success" {
		t.Errorf("%s\njournal:\n%s", s, h.journal(t, name))
	}
	h.waitJournal(t, name, "odd path ok")
}

// notifyDaemon waits for its gate file, then sends READY=1 over
// $NOTIFY_SOCKET itself (systemd-notify would report its parent's PID),
// and exits 0 on SIGTERM.
const notifyDaemon = `import os, signal, socket, sys, time

addr = os.environ.get("NOTIFY_SOCKET")
if not addr:
    print("NOTIFY_SOCKET is not set inside the view", flush=True)
    sys.exit(1)
if not addr.startswith("@") and not os.path.exists(addr):
    print(f"NOTIFY_SOCKET={addr} is not inside the view", flush=True)
    sys.exit(1)

def notify(msg):
    addr = os.environ["NOTIFY_SOCKET"]
    if addr.startswith("@"):
        addr = "\0" + addr[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(msg.encode(), addr)
    except OSError as e:
        print(f"cannot notify {addr!r} from inside the view: {e}", flush=True)
        sys.exit(1)

def term(signum, frame):
    print("got SIGTERM, exiting 0", flush=True)
    notify("STOPPING=1")
    sys.exit(0)

signal.signal(signal.SIGTERM, term)
gate = sys.argv[1]
print(f"waiting for the gate, pid={os.getpid()}", flush=True)
while not os.path.exists(gate):
    time.sleep(0.05)
notify("READY=1\nSTATUS=serving")
print("sent READY=1", flush=True)
while True:
    signal.pause()
`

// A Type=notify unit is active only once the daemon inside the view has
// sent READY=1, and its status text reaches systemd. fsviews passes
// NOTIFY_SOCKET and the socket into the view ("notify"), through the
// supervisor's relay with a PID namespace ("notify-pidns");
// "notify-bound" also binds systemd's socket and keeps the variable
// itself, as profiles written before fsviews did it may, and must still
// work.
func TestNotifyUnit(t *testing.T) {
	h := need(t)
	script := h.file(t, "profiles/notify.py", notifyDaemon, 0o644)
	for _, tc := range []struct {
		profile, namespaces string
	}{
		{"notify-bound", "[[bind]]\nsource = \"/run/systemd/notify\"\n[env]\nkeep = [\"NOTIFY_SOCKET\"]\n[namespaces]\npid = false\n"},
		{"notify", "[namespaces]\npid = false\n"},
		{"notify-pidns", "[namespaces]\npid = true\n"},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			gate := filepath.Join(inside, "gate", tc.profile)
			profile := h.profile(t, tc.profile, `command = ["/usr/bin/python3", "`+script+`", "`+gate+`"]`+"\n"+common+`
[[bind]]
source = "`+inside+`/profiles"
[[bind]]
source = "`+inside+`/gate"
`+tc.namespaces)
			name := "fsviews-" + tc.profile + ".service"
			// Restart=no: a daemon that cannot notify fails once, with
			// one clear journal, instead of five times.
			unit := setting(t, h.unit(t, unitArgs(profile, "--type", "notify")...), "Restart=on-failure", "Restart=no")
			h.install(t, name, unit)
			h.exec(t, "systemctl", "start", "--no-block", name)

			h.waitJournal(t, name, "waiting for the gate")
			if s := h.status(t, name); s["ActiveState"] != "activating" {
				t.Fatalf("before READY=1: %s, want activating\njournal:\n%s", s, h.journal(t, name))
			}
			if err := os.WriteFile(filepath.Join(h.dir, "gate", tc.profile), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			s := h.waitStatus(t, name, "active (running)", active)
			h.waitJournal(t, name, "sent READY=1")
			if text := strings.TrimSpace(h.exec(t, "systemctl", "show", "-p", "StatusText", "--value", name)); text != "serving" {
				t.Errorf("StatusText=%q, want the daemon's STATUS=serving", text)
			}
			if !strings.Contains(tc.namespaces, "pid = true") {
				// In place, the daemon is the main PID.
				h.waitJournal(t, name, "waiting for the gate, pid="+s["MainPID"]+"\n")
			} else if comm := strings.TrimSpace(h.exec(t, "cat", "/proc/"+s["MainPID"]+"/comm")); comm != "fsviews" {
				// With a PID namespace, fsviews supervises from outside and
				// stays the main PID; it relays READY=1 from the jail, which
				// the generated NotifyAccess=main accepts only from it.
				t.Errorf("MainPID %s is %q, want the fsviews supervisor", s["MainPID"], comm)
			}

			h.systemctl(t, "stop", name)
			s = h.status(t, name)
			if s["ActiveState"] != "inactive" || s["SubState"] != "dead" || s["Result"] != "success" {
				t.Errorf("after stop: %s, want inactive (dead), Result=success\njournal:\n%s", s, h.journal(t, name))
			}
			// KillMode=mixed signals the main PID alone: with a PID
			// namespace, the daemon hears SIGTERM only if fsviews passes it on.
			if j := h.journal(t, name); !strings.Contains(j, "got SIGTERM, exiting 0") {
				t.Errorf("the daemon never reported SIGTERM:\n%s", j)
			}
		})
	}
}

// The capability bounding set and namespace list of the generated unit
// leave fsviews what it needs for a confined profile: its own UTS, IPC and
// network namespaces with a hostname, a state dir handed to the daemon's
// user, and a switch to that user keeping one capability.
func TestConfinedProfileUnderUnit(t *testing.T) {
	h := need(t)
	profile := h.profile(t, "confined", `hostname = "jail"
command = ["/bin/sh", "-c", '''
echo "user $(id -un)"
echo "caps $(grep CapEff /proc/self/status | cut -f2)"
echo "hostname $(hostname)"
touch /var/lib/confined/written && echo "state dir writable"
''']
`+common+`[[state]]
target = "/var/lib/confined"
[namespaces]
uts = true
ipc = true
net = "none"
[security]
user = "nobody"
capabilities = ["CAP_NET_BIND_SERVICE"]
`)
	unit := h.unit(t, unitArgs(profile)...)
	setting(t, unit, "RestrictNamespaces=mnt uts ipc net cgroup pid", "RestrictNamespaces=mnt uts ipc net cgroup pid")
	const name = "fsviews-confined.service"
	h.install(t, name, unit)
	h.systemctl(t, "start", name)
	s := h.waitStatus(t, name, "an end", settled)
	j := h.journal(t, name)
	if s["Result"] != "success" {
		t.Fatalf("%s\njournal:\n%s", s, j)
	}
	for _, want := range []string{"user nobody", "caps 0000000000000400", "hostname jail", "state dir writable"} {
		if !strings.Contains(j, want) {
			t.Errorf("the daemon did not say %q:\n%s", want, j)
		}
	}
	fi, err := os.Stat(filepath.Join(h.dir, "state", "confined", "var", "lib", "confined", "written"))
	if err != nil {
		t.Fatalf("the daemon's file is not in its state dir on the host: %v", err)
	}
	if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != 65534 {
		t.Errorf("the daemon's file belongs to uid %d, want nobody (65534)", uid)
	}
}
