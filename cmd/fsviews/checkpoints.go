package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/audit"
)

func checkpointsCommand() *cli.Command {
	return &cli.Command{
		Name:      "checkpoints",
		Usage:     "list the stored checkpoints, of every jail or of the jails named",
		ArgsUsage: "[NAME...]",
		Description: `Lists what fsviews checkpoint stored in /var/lib/fsviews/checkpoints (or
--checkpoint-dir): for each jail, each label with the time it was taken and
its size, oldest first. The labels are what diff --against takes.

Exit status 0, or 2 when the store cannot be read.

Examples:
   fsviews checkpoints
   fsviews checkpoints web
   fsviews checkpoints --json | jq '.[] | select(.jail == "web") | .label'`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the checkpoints as JSON"},
		},
		Action: func(c *cli.Context) error {
			store := checkpointStore(c)
			jails := c.Args().Slice()
			if len(jails) == 0 {
				var err error
				if jails, err = store.Jails(); err != nil {
					return exit2("checkpoints", err)
				}
			}
			all := []audit.Checkpoint{}
			for _, jail := range jails {
				cps, err := store.List(jail)
				if err != nil {
					return exit2("checkpoints", err)
				}
				all = append(all, cps...)
			}
			if c.Bool("json") {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(all)
			}
			if len(all) == 0 {
				fmt.Fprintf(os.Stderr, "no checkpoints in %s (fsviews checkpoint NAME takes one)\n", store.Dir)
				return nil
			}
			w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "JAIL\tLABEL\tTAKEN\tSIZE")
			for _, cp := range all {
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\n", cp.Jail, cp.Label, cp.Taken.UTC().Format(time.RFC3339), cp.Size)
			}
			return w.Flush()
		},
	}
}
