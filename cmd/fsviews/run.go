package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/launch"
	"github.com/fsviews/fsviews/views"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "build the view of PROFILE and run its daemon inside it",
		ArgsUsage: "PROFILE [-- CMD ARGS...]",
		Description: `Builds the filesystem view PROFILE describes and executes the daemon in it:

  1. a new mount namespace, made private so nothing propagates to the host;
  2. a tmpfs root holding exactly what the profile lists (binds, tmpfs,
     state dirs, dirs, symlinks, files, /proc, /dev), every path resolved
     inside the view without following symlinks;
  3. pivot_root into the view, the host's root detached;
  4. capabilities, user and group dropped as profiled, no_new_privs set,
     inherited file descriptors other than stdin, stdout and stderr closed;
  5. execve of the command: the daemon replaces fsviews in the same process,
     so its exit status and signals are fsviews' own.

The command comes from the profile's "command", or from the words after "--".
Exit status: the daemon's own once it runs; before that, 125 when fsviews
fails (bad profile, mount error), 126 when the command cannot be executed,
127 when it is not found inside the view.

Examples:
   fsviews run /etc/fsviews/nginx.toml
   fsviews run minimal -- /bin/sh -c 'ls /'
   fsviews run ./web.toml --state-dir /srv/fsviews-state`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "state-dir", Usage: "keep state dirs under `DIR`/NAME instead of the profile's state_root (default /var/lib/fsviews)"},
			&cli.BoolFlag{Name: "tty", Usage: "keep the caller's terminal as the daemon's controlling terminal, for an interactive shell; without it the daemon runs in a new session with none, so it cannot push input into your terminal"},
		},
		Action: func(c *cli.Context) error {
			positional, command, err := splitArgs(c)
			if err != nil {
				return err
			}
			if len(positional) != 1 {
				return cli.Exit("fsviews run: name one profile: fsviews run PROFILE [-- CMD ARGS...]", 125)
			}
			p, err := loadProfile(c, positional[0], 125)
			if err != nil {
				return err
			}
			plan := views.Compile(p, views.Options{StateRoot: c.String("state-dir"), Command: command, TTY: c.Bool("tty"), NotifySocket: os.Getenv("NOTIFY_SOCKET")})
			err = launch.Exec(plan, os.Environ())
			var exited *launch.Exited
			if errors.As(err, &exited) {
				exited.Exit()
			}
			var le *launch.Error
			if errors.As(err, &le) {
				return cli.Exit(fmt.Sprintf("fsviews: %s: %v", positional[0], le.Err), le.Code)
			}
			return cli.Exit(fmt.Sprintf("fsviews: %s: %v", positional[0], err), 125)
		},
	}
}
