package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/profiles"
	"github.com/fsviews/fsviews/registry"
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

With a [seccomp] table, the plan shows the filter's preset, lists, rules and
size; --seccomp prints the BPF program itself, disassembled one instruction a
line with the syscall each comparison stands for, exactly as run installs it
(with --seccomp-log, as run --seccomp-log installs it). [limits] and
[landlock] appear as rlimit and landlock steps; docs/security.md explains them.

Examples:
   fsviews plan minimal
   fsviews plan --json /etc/fsviews/nginx.toml | jq '.ops[] | select(.op == "bind")'
   fsviews plan --seccomp /etc/fsviews/nginx.toml`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the plan as JSON"},
			&cli.StringFlag{Name: "state-dir", Usage: "as for run: keep state dirs under `DIR`/NAME"},
			&cli.StringFlag{Name: "name", Usage: "as for run: the jail's `NAME`, which keys its state dir (default: the profile's name)"},
			&cli.BoolFlag{Name: "seccomp", Usage: "print the seccomp filter as disassembled BPF instead of the plan"},
			&cli.BoolFlag{Name: "seccomp-log", Usage: "as for run: show the filter that logs instead of refusing"},
			&cli.BoolFlag{Name: "tty", Usage: "as for run: the plan of a jail that keeps the caller's terminal"},
			usernsFlag(),
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
			name, stateRoot, err := nameAndStateRoot(c, "plan", p)
			if err != nil {
				return err
			}
			userns, err := wantUserNS(c, p)
			if err != nil {
				return cli.Exit(fmt.Sprintf("fsviews plan: %v", err), 1)
			}
			plan := views.Compile(p, views.Options{Name: name, StateRoot: stateRoot, Command: command, SeccompLog: c.Bool("seccomp-log"),
				TTY: c.Bool("tty"), NotifySocket: notifySocket(), UserNS: userns, Kernel: kernel()})
			if c.Bool("seccomp") {
				return printSeccomp(positional[0], plan)
			}
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

// nameAndStateRoot reads --name (checked) and the state root as run would
// use them, for the commands that compile a plan without running it;
// errors exit 1.
func nameAndStateRoot(c *cli.Context, cmd string, p *profiles.Profile) (string, string, error) {
	name := c.String("name")
	if name != "" {
		if err := registry.ValidName(name); err != nil {
			return "", "", cli.Exit(fmt.Sprintf("fsviews %s: --name: %v", cmd, err), 1)
		}
	}
	stateRoot, err := stateRootFor(c, p)
	if err != nil {
		return "", "", cli.Exit(fmt.Sprintf("fsviews %s: %v", cmd, err), 1)
	}
	return name, stateRoot, nil
}
