package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/audit"
	"github.com/fsviews/fsviews/inspect"
	"github.com/fsviews/fsviews/jailstate"
	"github.com/fsviews/fsviews/registry"
	"github.com/fsviews/fsviews/views"
)

func checkpointCommand() *cli.Command {
	return &cli.Command{
		Name:      "checkpoint",
		Usage:     "record a jail's writable state, read from outside, for fsviews diff",
		ArgsUsage: "NAME",
		Description: `Reads every file the jail can write and stores a manifest of it: path, type,
mode, owner, size, times, link target and a SHA-256 of the content.

  state dirs and read-write binds   read on the host, at their host paths
  tmpfs (and a writable root)       read through /proc/PID/root while the
                                    jail runs, resolved inside the jail's
                                    root; no symlink is ever followed

Nothing runs inside the jail. The manifest is kept root-only, out of every
jail's view, as /var/lib/fsviews/checkpoints/NAME/LABEL.json.gz (see
--checkpoint-dir), written atomically: a failed checkpoint leaves the old
one of that label intact. The label defaults to the time, e.g.
20261130-014501.250; fsviews diff compares against the latest by default.

With --profile, the jail need not run (a baseline before its first start,
or after it stopped): only its state dirs and read-write binds are read,
from the profile's plan. NAME (or --name) is then the name the jail runs
under, as given to run --name, and defaults to the profile's name: it keys
the state dir (STATE_ROOT/NAME) as well as the checkpoints.

Exit status 0, or 2 on trouble (unknown or stopped jail without --profile,
a jail that exits while it is read, unreadable files): nothing is saved.

Examples:
   fsviews checkpoint --profile /etc/fsviews/nginx.toml --label baseline
   fsviews checkpoint --profile /etc/fsviews/nginx.toml --name web2 --label baseline
   fsviews checkpoint nginx
   fsviews checkpoint --label before-upgrade nginx`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "label", Usage: "store the checkpoint as `LABEL` (letters, digits, '.', '_', '-'); replaces one of that label"},
		}, stateSourceFlags()...),
		Action: func(c *cli.Context) error {
			positional, _, err := splitArgs(c)
			if err != nil {
				return err
			}
			src, err := stateSource(c, "checkpoint", positional)
			if err != nil {
				return err
			}
			label := c.String("label")
			if label == "" {
				label = time.Now().UTC().Format("20060102-150405.000")
			}
			if err := audit.ValidLabel(label); err != nil {
				return exit2("checkpoint", fmt.Errorf("--label: %w", err))
			}
			m, err := src.take(c, "checkpoint")
			if err != nil {
				return err
			}
			if err := checkpointStore(c).Save(src.name, label, m); err != nil {
				return exit2("checkpoint", err)
			}
			files := 0
			for _, r := range m.Roots {
				files += len(r.Entries)
			}
			how := src.how(m)
			fmt.Printf("checkpoint %s of jail %s: %d roots, %d entries (%s)\n", label, src.name, len(m.Roots), files, how)
			m.Label = label
			if limited := walkLimits(m); len(limited) > 0 {
				for _, l := range limited {
					fmt.Println("!! " + l)
				}
				return cli.Exit("fsviews checkpoint: saved, but a walk limit cut it short (lines starting \"!! walk limit\"): a diff against it cannot see past that point", 2)
			}
			return nil
		},
	}
}

// stateOf is where checkpoint and diff read a jail's state from.
type stateOf struct {
	name string
	plan *views.Plan
	// jail is set for a running jail, read through /proc too.
	jail *registry.Entry
	// unread says why the tmpfs roots were not read although the jail is
	// alive (see driftedState); empty otherwise.
	unread string
}

// stateSourceFlags are the flags with which checkpoint and diff name a
// jail's state without a running jail (see stateSource).
func stateSourceFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "profile", Usage: "read the state of the jail `PROFILE` describes from the host side, running or not"},
		&cli.StringFlag{Name: "state-dir", Usage: "with --profile: as for run, state dirs under `DIR`/NAME"},
		&cli.StringFlag{Name: "name", Usage: "the jail's `NAME`, as given to run --name (default: the profile's name); with --profile it keys the state dir, STATE_ROOT/NAME"},
	}
}

// stateSource decides what to read: with --profile, the profile's plan,
// host side only; else the registered jail, live when it runs, host side
// only from its recorded plan when its record is stale and stopped is ok.
func stateSource(c *cli.Context, cmd string, positional []string) (stateOf, error) {
	if len(positional) > 1 {
		return stateOf{}, cli.Exit(fmt.Sprintf("fsviews %s: name one jail: fsviews %s [flags] NAME", cmd, cmd), 2)
	}
	// The jail's name: NAME or --name (as given to run --name).
	name := c.String("name")
	if len(positional) == 1 {
		if name != "" && name != positional[0] {
			return stateOf{}, cli.Exit(fmt.Sprintf("fsviews %s: two names, %q and --name %q: give the jail's name once", cmd, positional[0], name), 2)
		}
		name = positional[0]
	}
	if ref := c.String("profile"); ref != "" {
		p, err := loadProfile(c, ref, 2)
		if err != nil {
			return stateOf{}, err
		}
		if name == "" {
			name = p.Name
		}
		if err := registry.ValidName(name); err != nil {
			return stateOf{}, exit2(cmd, err)
		}
		stateDir, err := absStateDir(c)
		if err != nil {
			return stateOf{}, exit2(cmd, err)
		}
		return stateOf{name: name, plan: views.Compile(p, views.Options{Name: name, StateRoot: stateDir})}, nil
	}
	if name == "" {
		return stateOf{}, cli.Exit(fmt.Sprintf("fsviews %s: name one jail (fsviews ps lists them), or give --profile PROFILE", cmd), 2)
	}
	e, err := runningJail(c, cmd, name)
	if err != nil {
		if cmd != "diff" || e.Name == "" || e.Health != registry.Stale || len(e.Plan) == 0 {
			return stateOf{}, err
		}
		// diff of a stopped jail: its state dirs, from the recorded plan.
		plan, perr := inspect.ParsePlan(e.Plan)
		if perr != nil {
			return stateOf{}, exit2(cmd, fmt.Errorf("jail %s: %w", e.Name, perr))
		}
		return stateOf{name: e.Name, plan: plan}, nil
	}
	plan, err := inspect.ParsePlan(e.Plan)
	if err != nil {
		return stateOf{}, exit2(cmd, fmt.Errorf("jail %s: %w", e.Name, err))
	}
	if e.Health == registry.Drift {
		return driftedState(e, plan), nil
	}
	return stateOf{name: e.Name, plan: plan, jail: &e}, nil
}

// take reads the state into a manifest.
func (s stateOf) take(c *cli.Context, cmd string) (audit.Manifest, error) {
	pid := 0
	opt := jailstate.Options{}
	if s.jail != nil {
		pid = s.jail.PID
		opt.Alive = func() error { return stillRunning(c, cmd, *s.jail) }
	}
	m, err := jailstate.Take(context.Background(), jailstate.Sources(s.plan, pid), pid, opt)
	if err != nil {
		if _, ok := err.(cli.ExitCoder); ok {
			return m, err
		}
		if s.jail != nil {
			if stillErr := stillRunning(c, cmd, *s.jail); stillErr != nil {
				return m, stillErr
			}
		}
		return m, exit2(cmd, fmt.Errorf("jail %s: %w; nothing was saved", s.name, err))
	}
	return m, nil
}

// walkLimits lists, as "walk limit in ROOT (LABEL): why", the roots of the
// manifests that a walk limit cut short (audit.WalkOptions).
func walkLimits(ms ...audit.Manifest) []string {
	var out []string
	for _, m := range ms {
		for _, r := range m.Roots {
			if r.Limited != "" {
				label := m.Label
				if label == "" {
					label = "now"
				}
				out = append(out, fmt.Sprintf("walk limit in %s (%s): %s", r.Name, label, r.Limited))
			}
		}
	}
	return out
}
