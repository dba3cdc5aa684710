package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/units"
)

func unitCommand() *cli.Command {
	return &cli.Command{
		Name:      "unit",
		Usage:     "print a hardened systemd service unit that runs PROFILE",
		ArgsUsage: "PROFILE",
		Description: `Prints a systemd service unit whose ExecStart runs "fsviews run PROFILE", with
absolute paths: this fsviews binary's own path, and the profile's absolute path
(or its bare name when it is a bundled profile). Redirect it into
/etc/systemd/system and enable it. The unit sets:

  Type=simple, or notify with --type notify (the daemon sends READY=1);
  NotifyAccess=main: the daemon, or with a PID namespace fsviews'
    supervisor, which relays the daemon's notifications;
  ExecReload=/bin/kill -HUP $MAINPID, for "systemctl reload";
  KillMode=mixed: "systemctl stop" sends SIGTERM to the main process only
    and SIGKILL to whatever is left once it has exited;
  Restart=on-failure, except after fsviews' own failures (125, 126, 127);
  SyslogIdentifier=the profile's name, for the journal;
  process restrictions that complement the view: NoNewPrivileges= (when the
    profile keeps no_new_privs), CapabilityBoundingSet= (what fsviews needs
    plus what the profile keeps), RestrictNamespaces= (the profile's),
    SystemCallArchitectures=native, LockPersonality=, RestrictRealtime=.

It sets no option that builds a mount namespace of systemd's own
(ProtectSystem=, PrivateTmp=, ...): the profile alone decides what the
daemon sees. docs/systemd.md explains every choice.

The profile is loaded and checked first; nothing is written or started.

Examples:
   fsviews unit web > /etc/systemd/system/fsviews-web.service
   systemctl daemon-reload && systemctl enable --now fsviews-web.service
   fsviews unit --type notify --name nginx-jail /etc/fsviews/nginx.toml`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "type", Value: "simple", Usage: "the unit's Type= (`TYPE`): simple, or notify when the daemon sends READY=1 once it is ready"},
			&cli.StringFlag{Name: "name", Usage: "the unit's `NAME` (.service is added); default fsviews-PROFILE.service"},
			&cli.StringFlag{Name: "state-dir", Usage: "as for run: the unit runs fsviews with --state-dir `DIR`"},
		},
		Action: func(c *cli.Context) error {
			positional, command, err := splitArgs(c)
			if err != nil {
				return err
			}
			if command != nil {
				return cli.Exit("fsviews unit: no command after \"--\": the unit runs the profile's own command; set command = [...] in the profile", 1)
			}
			if len(positional) != 1 {
				return cli.Exit("fsviews unit: name one profile: fsviews unit PROFILE [--type simple|notify] [--name UNIT] [--state-dir DIR]", 1)
			}
			typ, err := units.ParseType(c.String("type"))
			if err != nil {
				return cli.Exit(fmt.Sprintf("fsviews unit: --type: %v", err), 1)
			}
			var name string
			if c.IsSet("name") {
				if name, err = units.ServiceName(c.String("name")); err != nil {
					return cli.Exit(fmt.Sprintf("fsviews unit: --name: %v", err), 1)
				}
			}
			p, err := loadProfile(c, positional[0], 1)
			if err != nil {
				return err
			}
			self, err := os.Executable()
			if err != nil {
				return cli.Exit(fmt.Sprintf("fsviews unit: find the fsviews binary for ExecStart: %v", err), 1)
			}
			stateDir := c.String("state-dir")
			if stateDir != "" {
				if stateDir, err = filepath.Abs(stateDir); err != nil {
					return cli.Exit(fmt.Sprintf("fsviews unit: --state-dir %q: %v", c.String("state-dir"), err), 1)
				}
			}
			u, err := units.Generate(p, units.Options{
				Name:       name,
				Type:       typ,
				Executable: self,
				Profile:    profileRef(p.Origin.File),
				StateDir:   stateDir,
			})
			if err != nil {
				return cli.Exit(fmt.Sprintf("fsviews unit: %v", err), 1)
			}
			fmt.Print(u.Text)
			return nil
		},
	}
}

// profileRef is how ExecStart names the profile: a bundled profile by its
// bare name (it is inside the binary), a file by its absolute path, so
// the unit does not depend on systemd's working directory.
func profileRef(origin string) string {
	if lib, ok := strings.CutPrefix(origin, "library:"); ok {
		return strings.TrimSuffix(lib, ".toml")
	}
	if abs, err := filepath.Abs(origin); err == nil {
		return abs
	}
	return origin
}
