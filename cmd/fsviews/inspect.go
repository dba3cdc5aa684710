package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/inspect"
	"github.com/fsviews/fsviews/registry"
)

func inspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "show a running jail's live mounts and privileges against its plan",
		ArgsUsage: "NAME|PID|UNIT",
		Description: `Reads, from outside the jail, what the kernel says about it and sets it
against the plan fsviews run recorded:

  mounts    /proc/PID/mountinfo, as view paths. Each mount is "planned",
            "changed" (an attribute weaker than planned: read-write instead
            of read-only, nosuid, nodev or noexec lost, another file system),
            "unexpected" (not in the plan, e.g. mounted into the jail's
            namespace later) or "missing"; an optional bind whose source was
            absent is "skipped".
  enforced  /proc/PID/status and /proc/PID/limits: the five capability
            sets (none may hold a capability the profile does not keep),
            NoNewPrivs, seccomp mode and filter count (filter mode when the
            profile has [seccomp]), uid/gid/groups, each namespace by inode
            against the host's (PID 1's), and the [limits] of the profile
            (rlimit nofile is the "Max open files" row). Landlock is listed
            but not visible from outside.
  sources   each bind, socket and [[file]] source by device and inode, as
            fsviews run found it at start, against what the host has there
            now (opened as run opens it): a source replaced since is drift,
            and so is a bind whose live mount shows another device or
            another place (mountinfo's root field) than its source.
  moved     each namespace recorded when the jail started that its daemon
            has left (e.g. "exec unshare -U -m" inside), as a failed
            "ns mnt at start" line: the mounts read are then those of the
            namespace the jail made. fsviews ps shows such a jail as
            "drift", alive.

The jail's other processes (a daemon's workers) are judged too: no more
capabilities than planned, no_new_privs and the filter ("other processes").

Nothing runs inside the jail and nothing the jail wrote is read. The jail is
named as fsviews ps lists it, or by the PID of any process in it, or by the
systemd unit it runs in (fsviews-web.service).

Exit status: 0 the jail matches its plan, 1 drift (a drifted jail too),
2 trouble (unknown or stopped jail, unreadable /proc).

Examples:
   fsviews inspect nginx
   fsviews inspect --json nginx | jq '.mounts[] | select(.status != "planned")'`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON"},
		},
		Action: func(c *cli.Context) error {
			positional, _, err := splitArgs(c)
			if err != nil {
				return err
			}
			if len(positional) != 1 {
				return cli.Exit("fsviews inspect: name one jail: fsviews inspect NAME (fsviews ps lists them)", 2)
			}
			e, err := runningJail(c, "inspect", positional[0])
			if err != nil {
				return err
			}
			plan, err := inspect.ParsePlan(e.Plan)
			if err != nil {
				return exit2("inspect", fmt.Errorf("jail %s: its record: %w", e.Name, err))
			}
			daemon := inspect.DaemonPID(plan, e.PID)
			jail, err := inspect.ReadJail(daemon)
			if err != nil {
				if stillErr := stillRunning(c, "inspect", e); stillErr != nil {
					return stillErr
				}
				return exit2("inspect", fmt.Errorf("jail %s: %w", e.Name, err))
			}
			host, err := inspect.ReadHost()
			if err != nil {
				return exit2("inspect", err)
			}
			jail.Recorded, host.Sources = e.Sources, inspect.ReadSources(plan)
			jail.Others = inspect.ReadOthers(plan, e.PID, daemon)
			if err := stillRunning(c, "inspect", e); err != nil {
				return err
			}
			report := inspect.Compare(plan, jail, host)
			report.Enforced = append(report.Enforced, inspect.ReadCgroup(plan, e.PID)...)
			moved := movedNamespaces(e, jail)
			report.Enforced = append(report.Enforced, moved...)
			if c.Bool("json") {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				err = enc.Encode(struct {
					Jail  string          `json:"jail"`
					PID   int             `json:"pid"`
					Drift bool            `json:"drift"`
					Execs []registry.Exec `json:"execs,omitempty"`
					*inspect.Report
				}{e.Name, e.PID, report.Drift(), e.Execs, &report})
			} else {
				fmt.Printf("jail %s, PID %d, profile %s\n", e.Name, e.PID, e.ProfilePath)
				printExecs(os.Stdout, e.Execs)
				if len(moved) > 0 {
					fmt.Println("drift: the jail's process has left the namespaces fsviews made for it (see the \"at start\" lines): the mounts below are those of a namespace the jail made, not the view fsviews built")
				}
				err = inspect.Format(os.Stdout, &report)
			}
			if err != nil {
				return exit2("inspect", err)
			}
			if report.Drift() {
				return cli.Exit("", 1)
			}
			return nil
		},
	}
}
