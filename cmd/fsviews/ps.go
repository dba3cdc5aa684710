package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/inspect"
	"github.com/fsviews/fsviews/registry"
)

func psCommand() *cli.Command {
	return &cli.Command{
		Name:  "ps",
		Usage: "list the jails fsviews run started, and whether each still runs",
		Description: `Lists every registered jail: its name, PID, uptime, profile, the namespaces
it does not share with the host (PID 1), and its health.

fsviews run registers each jail in /run/fsviews/jails (see --runtime-dir)
before it builds the view. The record is a claim, checked against /proc on
every listing, by the PID and its start time (a reused PID has another):

  running  alive, in the namespaces fsviews made for it
  drift    alive, but it has left some of them (e.g. "exec unshare -U -m"
           inside); the reason names them, fsviews inspect NAME shows more
  stale    gone: the PID exited or now belongs to another process

The daemon replaces fsviews in place, so nothing removes the record when the
daemon exits: its record turns stale. The next run of the same name replaces
it; --prune deletes every stale record now. A live jail, running or drift,
is never pruned, and no other jail may take its name while it lives.

Exit status 0, or 2 when the registry cannot be read.

Examples:
   fsviews ps
   fsviews ps --json | jq '.[] | select(.health == "stale") | .name'
   fsviews ps --json | jq '.[] | select(.health == "drift")'
   fsviews ps --prune`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the jails as JSON"},
			&cli.BoolFlag{Name: "prune", Usage: "delete the records of stale jails (and say which)"},
		},
		Action: func(c *cli.Context) error {
			positional, _, err := splitArgs(c)
			if err != nil {
				return err
			}
			if len(positional) > 0 {
				return cli.Exit("fsviews ps: takes no arguments; fsviews inspect NAME shows one jail", 2)
			}
			reg := jailRegistry(c)
			if c.Bool("prune") {
				pruned, err := reg.Prune()
				for _, e := range pruned {
					fmt.Fprintf(os.Stderr, "pruned %s: %s\n", e.Name, e.Why)
				}
				if err != nil {
					return exit2("ps", err)
				}
			}
			entries, err := reg.List()
			if err != nil {
				return exit2("ps", err)
			}
			host, _ := inspect.HostNamespaces()
			rows := make([]psRow, len(entries))
			for i, e := range entries {
				rows[i] = newPSRow(e, host, time.Now())
			}
			if c.Bool("json") {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rows); err != nil {
					return exit2("ps", err)
				}
				return nil
			}
			printPS(rows)
			return nil
		},
	}
}

// psRow is one jail as ps shows it; the plan stays out (fsviews inspect).
type psRow struct {
	Name          string            `json:"name"`
	PID           int               `json:"pid"`
	Health        registry.Health   `json:"health"`
	Why           string            `json:"why,omitempty"`
	Started       time.Time         `json:"started"`
	UptimeSeconds int64             `json:"uptime_seconds,omitempty"`
	Profile       string            `json:"profile"`
	ProfileSHA256 string            `json:"profile_sha256,omitempty"`
	Namespaces    map[string]uint64 `json:"namespaces"`
	// Private lists the namespaces whose inode differs from PID 1's.
	Private []string `json:"private_namespaces"`
	// Execs are the commands fsviews exec started in the jail.
	Execs []registry.Exec `json:"execs,omitempty"`
}

func newPSRow(e registry.Entry, host map[string]uint64, now time.Time) psRow {
	r := psRow{Name: e.Name, PID: e.PID, Health: e.Health, Why: e.Why, Started: e.Started,
		Profile: e.ProfilePath, ProfileSHA256: e.ProfileSHA256, Namespaces: e.Namespaces, Private: []string{}, Execs: e.Execs}
	if e.Health.Alive() && !e.Started.IsZero() {
		r.UptimeSeconds = int64(now.Sub(e.Started).Seconds())
	}
	for name, ino := range e.Namespaces {
		if h, ok := host[name]; ok && h != ino && !strings.HasSuffix(name, "_for_children") {
			r.Private = append(r.Private, name)
		}
	}
	slices.Sort(r.Private)
	return r
}

func printPS(rows []psRow) {
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPID\tUPTIME\tPROFILE\tNAMESPACES\tHEALTH")
	for _, r := range rows {
		up := "-"
		if r.Health.Alive() {
			up = (time.Duration(r.UptimeSeconds) * time.Second).String()
		}
		ns := strings.Join(r.Private, ",")
		if ns == "" {
			ns = "-"
		}
		health := r.Health.String()
		if r.Why != "" {
			health += ": " + r.Why
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", r.Name, r.PID, up, r.Profile, ns, health)
	}
	tw.Flush()
	if len(rows) == 0 {
		fmt.Fprintln(os.Stderr, "no jails registered (fsviews run registers them)")
	}
}
