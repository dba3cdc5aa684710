//go:build gendocs

package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"
)

// docCommands, in a -tags gendocs build (make man), add the hidden
// __gendocs DIR: fsviews.8 and one fsviews-COMMAND.8 per command (section 8: an administrator's command), made
// from the CLI definition itself, and fsviews.fish.
func docCommands() []*cli.Command {
	return []*cli.Command{{
		Name:   "__gendocs",
		Hidden: true,
		Action: func(c *cli.Context) error {
			if c.Args().Len() != 1 {
				return cli.Exit("fsviews __gendocs DIR", 2)
			}
			dir := c.Args().First()
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			app := c.App
			write := func(name, text string) error {
				return os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644)
			}
			man, err := app.ToMan()
			if err != nil {
				return err
			}
			if err := write("fsviews.8", man); err != nil {
				return err
			}
			for _, cmd := range app.Commands {
				if cmd.Hidden {
					continue
				}
				sub := &cli.App{Name: "fsviews-" + cmd.Name, Usage: cmd.Usage, UsageText: "fsviews " + cmd.Name + " [options] " + cmd.ArgsUsage,
					Description: cmd.Description, Flags: cmd.Flags, Commands: cmd.Subcommands, HideHelpCommand: true}
				m, err := sub.ToMan()
				if err != nil {
					return fmt.Errorf("man page of %s: %w", cmd.Name, err)
				}
				if err := write("fsviews-"+cmd.Name+".8", m); err != nil {
					return err
				}
			}
			fish, err := app.ToFishCompletion()
			if err != nil {
				return err
			}
			return write("fsviews.fish", fish)
		},
	}}
}
