package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/learn"
)

func learnCommand() *cli.Command {
	return &cli.Command{
		Name:      "learn",
		Usage:     "run a daemon once, watch what it uses, and write a profile for it",
		ArgsUsage: "[--out FILE] [--duration D] -- COMMAND ARGS...",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "write the profile to `FILE` (default: stdout)"},
			&cli.DurationFlag{Name: "duration", Usage: "stop the daemon after `D` (default: when it exits or on Ctrl-C / SIGTERM)"},
			&cli.StringFlag{Name: "observations", Usage: "also write what was observed, as JSON, to `FILE`"},
		},
		Subcommands: []*cli.Command{
			{Name: learn.StageView, Hidden: true, SkipFlagParsing: true, Action: func(c *cli.Context) error {
				return cli.Exit("", learn.ViewStage(c.Args().Slice()))
			}},
			{Name: learn.StageExec, Hidden: true, SkipFlagParsing: true, Action: func(c *cli.Context) error {
				return cli.Exit("", learn.ExecStage(c.Args().Slice()))
			}},
		},
		Action: func(c *cli.Context) error {
			_, command, err := learnArgs(c)
			if err != nil {
				return err
			}
			obs, err := learn.Observe(learn.Options{Command: command, Duration: c.Duration("duration"), StopSignal: syscall.SIGTERM, Grace: 10 * time.Second})
			if err != nil {
				return cli.Exit(fmt.Sprintf("fsviews: %v", err), 1)
			}
			b, _ := json.MarshalIndent(obs, "", " ")
			os.Stdout.Write(b)
			return nil
		},
	}
}

// learnArgs is splitArgs for learn, whose "--" may come before any
// positional argument: the flag parser then consumes it, and what is
// left is the command.
func learnArgs(c *cli.Context) (positional, command []string, err error) {
	args := c.Args().Slice()
	if slices.Contains(os.Args, "--") && !slices.Contains(args, "--") {
		return nil, args, nil
	}
	return splitArgs(c)
}
