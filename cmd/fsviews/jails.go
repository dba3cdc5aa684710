package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/audit"
	"github.com/fsviews/fsviews/registry"
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

// runningJail looks jail name up and insists that it is running: the
// audit commands must not read /proc of a process that is no longer it.
func runningJail(c *cli.Context, cmd, name string) (registry.Entry, error) {
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
	if e.Health != registry.Running {
		return e, cli.Exit(fmt.Sprintf("fsviews %s: jail %s is not running: %s (the record is stale; fsviews ps --prune removes it)", cmd, name, e.Why), 2)
	}
	return e, nil
}

// stillRunning re-checks, after reading /proc, that jail e has not exited
// (and its PID not been reused) meanwhile: if it has, what was read may
// belong to another process.
func stillRunning(c *cli.Context, cmd string, e registry.Entry) error {
	now, err := jailRegistry(c).Get(e.Name)
	if err != nil || now.Health != registry.Running || now.PID != e.PID || now.StartTime != e.StartTime {
		why := "its record is gone"
		if err == nil {
			why = now.Why
		}
		return cli.Exit(fmt.Sprintf("fsviews %s: jail %s exited while it was being read (%s); nothing was saved", cmd, e.Name, why), 2)
	}
	return nil
}

// apartFromAudit refuses a jail whose state dir is, holds or lies in the
// checkpoint store or the registry: a jail named "checkpoints" got
// /var/lib/fsviews/checkpoints as its state and replaced another jail's
// baseline, after which diff found nothing wrong with a planted setuid
// file. What the audit commands trust must be where no jail can write.
func apartFromAudit(c *cli.Context, stateDir string) error {
	for _, place := range []struct{ dir, what string }{
		{c.String("checkpoint-dir"), "the checkpoint store (--checkpoint-dir)"},
		{runtimeDir(c), "the jail registry (--runtime-dir)"},
	} {
		if overlaps(stateDir, place.dir) {
			return fmt.Errorf("the jail's state dir %s overlaps %s, %s: a jail could rewrite what fsviews diff and inspect trust; give the jail another name (--name), or another state root", stateDir, place.what, place.dir)
		}
	}
	return nil
}

// overlaps reports whether one of two absolute paths is the other or
// lies below it.
func overlaps(a, b string) bool {
	a, b = filepath.Clean(a), filepath.Clean(b)
	below := func(x, y string) bool { return x == y || strings.HasPrefix(x, strings.TrimSuffix(y, "/")+"/") }
	return below(a, b) || below(b, a)
}
