package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/audit"
)

func diffCommand() *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "compare a jail's writable state now with a checkpoint, like diff -r",
		ArgsUsage: "NAME",
		Description: `Reads the jail's writable state as fsviews checkpoint does (nothing is saved)
and compares it with a checkpoint: the latest one, or --against LABEL.

First come the changes an auditor looks at first, one "!!" line each:
setuid or setgid added, a new or changed executable, a device node, a
symlink pointing out of its directory tree (e.g. to /etc/shadow), a file
whose content changed while its mtime was kept (touch -d), a type change,
a file that could not be read. Then every change like diff -r prints it:
"Only in new", "Only in old", "Files ... differ", "Changed ...: mode ...".
Names the jail chose are quoted when they hold anything unprintable.

The jail need not run: for a stopped jail (its record is stale) or with
--profile, only state dirs and read-write binds are read and compared; tmpfs
contents, gone with the jail, are listed as not compared. With --profile,
NAME (or --name) is the name the jail runs under (run --name), by default
the profile's: it keys the state dir, STATE_ROOT/NAME.

Exit status like diff(1): 0 no change, 1 changes, 2 trouble (unknown jail
or label, corrupt checkpoint, a jail that exits while it is read).

Examples:
   fsviews checkpoint --profile /etc/fsviews/nginx.toml --label baseline
   systemctl start nginx-jail; ...
   fsviews diff --against baseline nginx
   fsviews diff --json nginx | jq '.changes[] | select(.flags)'`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "against", Usage: "compare with checkpoint `LABEL` (default: the latest)"},
			&cli.BoolFlag{Name: "json", Usage: "print the changes as JSON"},
		}, stateSourceFlags()...),
		Action: func(c *cli.Context) error {
			positional, _, err := splitArgs(c)
			if err != nil {
				return err
			}
			src, err := stateSource(c, "diff", positional)
			if err != nil {
				return err
			}
			store := checkpointStore(c)
			var old audit.Manifest
			if label := c.String("against"); label != "" {
				old, err = store.Load(src.name, label)
			} else {
				old, err = store.Latest(src.name)
			}
			if errors.Is(err, fs.ErrNotExist) && c.String("against") == "" {
				return exit2("diff", fmt.Errorf("%w: take one first with fsviews checkpoint %s", err, src.name))
			}
			if err != nil {
				return exit2("diff", err)
			}
			now, err := src.take(c, "diff")
			if err != nil {
				return err
			}
			changes, notCompared := src.compare(old, now)
			limited := walkLimits(old, now)
			if c.Bool("json") {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				if changes == nil {
					changes = []audit.Change{}
				}
				err = enc.Encode(struct {
					Jail        string         `json:"jail"`
					Against     string         `json:"against"`
					NotCompared []string       `json:"not_compared,omitempty"`
					Limited     []string       `json:"limited,omitempty"`
					Changes     []audit.Change `json:"changes"`
				}{src.name, old.Label, notCompared, limited, changes})
			} else {
				if len(notCompared) > 0 {
					fmt.Fprintf(os.Stderr, "fsviews diff: not compared (tmpfs, %s): %s\n", src.unreadWhy(), strings.Join(notCompared, ", "))
				}
				err = audit.FormatDiff(os.Stdout, changes)
				for _, l := range limited {
					fmt.Println("!! " + l)
				}
			}
			if err != nil {
				return exit2("diff", err)
			}
			if len(limited) > 0 {
				return cli.Exit("fsviews diff: a walk limit cut the comparison short (lines starting \"!! walk limit\"): changes past it are not shown", 2)
			}
			if len(changes) > 0 {
				return cli.Exit("", 1)
			}
			return nil
		},
	}
}
