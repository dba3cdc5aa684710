package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/inspect"
	"github.com/fsviews/fsviews/registry"
)

func psCommand() *cli.Command {
	return &cli.Command{
		Name:      "ps",
		Usage:     "list the jails fsviews run started, and whether each still runs",
		ArgsUsage: "[NAME|PID|UNIT...]",
		Description: `Lists every registered jail: its name, PID, uptime, profile, the namespaces
it does not share with the host (PID 1), the systemd unit it runs in, and its
health. Named jails only, when given: by name, by the PID of any process in
the jail, or by unit (fsviews-web.service). --json adds the jail's cgroup and
main_pid, the process its caller started (systemd's main PID under a unit:
fsviews' supervisor with a PID namespace, the daemon itself in place).

fsviews run registers each jail in /run/fsviews/jails (see --runtime-dir)
before it builds the view. The record is a claim, checked against /proc on
every listing, by the PID and its start time (a reused PID has another):

  running  alive, in the namespaces fsviews made for it
  drift    alive, but it has left some of them (e.g. "exec unshare -U -m"
           inside); the reason names them, fsviews inspect NAME shows more
  stale    gone: the PID exited or now belongs to another process

A jail that has ended keeps its record, stale, so that fsviews diff NAME
still finds its state dirs. The next run of the same name replaces it;
--prune deletes every stale record now. A live jail, running or drift,
is never pruned, and no other jail may take its name while it lives.

Exit status 0, or 2 when the registry cannot be read or a PID or unit named
is in no running jail.

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
			reg := jailRegistry(c)
			only := map[string]bool{}
			for _, ref := range positional {
				name, err := jailName(reg, ref)
				if err != nil {
					return exit2("ps", err)
				}
				only[name] = true
			}
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
			rows := []psRow{}
			for _, e := range entries {
				if len(only) == 0 || only[e.Name] {
					r := newPSRow(e, host, time.Now())
					r.live(e)
					rows = append(rows, r)
				}
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
	// Cgroup is the jail's cgroup as the host sees it (/proc/PID/cgroup:
	// the unified hierarchy's, else the pids controller's); Unit the
	// systemd unit it is in, if any; MainPID the process the caller
	// started, systemd's main PID under a unit: fsviews' supervisor with
	// a PID namespace, the daemon itself in place.
	Cgroup  string `json:"cgroup,omitempty"`
	Unit    string `json:"unit,omitempty"`
	MainPID int    `json:"main_pid,omitempty"`
	// Execs are the commands fsviews exec started in the jail.
	Execs []registry.Exec `json:"execs,omitempty"`
}

// live adds what /proc says of a live jail now: its cgroup, unit and
// main PID.
func (r *psRow) live(e registry.Entry) {
	if !e.Health.Alive() {
		return
	}
	r.MainPID = e.PID
	if plan, err := inspect.ParsePlan(e.Plan); err == nil && plan.PID {
		if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", e.PID)); err == nil {
			for _, line := range strings.Split(string(st), "\n") {
				if v, ok := strings.CutPrefix(line, "PPid:"); ok {
					if ppid, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && ppid > 0 {
						r.MainPID = ppid
					}
				}
			}
		}
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", e.PID))
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(data), "\n") {
		id, rest, _ := strings.Cut(line, ":")
		ctrls, path, _ := strings.Cut(rest, ":")
		if id == "0" && ctrls == "" || r.Cgroup == "" && slices.Contains(strings.Split(ctrls, ","), "pids") {
			r.Cgroup = path
		}
	}
	for _, part := range strings.Split(r.Cgroup, "/") {
		if strings.HasSuffix(part, ".service") {
			r.Unit = part
		}
	}
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
	fmt.Fprintln(tw, "NAME\tPID\tUPTIME\tPROFILE\tNAMESPACES\tUNIT\tHEALTH")
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
		unit := r.Unit
		if unit == "" {
			unit = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.PID, up, r.Profile, ns, unit, health)
	}
	tw.Flush()
	if len(rows) == 0 {
		fmt.Fprintln(os.Stderr, "no jails registered (fsviews run registers them)")
	}
}
