package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/inspect"
	"github.com/fsviews/fsviews/launch"
	"github.com/fsviews/fsviews/profiles"
	"github.com/fsviews/fsviews/registry"
	"github.com/fsviews/fsviews/views"
)

func execCommand() *cli.Command {
	return &cli.Command{
		Name:      "exec",
		Usage:     "run a command inside a running jail, under the jail's own confinement",
		ArgsUsage: "JAIL -- CMD ARGS...",
		Description: `Runs CMD inside the running jail JAIL (its name, as fsviews ps lists it, or
its PID) with exactly the confinement its daemon has: the jail's namespaces
and root, the plan's workdir, its rlimits, user, capabilities (the same or
fewer), no_new_privs, Landlock rules and seccomp filter, its cgroup, and an
environment made by the profile's [env] rules. Think "docker exec", without
the admin's privileges leaking in.

Everything comes from the root-owned record fsviews run wrote when the jail
started (fsviews inspect shows it), never from inside the jail: the jail's
process is held by a pidfd and proven to be the recorded one (its start
time and namespaces), so a PID reused since, or a record naming some other
process, is refused. Before it is confined, the entering process cannot be
ptraced, nor its /proc files opened, by the jail, and it runs from a sealed
copy of fsviews, never the host's binary (docs/security.md, "fsviews exec").

--user runs CMD as another user (NAME or UID, optionally :GROUP, resolved on
the host as the profile's user is) and may only lower privileges: when the
daemon runs as root any other user, with no capability at all; otherwise
none but the daemon's own.

Without --tty CMD runs in a new session with no controlling terminal and
your stdin, stdout and stderr. --tty is for an interactive shell: CMD gets
a new terminal of the jail's own (from the private devpts of the profile's
[dev], which --tty needs) as its controlling terminal and stdio; fsviews
exec relays your terminal to it, in raw mode while it runs (Ctrl-C reaches
CMD as a key) and passes on its size. Your terminal never enters the jail,
so CMD cannot type into it, change its modes or keep it after the exec.

The exec is recorded (when, by which uid and login uid, what, as whom) in
the jail's record: fsviews inspect lists it, fsviews ps --json has it.

Exit status: CMD's own once it runs (a signal that killed it is re-raised);
before that, 125 when fsviews fails or refuses (unknown, stopped, drifted or
rootless jail, a record that does not match its process), 126 when CMD
cannot be executed, 127 when it is not found inside the view.

Examples:
   fsviews exec web -- /bin/sh -c 'ls /; id'
   fsviews exec --tty web -- /bin/sh
   fsviews exec --user nobody web -- cat /etc/nginx/nginx.conf
   fsviews exec 4242 -- /bin/ps                 (the PID of any process in the jail)
   fsviews exec fsviews-web.service -- /bin/ps  (the systemd unit it runs in)`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "user", Usage: "run as `USER[:GROUP]` (a name or a number) instead of the daemon's user; may only lower privileges"},
			&cli.BoolFlag{Name: "tty", Usage: "give CMD a terminal of the jail's own, relayed to yours, for an interactive shell (needs [dev] in the profile)"},
		},
		Action: func(c *cli.Context) error {
			positional, command, err := splitArgs(c)
			if err != nil {
				return err
			}
			if len(positional) != 1 || len(command) == 0 {
				return cli.Exit("fsviews exec: name one jail and a command: fsviews exec [--user U] [--tty] JAIL -- CMD ARGS... (fsviews ps lists the jails)", 125)
			}
			e, err := execJail(c, positional[0])
			if err != nil {
				return err
			}
			var plan *views.Plan // none: Enter refuses the record
			if len(e.Plan) > 0 {
				if plan, err = inspect.ParsePlan(e.Plan); err != nil {
					return cli.Exit(fmt.Sprintf("fsviews exec: jail %s: its record: %v", e.Name, err), 125)
				}
			}
			opt := launch.EnterOptions{Command: command, TTY: c.Bool("tty"), Environ: os.Environ(), Warnings: os.Stderr}
			if u := c.String("user"); u != "" {
				id, err := parseUser(u, profiles.OSHost{})
				if err != nil {
					return cli.Exit(fmt.Sprintf("fsviews exec: --user %s: %v; nothing was run", u, err), 125)
				}
				opt.User = &id
			}
			opt.Started = func(pid, uid, gid int) error {
				return jailRegistry(c).AddExec(e.Name, e.PID, e.StartTime, execEntry(command, pid, uid, gid))
			}
			err = launch.Enter(launch.Jail{Name: e.Name, PID: e.PID, StartTime: e.StartTime, Namespaces: e.Namespaces, Plan: plan}, opt)
			var exited *launch.Exited
			if errors.As(err, &exited) {
				exitAs(exited)
			}
			var le *launch.Error
			if errors.As(err, &le) {
				return cli.Exit(fmt.Sprintf("fsviews exec: %v", le.Err), le.Code)
			}
			return cli.Exit(fmt.Sprintf("fsviews exec: %v", err), 125)
		},
	}
}

// execJail finds the jail named by ref, a name or a PID (the recorded one,
// or the daemon's), and insists that it runs in the namespaces fsviews
// made for it: a drifted jail's namespaces are its own making.
func execJail(c *cli.Context, ref string) (registry.Entry, error) {
	reg := jailRegistry(c)
	name, err := jailName(reg, ref)
	if err != nil {
		return registry.Entry{}, cli.Exit(fmt.Sprintf("fsviews exec: %v; see fsviews ps", err), 125)
	}
	e, err := reg.Get(name)
	if errors.Is(err, fs.ErrNotExist) {
		return e, cli.Exit(fmt.Sprintf("fsviews exec: %v; see fsviews ps", err), 125)
	}
	if err != nil {
		return e, cli.Exit(fmt.Sprintf("fsviews exec: %v", err), 125)
	}
	switch e.Health {
	case registry.Running:
		return e, nil
	case registry.Drift:
		return e, cli.Exit(fmt.Sprintf("fsviews exec: jail %s has drifted: %s; its namespaces are no longer the ones fsviews made, so nothing is entered (fsviews inspect %s)", e.Name, e.Why, e.Name), 125)
	}
	return e, cli.Exit(fmt.Sprintf("fsviews exec: jail %s is not running: %s (the record is stale; fsviews ps --prune removes it)", e.Name, e.Why), 125)
}

// parseUser reads --user: USER[:GROUP], each a name (looked up on the
// host) or a number; a bare uid keeps gid = uid, as the profile's user does.
func parseUser(s string, h profiles.Host) (launch.Identity, error) {
	user, group, hasGroup := strings.Cut(s, ":")
	var id launch.Identity
	if n, err := strconv.Atoi(user); err == nil && n >= 0 {
		id = launch.Identity{UID: n, GID: n}
	} else if uid, gid, err := h.LookupUser(user); err == nil {
		id = launch.Identity{UID: uid, GID: gid}
	} else {
		return id, fmt.Errorf("unknown user %q (on the host)", user)
	}
	if !hasGroup {
		return id, nil
	}
	if n, err := strconv.Atoi(group); err == nil && n >= 0 {
		id.GID = n
	} else if gid, err := h.LookupGroup(group); err == nil {
		id.GID = gid
	} else {
		return id, fmt.Errorf("unknown group %q (on the host)", group)
	}
	return id, nil
}

// execEntry is what the jail's record keeps of one exec: who asked, when,
// for what, and as whom it ran.
func execEntry(command []string, pid, uid, gid int) registry.Exec {
	x := registry.Exec{Time: time.Now().UTC(), UID: os.Getuid(), LoginUID: -1, SudoUser: os.Getenv("SUDO_USER"),
		Command: command, RunAs: [2]int{uid, gid}, PID: pid}
	// The audit login uid: set at login and kept across sudo and su;
	// 4294967295 means unset.
	if b, err := os.ReadFile("/proc/self/loginuid"); err == nil {
		if n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32); err == nil && n != 4294967295 {
			x.LoginUID = int(n)
		}
	}
	return x
}

// printExecs lists the execs of a jail for fsviews inspect, one a line.
func printExecs(w io.Writer, execs []registry.Exec) {
	for _, x := range execs {
		by := fmt.Sprintf("uid %d", x.UID)
		if x.LoginUID >= 0 {
			by += fmt.Sprintf(" (login uid %d)", x.LoginUID)
		}
		if x.SudoUser != "" {
			by += fmt.Sprintf(" (SUDO_USER %s)", x.SudoUser)
		}
		fmt.Fprintf(w, "exec: %s by %s as %d:%d, PID %d: %s\n", x.Time.Format(time.RFC3339), by, x.RunAs[0], x.RunAs[1], x.PID, strings.Join(quoteArgs(x.Command), " "))
	}
}

// quoteArgs quotes the words of an argv that a shell would split or
// that hold control characters, so that one exec is one line.
func quoteArgs(argv []string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsFunc(a, func(r rune) bool { return r <= ' ' || r == '"' || r == '\'' || r == '\\' || r == 0x7f }) {
			a = strconv.Quote(a)
		}
		out[i] = a
	}
	return out
}
