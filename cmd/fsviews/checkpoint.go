package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
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

The walk is bounded, whatever the jail wrote: --max-depth levels below each
state dir or tmpfs, --max-entries entries and --max-hash-bytes of file
content per directory tree (holes of sparse files are not read and do not
count). Where a limit stops it, a "!!" line names the place, e.g.
  !! depth limit: /var/lib/app/a/a/.../a (directory not read)
and the checkpoint, saved all the same, does not cover what lies beyond.

--json prints, for tools, one JSON object on stdout instead of the lines:
jail, label, roots, entries, how they were read, whether the walk was
complete and, when it was not, the places where a limit stopped it.

Exit status 0; 3 when a limit was reached (the checkpoint is saved, with
the "!!" lines above); 2 on trouble (unknown or stopped jail without
--profile, a jail that exits while it is read, unreadable files): nothing
is saved.

Examples:
   fsviews checkpoint --profile /etc/fsviews/nginx.toml --label baseline
   fsviews checkpoint --profile /etc/fsviews/nginx.toml --name web2 --label baseline
   fsviews checkpoint nginx
   fsviews checkpoint --label before-upgrade nginx`,
		Flags: append(append([]cli.Flag{
			&cli.StringFlag{Name: "label", Usage: "store the checkpoint as `LABEL` (letters, digits, '.', '_', '-'); replaces one of that label"},
			&cli.BoolFlag{Name: "json", Usage: "print what was stored as one JSON object on stdout instead of lines"},
		}, stateSourceFlags()...), walkLimitFlags()...),
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
			limits, err := walkLimits(c, "checkpoint")
			if err != nil {
				return err
			}
			m, err := src.take(c, "checkpoint", limits)
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
			hits, total := m.Limits(maxLimitLines)
			if c.Bool("json") {
				rep := checkpointReport{Jail: src.name, Label: label, Roots: len(m.Roots), Entries: files, Read: how, Complete: total == 0, Limits: hits, LimitsTotal: total}
				b, err := json.MarshalIndent(rep, "", "  ")
				if err != nil {
					return exit2("checkpoint", err)
				}
				fmt.Printf("%s\n", b)
			} else {
				fmt.Printf("checkpoint %s of jail %s: %d roots, %d entries (%s)\n", label, src.name, len(m.Roots), files, how)
				if total > 0 {
					if err := audit.FormatLimits(os.Stdout, hits, total, ""); err != nil {
						return exit2("checkpoint", err)
					}
				}
			}
			if total == 0 {
				return nil
			}
			return cli.Exit(fmt.Sprintf("fsviews checkpoint: checkpoint %s is incomplete: the walk reached a limit at %d place%s (the !! lines); "+
				"to read further, raise --max-depth, --max-entries or --max-hash-bytes (0: no limit)", label, total, plural(total)), exitIncomplete)
		},
	}
}

// checkpointReport is checkpoint --json: what was stored.
type checkpointReport struct {
	Jail     string `json:"jail"`
	Label    string `json:"label"`
	Roots    int    `json:"roots"`
	Entries  int    `json:"entries"`
	Read     string `json:"read"` // how the roots were read
	Complete bool   `json:"complete"`
	// Limits are the first places where a walk limit stopped it, of
	// LimitsTotal.
	Limits      []audit.LimitHit `json:"limits,omitempty"`
	LimitsTotal int              `json:"limits_total,omitempty"`
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

// exitIncomplete is the exit status of checkpoint and diff when a walk
// reached a limit: what was read is saved or compared, but not all.
const exitIncomplete = 3

// maxLimitLines is how many "!!" limit lines are printed before a count.
const maxLimitLines = 20

// walkLimitFlags bound the walk of checkpoint and diff.
func walkLimitFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "max-depth", Value: audit.DefaultMaxDepth,
			Usage: "read directories at most `N` levels below each state dir, bind or tmpfs; 0: no limit"},
		&cli.IntFlag{Name: "max-entries", Value: audit.DefaultMaxEntries,
			Usage: "record at most `N` files and directories per state dir, bind or tmpfs; 0: no limit"},
		&cli.StringFlag{Name: "max-hash-bytes", Value: "16G",
			Usage: "hash at most `SIZE` of file content (k, M, G, T) per state dir, bind or tmpfs; holes of sparse files do not count; 0: no limit"},
	}
}

// walkLimits reads the walkLimitFlags; 0 on the command line means no
// limit, which WalkOptions spells -1.
func walkLimits(c *cli.Context, cmd string) (audit.WalkOptions, error) {
	noLimit := func(n int64) int64 {
		if n == 0 {
			return -1
		}
		return n
	}
	depth, entries := c.Int("max-depth"), c.Int("max-entries")
	if depth < 0 || entries < 0 {
		return audit.WalkOptions{}, exit2(cmd, fmt.Errorf("--max-depth and --max-entries take a number of 0 (no limit) or more"))
	}
	bytes, err := parseByteSize(c.String("max-hash-bytes"))
	if err != nil {
		return audit.WalkOptions{}, exit2(cmd, fmt.Errorf("--max-hash-bytes: %w", err))
	}
	return audit.WalkOptions{
		MaxDepth:     int(noLimit(int64(depth))),
		MaxEntries:   int(noLimit(int64(entries))),
		MaxHashBytes: noLimit(bytes),
	}, nil
}

// parseByteSize reads "16G", "512M", "100k" or a number of bytes (binary
// units).
func parseByteSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	shift := 0
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'k', 'K':
			shift = 10
		case 'm', 'M':
			shift = 20
		case 'g', 'G':
			shift = 30
		case 't', 'T':
			shift = 40
		}
		if shift > 0 {
			t = t[:n-1]
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("bad size %q: use bytes with an optional unit k, M, G or T, e.g. 16G, or 0 for no limit", s)
	}
	return n << shift, nil
}

// take reads the state into a manifest, within the walk limits.
func (s stateOf) take(c *cli.Context, cmd string, limits audit.WalkOptions) (audit.Manifest, error) {
	pid := 0
	opt := jailstate.Options{Walk: limits}
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
