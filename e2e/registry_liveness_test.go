package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Issue #14 point 4: a jail that runs `exec unshare -U -m ...` leaves the
// namespaces fsviews made for it but is alive, holding its state dir. It
// used to look stopped: ps said "stale", inspect and checkpoint exited 2,
// ps --prune dropped its record and a second jail of its name then started
// beside it, sharing its state. Now it is drift: alive, never pruned, its
// name refused, inspected (exit 1), and checkpoint and diff say which
// tmpfs they did not read.
func TestDriftedJailIsAliveNotStale(t *testing.T) {
	requireRoot(t)
	a := newAuditEnv(t)
	// In place, as in the issue, without a filter that refuses unshare:
	// the record names the daemon itself.
	profile := writeProfile(t, hostDir(t), "app", base+`
[[state]]
target = "/var/lib/app"
[namespaces]
pid = false
[seccomp]
preset = "none"
`)
	sd := filepath.Join(a.state, "app", "var/lib/app")
	mustWrite(t, filepath.Join(sd, "db"), "one\n")
	r := a.run(t, "checkpoint", "--profile", profile, "--state-dir", a.state, "--label", "base")
	if r.code != 0 {
		t.Fatalf("baseline: %v", r)
	}

	// "ready" comes from inside the new namespaces: by then it has left.
	pid, jail := a.start(t, "run", "--state-dir", a.state, profile, "--", "/bin/sh", "-c",
		`exec unshare -U -m /bin/sh -c 'echo ready; exec sleep 600'`)
	p := strconv.Itoa(pid)

	r = a.run(t, "ps")
	drift := "drift: process " + p + " has left the namespaces fsviews made for it: mnt "
	if r.code != 0 || !strings.Contains(r.stdout, drift) || strings.Contains(r.stdout, "stale") {
		t.Errorf("ps: want the jail alive as drift, got %v", r)
	}

	// Not pruned; its record stays.
	r = a.run(t, "ps", "--prune")
	if r.code != 0 || strings.Contains(r.stderr, "pruned") || !strings.Contains(r.stdout, drift) {
		t.Errorf("ps --prune of a drifted jail: %v", r)
	}

	// A second jail of its name is refused before anything runs.
	r = a.run(t, "run", "--state-dir", a.state, profile, "--", "/bin/sh", "-c", "echo second > /var/lib/app/second")
	if r.code != 125 || !strings.Contains(r.stderr, "jail app is already running as PID "+p) || !strings.Contains(r.stderr, "drifted") {
		t.Errorf("second run of the name: want exit 125 naming the live jail, got %v", r)
	}
	if _, err := os.Stat(filepath.Join(sd, "second")); !os.IsNotExist(err) {
		t.Errorf("a second jail ran beside the first, in its state dir: %v", err)
	}

	// inspect reads it, and reports the namespaces it left as drift.
	r = a.run(t, "inspect", "app")
	if r.code != 1 || !strings.Contains(r.stdout, "DRIFT  ns mnt at start") || !strings.Contains(r.stdout, "drift: the jail's process has left the namespaces") {
		t.Errorf("inspect of a drifted jail: want exit 1 and the ns lines, got %v", r)
	}

	// checkpoint reads the host side and says what it did not read.
	mustWrite(t, filepath.Join(sd, "db"), "two\n")
	r = a.run(t, "checkpoint", "--label", "now", "app")
	if r.code != 0 || !strings.Contains(r.stdout, "host side only: jail app drifted, its tmpfs were not read: process "+p) ||
		!strings.Contains(r.stdout, "not read: /dev, /dev/shm, /tmp") {
		t.Errorf("checkpoint of a drifted jail: %v", r)
	}

	// diff against the host-side baseline: neither side holds the tmpfs,
	// and diff says so, with the reason.
	r = a.run(t, "diff", "--against", "base", "app")
	if r.code != 1 || !hasLine(r.stdout, "Files /var/lib/app/db differ") ||
		!strings.Contains(r.stderr, "not compared (tmpfs, jail app drifted, its tmpfs were not read: process "+p) ||
		!strings.Contains(r.stderr, "): /dev, /dev/shm, /tmp") {
		t.Errorf("diff of a drifted jail: %v", r)
	}

	// Once it is gone it is stale, and diff of the stopped jail against
	// the host-side baseline still names what it did not compare.
	stop(jail)
	r = a.run(t, "ps")
	if !strings.Contains(r.stdout, "stale: process "+p+" is gone") {
		t.Errorf("ps after the jail ended: %v", r)
	}
	r = a.run(t, "diff", "--against", "base", "app")
	if r.code != 1 || !strings.Contains(r.stderr, "not compared (tmpfs, the jail was not running for one side): /dev, /dev/shm, /tmp") {
		t.Errorf("diff of the stopped jail: %v", r)
	}
	r = a.run(t, "ps", "--prune")
	if !strings.Contains(r.stderr, "pruned app: process "+p+" is gone") {
		t.Errorf("prune of the stopped jail: %v", r)
	}
}

// Issue #14 point 6: with the checkpoint store inside the state root (the
// default layout: /var/lib/fsviews/checkpoints), a jail named
// "checkpoints" got the store as its state dir: its state dir /web was
// another jail's checkpoints, it replaced that jail's baseline, and diff
// exited 0 over a setuid file planted in that jail's state. The name is
// reserved, and run refuses any state dir or read-write bind that
// overlaps the store or the registry.
func TestJailCannotWriteCheckpoints(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	state := filepath.Join(h, "state")
	a := auditEnv{runtime: filepath.Join(h, "run"), checkpoints: filepath.Join(state, "checkpoints"), state: state}
	victim := writeProfile(t, h, "web", base+`
[[state]]
target = "/var/lib/web"
`)
	sd := filepath.Join(state, "web", "var/lib/web")
	mustWrite(t, filepath.Join(sd, "index.html"), "hello\n")
	r := a.run(t, "checkpoint", "--profile", victim, "--state-dir", state, "--label", "base")
	if r.code != 0 {
		t.Fatalf("baseline: %v", r)
	}
	baseline := filepath.Join(a.checkpoints, "web", "base.json.gz")
	before := fileSum(t, baseline)

	// The intrusion the baseline must reveal: a setuid file.
	mustWrite(t, filepath.Join(sd, "helper"), "#!/bin/sh\n")
	if err := os.Chmod(filepath.Join(sd, "helper"), os.ModeSetuid|0o755); err != nil {
		t.Fatal(err)
	}
	// A forged baseline that already lists it, as an intruder would make.
	forged := hostDir(t)
	fa := auditEnv{runtime: a.runtime, checkpoints: forged, state: state}
	if r := fa.run(t, "checkpoint", "--profile", victim, "--state-dir", state, "--label", "base"); r.code != 0 {
		t.Fatalf("forged baseline: %v", r)
	}

	attacker := writeProfile(t, h, "attacker", base+`
[[bind]]
source = "`+filepath.Join(forged, "web")+`"
target = "/forged"
[[state]]
target = "/web"
`)
	r = a.run(t, "run", "--state-dir", state, "--name", "checkpoints", attacker, "--",
		"/bin/sh", "-c", "cp /forged/base.json.gz /web/base.json.gz && echo replaced")
	if r.code != 125 || strings.Contains(r.stdout, "replaced") ||
		!strings.Contains(r.stderr, "the jail's state dir "+a.checkpoints+" overlaps the checkpoint store (--checkpoint-dir), "+a.checkpoints) {
		t.Errorf("run --name checkpoints: want exit 125 and the state dir refused, got %v", r)
	}
	// The name is reserved even where the store is elsewhere.
	r = a.run(t, "run", "--state-dir", hostDir(t), "--name", "checkpoints", attacker, "--", "/bin/sh", "-c", "echo replaced")
	if r.code != 125 || strings.Contains(r.stdout, "replaced") || !strings.Contains(r.stderr, `jail name "checkpoints" is reserved`) {
		t.Errorf("run --name checkpoints, store elsewhere: want exit 125 and the name refused, got %v", r)
	}
	// Another layout to the same place: a read-write bind of the store.
	rw := writeProfile(t, h, "rw", base+`
[[bind]]
source = "`+a.checkpoints+`"
target = "/cp"
mode = "rw"
`)
	r = a.run(t, "run", "--state-dir", state, rw, "--", "/bin/sh", "-c", "echo x > /cp/web/planted && echo replaced")
	if _, err := os.Stat(filepath.Join(a.checkpoints, "web", "planted")); !os.IsNotExist(err) {
		t.Errorf("a jail wrote into the checkpoint store through a rw bind: %v", err)
	}
	if r.code != 125 || strings.Contains(r.stdout, "replaced") ||
		!strings.Contains(r.stderr, "read-write bind /cp (") || !strings.Contains(r.stderr, "overlaps the checkpoint store (--checkpoint-dir)") {
		t.Errorf("run with a rw bind of the checkpoint store: want exit 125, got %v", r)
	}
	// Or a state root that puts a jail's state dir above the store.
	r = a.run(t, "run", "--state-dir", filepath.Dir(state), "--name", "state", victim, "--", "/bin/true")
	if r.code != 125 || !strings.Contains(r.stderr, "the jail's state dir "+state+" overlaps the checkpoint store (--checkpoint-dir)") {
		t.Errorf("run with its state dir above the store: want exit 125, got %v", r)
	}

	if fileSum(t, baseline) != before {
		t.Error("the baseline was replaced")
	}
	for _, args := range [][]string{
		{"diff", "--profile", victim, "--state-dir", state, "--against", "base"},
		{"diff", "--profile", victim, "--state-dir", state},
	} {
		r = a.run(t, args...)
		if r.code != 1 || !hasLine(r.stdout, "!! setuid added: /var/lib/web/helper") {
			t.Errorf("%v: want exit 1 and the setuid file flagged, got %v", args, r)
		}
	}
}
