// Command fsviews confines a daemon in a filesystem view described by a
// TOML profile. main only assembles the commands; each lives in its own file.
package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
)

func main() {
	cli.VersionPrinter = func(c *cli.Context) { fmt.Println("fsviews " + versionText()) }
	app := &cli.App{
		Name:    "fsviews",
		Version: versionText(),
		Usage:   "run a daemon in a filesystem view: only what its profile lists, read-only unless it says otherwise",
		Description: `fsviews reads a profile (TOML) that lists the host directories a daemon may see,
read-only or read-write, plus scratch tmpfs, private state directories, /proc and a
minimal /dev. "fsviews run" builds that view in a new mount namespace, makes it the
daemon's root with pivot_root, detaches the host's root, drops capabilities and
executes the daemon. By default the jail has its own PID namespace: fsviews stays
outside as a small supervisor that passes signals on and exits as the daemon did.
With [namespaces] pid = false the daemon runs in fsviews' place instead, keeping
its PID, stdio and exit status.

A profile is named by path (./web.toml) or by bare name, looked up in the search
path (/etc/fsviews) and then in the bundled library ("fsviews profiles" lists them).

Start here:
   fsviews run minimal -- /bin/sh -c 'ls /'     a shell in the bundled minimal view
   fsviews plan minimal                         what that run does, step by step
   fsviews check ./web.toml                     validate your own profile
   fsviews ps; fsviews inspect NAME             audit running jails from outside (docs/auditing.md)
   fsviews oci redis ./redis-bundle             the profile as an OCI bundle for runc/crun (docs/scale-out.md)
   fsviews learn --out my.toml -- CMD ARGS      a profile for a daemon the library lacks (docs/learn.md)

The profile format is documented in docs/profiles.md.`,
		Flags: append([]cli.Flag{
			&cli.StringSliceFlag{
				Name:    "search-path",
				Usage:   "directories searched for profiles named by bare name, before the bundled library",
				Value:   cli.NewStringSlice("/etc/fsviews"),
				EnvVars: []string{"FSVIEWS_PATH"},
			},
		}, auditFlags()...),
		Commands: append([]*cli.Command{runCommand(), checkCommand(), planCommand(), profilesCommand(),
			psCommand(), inspectCommand(), execCommand(), checkpointCommand(), checkpointsCommand(), diffCommand(), seccompLogCommand(), unitCommand(), ociCommand(), learnCommand()},
			append(stageCommands(), docCommands()...)...),
		HideHelpCommand: true,
		// The shell completions (completions/, make install) ask the
		// binary itself: fsviews [COMMAND] --generate-bash-completion.
		EnableBashCompletion: true,
		ExitErrHandler:       func(*cli.Context, error) {},
	}
	if err := app.Run(os.Args); err != nil {
		os.Exit(report(err))
	}
}

// report prints err for a human and returns the exit status.
func report(err error) int {
	if ec, ok := err.(cli.ExitCoder); ok {
		if msg := ec.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, msg)
		}
		return ec.ExitCode()
	}
	fmt.Fprintf(os.Stderr, "fsviews: %v\n", err)
	return 2
}
