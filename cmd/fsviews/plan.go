package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/views"
)

func planCommand() *cli.Command {
	return &cli.Command{
		Name:      "plan",
		Usage:     "print the ordered operations that run would take; runs nothing",
		ArgsUsage: "PROFILE [-- CMD ARGS...]",
		Description: `Compiles PROFILE into its plan and prints it: one operation a line, in the
order "fsviews run" carries them out (root tmpfs, directories, binds, tmpfs,
state dirs, symlinks, files, /proc, /dev, the read-only remount of the root),
then pivot_root, identity, capabilities and the command. Parents always come
before children. --json prints the same plan for tools.

Examples:
   fsviews plan minimal
   fsviews plan --json /etc/fsviews/nginx.toml | jq '.ops[] | select(.op == "bind")'`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the plan as JSON"},
			&cli.StringFlag{Name: "state-dir", Usage: "as for run: keep state dirs under `DIR`/NAME"},
		},
		Action: func(c *cli.Context) error {
			positional, command, err := splitArgs(c)
			if err != nil {
				return err
			}
			if len(positional) != 1 {
				return cli.Exit("fsviews plan: name one profile: fsviews plan PROFILE", 1)
			}
			p, err := loadProfile(c, positional[0], 1)
			if err != nil {
				return err
			}
			plan := views.Compile(p, views.Options{StateRoot: c.String("state-dir"), Command: command})
			if c.Bool("json") {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(plan)
			}
			fmt.Print(plan)
			return nil
		},
	}
}
