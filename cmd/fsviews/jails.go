package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/audit"
	"github.com/fsviews/fsviews/inspect"
	"github.com/fsviews/fsviews/jailstate"
	"github.com/fsviews/fsviews/registry"
	"github.com/fsviews/fsviews/views"
)

// Where the audit commands keep their data. Both are root-only and out of
// every jail's view; the flags exist for tests and unusual layouts.
const (
	defaultRuntimeDir    = "/run/fsviews"
	defaultCheckpointDir = "/var/lib/fsviews/checkpoints"
)

// auditFlags are the global flags the registry and the checkpoint store use.
func auditFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{
			Name:    "runtime-dir",
			Usage:   "where running jails are registered (in `DIR`/jails); run, ps, inspect, checkpoint and diff must agree on it",
			Value:   defaultRuntimeDir,
			EnvVars: []string{"FSVIEWS_RUNTIME_DIR"},
		},
		&cli.StringFlag{
			Name:    "checkpoint-dir",
			Usage:   "where checkpoints are kept, as `DIR`/JAIL/LABEL.json.gz",
			Value:   defaultCheckpointDir,
			EnvVars: []string{"FSVIEWS_CHECKPOINT_DIR"},
		},
	}
}

func jailRegistry(c *cli.Context) registry.Registry {
	return registry.Registry{Dir: filepath.Join(runtimeDir(c), "jails")}
}

// runtimeDir is --runtime-dir when given; for an unprivileged caller,
// who cannot write /run/fsviews, $XDG_RUNTIME_DIR/fsviews, else
// /run/user/UID/fsviews (where systemd-logind puts XDG_RUNTIME_DIR).
func runtimeDir(c *cli.Context) string {
	if c.IsSet("runtime-dir") || !unprivileged() {
		return c.String("runtime-dir")
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) {
		return filepath.Join(d, "fsviews")
	}
	return filepath.Join("/run/user", strconv.Itoa(os.Getuid()), "fsviews")
}

func checkpointStore(c *cli.Context) audit.Store {
	return audit.Store{Dir: c.String("checkpoint-dir")}
}

// exit2 is the audit commands' "trouble" status, as diff(1) uses it.
func exit2(cmd string, err error) error {
	return cli.Exit(fmt.Sprintf("fsviews %s: %v", cmd, err), 2)
}

// runningJail looks jail name up and insists that it is alive: running,
// or drifted (alive with its start time, but in other namespaces than the
// ones fsviews made for it). The audit commands must not read /proc of a
// process that is no longer the jail; a drifted jail is still the jail.
func runningJail(c *cli.Context, cmd, ref string) (registry.Entry, error) {
	name, err := jailName(jailRegistry(c), ref)
	if err != nil {
		return registry.Entry{}, cli.Exit(fmt.Sprintf("fsviews %s: %v; see fsviews ps", cmd, err), 2)
	}
	e, err := jailRegistry(c).Get(name)
	if errors.Is(err, fs.ErrNotExist) {
		hint := "see fsviews ps"
		if cmd == "diff" || cmd == "checkpoint" {
			hint += "; for a jail that is not registered (never started, or pruned), name its profile with --profile PROFILE"
		}
		return e, cli.Exit(fmt.Sprintf("fsviews %s: %v; %s", cmd, err, hint), 2)
	}
	if err != nil {
		return e, exit2(cmd, err)
	}
	if !e.Health.Alive() {
		return e, cli.Exit(fmt.Sprintf("fsviews %s: jail %s is not running: %s (the record is stale; fsviews ps --prune removes it)", cmd, name, e.Why), 2)
	}
	return e, nil
}

// jailName finds the jail ref names: a jail name as it is; a PID, the
// live jail that process is in (its PID 1 or daemon, or any process in its
// PID namespace, or in place in its mount namespace, by the kernel's
// /proc/PID/ns links); a systemd unit name ("fsviews-web.service"), the
// live jail whose process is in that unit's cgroup (/proc/PID/cgroup).
func jailName(reg registry.Registry, ref string) (string, error) {
	pid, isPID := strconv.Atoi(ref)
	unit := strings.HasSuffix(ref, ".service")
	if isPID != nil && !unit {
		return ref, nil
	}
	entries, err := reg.List()
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		if !e.Health.Alive() {
			continue
		}
		if unit {
			if cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", e.PID)); err == nil && (strings.Contains(string(cg), "/"+ref+"\n") || strings.Contains(string(cg), "/"+ref+"/")) {
				return e.Name, nil
			}
			continue
		}
		if e.PID == pid {
			return e.Name, nil
		}
		ns := "mnt"
		if plan, err := inspect.ParsePlan(e.Plan); err == nil && plan.PID {
			ns = "pid"
		}
		want, err1 := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", e.PID, ns))
		got, err2 := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
		if err1 == nil && err2 == nil && want == got {
			return e.Name, nil
		}
	}
	if unit {
		return "", fmt.Errorf("no running jail is in unit %s", ref)
	}
	return "", fmt.Errorf("process %d is in no running jail", pid)
}

// stillRunning re-checks, after reading /proc, that jail e has not exited
// (and its PID not been reused) meanwhile, and that a jail that was running
// in its own namespaces has not left them: either way, what was read may
// not be the jail's.
func stillRunning(c *cli.Context, cmd string, e registry.Entry) error {
	now, err := jailRegistry(c).Get(e.Name)
	if err != nil || !now.Health.Alive() || now.PID != e.PID || now.StartTime != e.StartTime {
		why := "its record is gone"
		if err == nil {
			why = now.Why
		}
		return cli.Exit(fmt.Sprintf("fsviews %s: jail %s exited while it was being read (%s); nothing was saved", cmd, e.Name, why), 2)
	}
	if e.Health == registry.Running && now.Health != registry.Running {
		return cli.Exit(fmt.Sprintf("fsviews %s: jail %s left its namespaces while it was being read (%s), so what was read may not be the jail's; nothing was saved; run fsviews %s %s again", cmd, e.Name, now.Why, cmd, e.Name), 2)
	}
	return nil
}

// driftedState is the stateOf a drifted jail: its process left the mount
// namespace fsviews built (e.g. `exec unshare -U -m` inside), so
// /proc/PID/root shows a mount tree the jail arranged, not the view. Only
// the host side (state dirs, read-write binds) is read; the tmpfs roots
// are not, and unread says why.
func driftedState(e registry.Entry, plan *views.Plan) stateOf {
	return stateOf{name: e.Name, plan: plan,
		unread: fmt.Sprintf("jail %s drifted, its tmpfs were not read: %s", e.Name, e.Why)}
}

// unreadWhy says why the tmpfs roots of s were not compared.
func (s stateOf) unreadWhy() string {
	if s.unread != "" {
		return s.unread
	}
	return "the jail was not running for one side"
}

// compare is jailstate.Compare, and also lists as not compared the tmpfs
// roots of the plan that neither manifest holds (both read host side only,
// e.g. a baseline from --profile and a stopped or drifted jail), which
// Compare cannot see.
func (s stateOf) compare(old, now audit.Manifest) ([]audit.Change, []string) {
	changes, notCompared := jailstate.Compare(old, now)
	for _, m := range []audit.Manifest{old, now} {
		for _, name := range jailstate.NotRead(s.plan, m) {
			if !slices.Contains(notCompared, name) {
				notCompared = append(notCompared, name)
			}
		}
	}
	slices.Sort(notCompared)
	return changes, notCompared
}

// how says, for checkpoint's summary, how m was read.
func (s stateOf) how(m audit.Manifest) string {
	switch {
	case !m.Stopped:
		return "running jail"
	case s.unread != "":
		return "host side only: " + s.unread + "; not read: " + strings.Join(jailstate.NotRead(s.plan, m), ", ")
	}
	return "host side only, jail not read"
}

// movedNamespaces lists, as inspect checks that fail, each namespace
// recorded when jail e started that its daemon (jail, read just now) is no
// longer in: `exec unshare -U -m` inside leaves the view fsviews built, and
// the mounts inspect reads are then those of a namespace the jail made.
func movedNamespaces(e registry.Entry, jail inspect.Jail) []inspect.Check {
	var out []inspect.Check
	for name, want := range e.Namespaces {
		got, ok := jail.Namespaces[name]
		if !ok || got == want || strings.HasSuffix(name, "_for_children") {
			continue
		}
		out = append(out, inspect.Check{Name: "ns " + name + " at start", Want: strconv.FormatUint(want, 10),
			Got: strconv.FormatUint(got, 10), OK: false,
			Note: "the jail's process left the namespace fsviews made for it (unshare or setns inside): what inspect reads is the jail's own"})
	}
	slices.SortFunc(out, func(a, b inspect.Check) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// auditDirsApart refuses a plan that lets the jail write where fsviews
// keeps its records and checkpoints: a state dir or read-write bind that
// is, holds or lies in the checkpoint store or the registry. A jail named
// "checkpoints" under the default layout got the store as its state dir,
// replaced another jail's baseline, and diff then found nothing wrong with
// a planted setuid file. This stops every layout that gets there
// (--state-dir, state_root, --checkpoint-dir, rw binds); the reserved name
// (checked next) stops that name even where the store is elsewhere. Paths
// are compared as written, cleaned: the admin wrote both.
func auditDirsApart(c *cli.Context, plan *views.Plan) error {
	type writable struct{ what, path, fix string }
	renameFix := "give the jail another name (--name), or another state root"
	w := []writable{{"the jail's state dir", plan.StateDir, renameFix}}
	for _, op := range plan.Ops {
		switch {
		case op.Kind == views.State:
			w = append(w, writable{fmt.Sprintf("state dir %s (%s) at", op.Target, op.Origin), op.Source, renameFix})
		case op.Kind == views.Bind && !op.ReadOnly:
			w = append(w, writable{fmt.Sprintf("read-write bind %s (%s) of", op.Target, op.Origin), op.Source,
				"bind a directory apart from it, or move the store (--checkpoint-dir, --runtime-dir)"})
		}
	}
	for _, place := range []struct{ dir, what string }{
		{c.String("checkpoint-dir"), "the checkpoint store (--checkpoint-dir)"},
		{runtimeDir(c), "the jail registry (--runtime-dir)"},
	} {
		if place.dir == "" {
			continue
		}
		dir, err := filepath.Abs(place.dir)
		if err != nil {
			return fmt.Errorf("%s %s: %w", place.what, place.dir, err)
		}
		for _, x := range w {
			if x.path == "" {
				continue
			}
			path := filepath.Clean(x.path)
			if path == dir || within(path, dir) || within(dir, path) {
				return fmt.Errorf("%s %s overlaps %s, %s: a jail could rewrite what fsviews diff and inspect trust; %s",
					x.what, path, place.what, dir, x.fix)
			}
		}
	}
	return registry.ValidName(plan.Name)
}

// within reports whether path lies strictly below dir; both are clean and
// absolute.
func within(path, dir string) bool {
	if dir == "/" {
		return path != "/"
	}
	return strings.HasPrefix(path, dir+"/")
}
