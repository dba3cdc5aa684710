package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"

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
  4. [limits] set; capabilities, user and group dropped as profiled,
     no_new_privs set, the controlling terminal left (unless --tty),
     inherited file descriptors other than stdin, stdout, stderr and
     socket-activation fds (LISTEN_FDS) closed; [landlock] rules enforced;
     the [seccomp] filter installed last;
  5. execve of the command.

Steps 1-5 run in a new PID namespace (unless the profile says "pid = false"
under [namespaces]): the daemon cannot see or signal host processes, and
fsviews stays outside as a small supervisor: it forwards signals to the
jail and exits as the daemon did (re-raising the signal that killed it).
With "pid = false" the daemon replaces fsviews in the same process, so its
exit status and signals are fsviews' own. Under systemd, NOTIFY_SOCKET is bound into the view at
/run/fsviews/notify and LISTEN_PID is rewritten to the daemon's PID; see
docs/systemd.md.

Without root (no CAP_SYS_ADMIN), with --userns, or with "user = true" under
[namespaces], the view is built in a new user namespace instead: a rootless
jail. Your uid and gid are mapped to themselves, so the daemon runs as you;
a PID namespace is implied (even with pid = false); state
dirs default to $XDG_STATE_HOME/fsviews (else ~/.local/state/fsviews) and the
registry to $XDG_RUNTIME_DIR/fsviews. What a rootless jail cannot do (binds
you cannot read, another user, most capabilities, raised hard limits) is an
error before anything is built; fsviews check reports it too. fsviews
refuses to run setuid. See docs/rootless.md.

A layer the kernel cannot enforce (no seccomp, a Landlock ABI too old) stops
the run with an error naming it, unless its table says optional = true: then
run says on stderr what it skipped and goes on.

--seccomp-log runs the daemon with a filter that refuses nothing but logs, in
the kernel's audit log, every syscall the profile's filter would refuse;
"journalctl -k -g type=1326 | fsviews seccomp-log" (or dmesg instead of
journalctl) names them and prints the allow line to add to the profile
(docs/security.md shows how).

The command comes from the profile's "command", or from the words after "--".
Exit status: the daemon's own once it runs; before that, 125 when fsviews
fails (bad profile, mount error), 126 when the command cannot be executed,
127 when it is not found inside the view, 124 when the profile's [limits]
wall ended the jail.

[cgroup] (pids, memory, cpu) gives the jail a cgroup of its own, made below
fsviews' own cgroup and removed when the jail ends; like [limits] wall, it
keeps fsviews as a supervisor (pid = true). run says on stderr when a limit
OOM-killed a process, refused forks or ended the jail (docs/profiles.md).

Examples:
   fsviews run /etc/fsviews/nginx.toml
   fsviews run minimal -- /bin/sh -c 'ls /'
   fsviews run ./web.toml --state-dir /srv/fsviews-state
   fsviews run --name web2 /etc/fsviews/nginx.toml
   fsviews run --seccomp-log ./web.toml
   fsviews run --tty minimal -- /bin/sh     an interactive shell in a view
   fsviews run --userns minimal -- id        a rootless jail, even as root

Every jail has a name: --name, by default the profile's. Its state dirs are
kept under STATE_ROOT/NAME (/var/lib/fsviews/NAME unless the profile's
state_root or --state-dir say otherwise), so two jails of one profile run
with --name web1 and --name web2 keep separate state. The jail is
registered under its name in /run/fsviews/jails, for fsviews ps, inspect,
checkpoint and diff. A second
run under the name of a live jail fails before building anything. When
the jail ends its record stays and turns stale (ps reports it, diff NAME
still uses it, the next run of that name replaces it, ps --prune deletes
it); a launch whose daemon never ran leaves none. The name "checkpoints" is
reserved, and a state dir or read-write bind that overlaps the checkpoint
dir or the runtime dir is refused: no jail may write the records and
checkpoints it is audited with.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "state-dir", Usage: "keep state dirs under `DIR`/NAME instead of the profile's state_root (default /var/lib/fsviews)"},
			&cli.StringFlag{Name: "name", Usage: "name the jail `NAME` (default: the profile's name): its state dir is STATE_ROOT/NAME, and fsviews ps, inspect, checkpoint and diff know it by that name"},
			&cli.BoolFlag{Name: "tty", Usage: "keep the caller's terminal as the daemon's controlling terminal, for an interactive shell; without it the daemon runs in a new session with none, so it cannot push input into your terminal"},
			usernsFlag(),
			&cli.BoolFlag{Name: "seccomp-log", Usage: "log (kernel audit log) what the seccomp filter would refuse instead of refusing it"},
		},
		Action: func(c *cli.Context) error {
			startUp()
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
			if c.Bool("seccomp-log") && p.Seccomp == nil {
				return cli.Exit(fmt.Sprintf("fsviews run --seccomp-log: %s has no syscall filter, so there is nothing to log: no_new_privs = false leaves out the default filter; remove that line, or add [seccomp] with a preset; nothing was changed", positional[0]), 125)
			}
			stateDir, err := stateRootFor(c, p)
			if err != nil {
				return cli.Exit(fmt.Sprintf("fsviews: %v", err), 125)
			}
			userns, err := rootlessRun(c, positional[0], p)
			if err != nil {
				return err
			}
			name := c.String("name")
			if name == "" {
				name = p.Name
			}
			plan := views.Compile(p, views.Options{Name: name, StateRoot: stateDir, Command: command, SeccompLog: c.Bool("seccomp-log"),
				TTY: c.Bool("tty"), NotifySocket: notifySocket(), UserNS: userns, Kernel: kernel()})
			for _, s := range plan.Skipped {
				fmt.Fprintf(os.Stderr, "fsviews: %s: %s\n", plan.Name, s)
			}
			if err := auditDirsApart(c, plan); err != nil {
				return cli.Exit(fmt.Sprintf("fsviews: %s: %v; nothing was changed", positional[0], err), 125)
			}
			err = execRegistered(jailRegistry(c), name, p, plan, loader(c))
			var exited *launch.Exited
			if errors.As(err, &exited) {
				if exited.Why != "" {
					fmt.Fprintf(os.Stderr, "fsviews: %s: %s\n", name, exited.Why)
				}
				exitAs(exited)
			}
			var le *launch.Error
			if errors.As(err, &le) {
				return cli.Exit(fmt.Sprintf("fsviews: %s: %v", positional[0], le.Err), le.Code)
			}
			return cli.Exit(fmt.Sprintf("fsviews: %s: %v", positional[0], err), 125)
		},
	}
}

// startUp sets the garbage collector for run's start-up: off, with a
// memory limit instead. run allocates what the profile, the plan and the
// record need and then execs the daemon (in place) or settles as a small
// supervisor, which shrink sets back to collecting (launch/rss_linux.go)
// half a second later. With the default GOGC the heap of a large profile
// (1000 binds: the TOML, the plan, the record) went through collections
// while the view was built: perf had the GC's workers at ~9% of such a
// start. The limit keeps a pathological profile from growing without
// bound: past it the collector runs as usual.
func startUp() {
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(256 << 20)
}

// notifySocket is the caller's NOTIFY_SOCKET as run passes it on, with a
// warning when the daemon cannot use it: plan and run show and run the
// same plan.
func notifySocket() string {
	socket, err := launch.NotifySocket(os.Getenv("NOTIFY_SOCKET"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "fsviews: warning: %v\n", err)
	}
	return socket
}

// kernel is what this host's kernel can enforce, a host fact of the plan
// (views.Options.Kernel): run and plan leave out the same optional layers.
func kernel() *views.Kernel {
	k := launch.ProbeKernel()
	return &k
}
