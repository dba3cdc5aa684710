package main

import (
	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/launch"
)

// stageCommands are the internal stages `fsviews run` re-executes itself
// as when the jail has its own PID namespace (see launch/jail_linux.go).
// Hidden, and not an interface: their arguments are file descriptors.
func stageCommands() []*cli.Command {
	var cmds []*cli.Command
	for _, name := range launch.Stages() {
		cmds = append(cmds, &cli.Command{
			Name:            name,
			Hidden:          true,
			SkipFlagParsing: true,
			Action: func(c *cli.Context) error {
				code, err := launch.Stage(c.Command.Name, c.Args().Slice())
				return stageExit("", code, err)
			},
		})
	}
	return cmds
}

// stageExit ends a hidden stage with the exit status it returned, and its
// error, if any, on stderr after prefix.
func stageExit(prefix string, code int, err error) error {
	if err != nil {
		return cli.Exit(prefix+err.Error(), code)
	}
	return cli.Exit("", code)
}
