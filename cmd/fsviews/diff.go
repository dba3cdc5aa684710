package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/audit"
)

// diffReport is the head of diff --json; writeDiffJSON adds the changes.
type diffReport struct {
	Jail        string   `json:"jail"`
	Against     string   `json:"against"`
	NotCompared []string `json:"not_compared,omitempty"`
	// Limits are where the walk now stopped at a limit (the first
	// maxLimitLines of LimitsTotal); CheckpointLimits, where the
	// checkpoint's did.
	Limits                []audit.LimitHit `json:"limits,omitempty"`
	LimitsTotal           int              `json:"limits_total,omitempty"`
	CheckpointLimits      []audit.LimitHit `json:"checkpoint_limits,omitempty"`
	CheckpointLimitsTotal int              `json:"checkpoint_limits_total,omitempty"`
}

// writeDiffJSON writes the report with its changes, one change at a time:
// encoding the whole list at once would hold every path of a deep tree in
// memory together.
func writeDiffJSON(w io.Writer, head diffReport, changes []audit.Change) error {
	bw := bufio.NewWriter(w)
	b, err := json.MarshalIndent(head, "", "  ")
	if err != nil {
		return err
	}
	b = bytes.TrimSuffix(b, []byte("}"))
	b = bytes.TrimRight(b, "\n")
	bw.Write(b)
	bw.WriteString(",\n  \"changes\": [")
	for i, ch := range changes {
		if i > 0 {
			bw.WriteString(",")
		}
		b, err := json.MarshalIndent(ch, "    ", "  ")
		if err != nil {
			return err
		}
		bw.WriteString("\n    ")
		bw.Write(b)
	}
	if len(changes) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]\n}\n")
	return bw.Flush()
}

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

The walk has the limits of fsviews checkpoint (--max-depth, --max-entries,
--max-hash-bytes). Where it stopped at one, now or when the checkpoint was
taken, a "!!" line comes first, e.g.
  !! depth limit: /var/lib/app/a/a/.../a (directory not read)
and nothing beyond that place was compared.

Exit status like diff(1): 0 no change, 1 changes, 2 trouble (unknown jail
or label, corrupt checkpoint, a jail that exits while it is read); 3 the
comparison is incomplete, a limit was reached (the changes found are
printed all the same).

Examples:
   fsviews checkpoint --profile /etc/fsviews/nginx.toml --label baseline
   systemctl start nginx-jail; ...
   fsviews diff --against baseline nginx
   fsviews diff --json nginx | jq '.changes[] | select(.flags)'`,
		Flags: append(append([]cli.Flag{
			&cli.StringFlag{Name: "against", Usage: "compare with checkpoint `LABEL` (default: the latest)"},
			&cli.BoolFlag{Name: "json", Usage: "print the changes as JSON"},
		}, stateSourceFlags()...), walkLimitFlags()...),
		Action: func(c *cli.Context) error {
			positional, _, err := splitArgs(c)
			if err != nil {
				return err
			}
			src, err := stateSource(c, "diff", positional)
			if err != nil {
				return err
			}
			limits, err := walkLimits(c, "diff")
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
			now, err := src.take(c, "diff", limits)
			if err != nil {
				return err
			}
			changes, notCompared := src.compare(old, now)
			nowHits, nowTotal := now.Limits(maxLimitLines)
			oldHits, oldTotal := old.Limits(maxLimitLines)
			if c.Bool("json") {
				err = writeDiffJSON(os.Stdout, diffReport{Jail: src.name, Against: old.Label, NotCompared: notCompared,
					Limits: nowHits, LimitsTotal: nowTotal, CheckpointLimits: oldHits, CheckpointLimitsTotal: oldTotal}, changes)
			} else {
				if len(notCompared) > 0 {
					fmt.Fprintf(os.Stderr, "fsviews diff: not compared (tmpfs, %s): %s\n", src.unreadWhy(), strings.Join(notCompared, ", "))
				}
				err = audit.FormatLimits(os.Stdout, nowHits, nowTotal, "")
				if err == nil {
					err = audit.FormatLimits(os.Stdout, oldHits, oldTotal, " in checkpoint "+old.Label)
				}
				if err == nil {
					err = audit.FormatDiff(os.Stdout, changes)
				}
			}
			if err != nil {
				return exit2("diff", err)
			}
			if total := nowTotal + oldTotal; total > 0 {
				return cli.Exit(fmt.Sprintf("fsviews diff: incomplete: a walk reached a limit at %d place%s (the !! lines), nothing beyond was compared; "+
					"raise --max-depth, --max-entries or --max-hash-bytes (0: no limit), and take the checkpoint again if the limit is in it", total, plural(total)), exitIncomplete)
			}
			if len(changes) > 0 {
				return cli.Exit("", 1)
			}
			return nil
		},
	}
}
