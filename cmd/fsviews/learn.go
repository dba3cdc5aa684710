package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/learn"
	"github.com/fsviews/fsviews/profiles"
	"github.com/fsviews/fsviews/seccomp"
)

func learnCommand() *cli.Command {
	return &cli.Command{
		Name:      "learn",
		Usage:     "run a daemon once, watch what it uses, and write a profile for it",
		ArgsUsage: "[--out FILE [--verify]] [--duration D] [PROFILE] [-- COMMAND ARGS...]",
		Description: `Runs COMMAND once in a learning view, watches what it does, and writes a
profile that confines it to that: the files it read (as read-only binds of
the directories holding them, with the bundled base/libc, base/net and
base/tls included where they fit), what it wrote ([[state]] dirs kept on
the host, [[tmpfs]] for scratch under /tmp, /var/tmp and /run), /proc and
/dev if it used them, its network (net = "host" when it opened IP sockets,
else "none"), the user its main process ended as, the capabilities its
calls needed (ports below 1024, set*id calls, chown, chroot, signals to
other users, files its user could not read), and the syscalls it made (the
smallest seccomp preset that allows them, "daemon" plus an allow line for
any it refuses). Every section has a comment saying what was seen.

THE DAEMON RUNS AS ROOT while learning (or as --user), on the host's
files, with the host's network: learning is not confinement. Run only
programs you trust this far. It gets every capability but those that
would take it out of the view or change the host (SYS_ADMIN, SYS_CHROOT,
SYS_PTRACE, MKNOD, SYS_MODULE, NET_ADMIN, ...: docs/learn.md), and
/proc/sys is read-only. The host's files are read-only to it: the host's root file
system is the lower layer of an overlay whose upper layer is a tmpfs, in a
private mount and PID namespace; whatever the daemon writes vanishes with
that namespace. Its stdin and stderr are learn's, and so is its stdout
with --out (without, stdout carries the profile, and the daemon's goes
to stderr). /proc and a minimal /dev are its own; other mounts of the
host (/run as a tmpfs, /home on its own disk, ...) are not in the view.

The run ends when the daemon exits, when --duration has passed, or when
fsviews learn gets SIGINT (Ctrl-C) or SIGTERM: it then sends the daemon
SIGTERM (--stop-signal), waits up to 10 seconds, and kills what is left.
Exercise the daemon while it learns (connect its clients, make it write
its data, stop it cleanly): what it does not do then is not in the profile.

With PROFILE (a path or a name, as for run), learn extends that profile:
it runs the profile's command (or the one after --) as the profile's user,
and writes a profile that includes PROFILE and adds only what it lacked:
binds, state dirs, tmpfs, /proc or /dev, the capabilities (its list and
the new ones), net = "host", and an allow line for syscalls its filter
refuses. Use it when a profile is almost right.

The profile goes to --out (or stdout) and is checked as "fsviews check
--strict" would. --verify (with --out) then runs the daemon again under
it with fsviews run --seccomp-log: every layer enforced but the syscall
filter, which logs what it would refuse and lets it through. Exercise the
daemon again and stop it as before (Ctrl-C, SIGTERM or --duration); learn
then lists the syscalls it would have refused, with the allow line, and
exits 1 when there were any or the daemon failed (its messages, printed
as it runs, say what was missing: a file, a permission). State dirs of the
verifying run go to a temporary state root, removed afterwards.

Examples:
   fsviews learn --out /etc/fsviews/redis.toml -- redis-server --port 6380
   fsviews learn --duration 30s --out web.toml -- busybox httpd -f -p 8080 -h /srv/www
   fsviews learn --user redis --out redis.toml -- /usr/bin/redis-server /etc/redis/redis.conf
   fsviews learn --out /etc/fsviews/web-more.toml /etc/fsviews/web.toml

See docs/learn.md.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "write the profile to `FILE` (default: stdout)"},
			&cli.StringFlag{Name: "name", Usage: "the profile's `NAME` (default: the --out file's name, else the command's)"},
			&cli.DurationFlag{Name: "duration", Usage: "stop the daemon after `D`, e.g. 30s (default: when it exits, or on Ctrl-C / SIGTERM)"},
			&cli.StringFlag{Name: "stop-signal", Value: "TERM", Usage: "the `SIGNAL` that stops the daemon at the end of the run: TERM, INT, QUIT"},
			&cli.StringFlag{Name: "user", Usage: "run the daemon as `USER` while learning (default: root)"},
			&cli.BoolFlag{Name: "verify", Usage: "then run the daemon under the learned profile (syscall filter logging) and report what it would have refused"},
			&cli.StringFlag{Name: "observations", Usage: "also write what was observed, as JSON, to `FILE`"},
		},
		Subcommands: []*cli.Command{
			{Name: learn.StageView, Hidden: true, SkipFlagParsing: true, Action: func(c *cli.Context) error {
				code, err := learn.ViewStage(c.Args().Slice(), os.Stderr)
				return stageExit("fsviews learn: ", code, err)
			}},
			{Name: learn.StageExec, Hidden: true, SkipFlagParsing: true, Action: func(c *cli.Context) error {
				code, err := learn.ExecStage(c.Args().Slice())
				return stageExit("fsviews learn: ", code, err)
			}},
		},
		Action: func(c *cli.Context) error {
			positional, command, err := learnArgs(c)
			if err != nil {
				return err
			}
			var extends *learn.Existing
			opt := learn.Options{User: c.String("user"), Duration: c.Duration("duration"), Grace: 10 * time.Second}
			switch {
			case len(positional) > 1:
				return cli.Exit("fsviews learn: name at most one profile to extend: fsviews learn [--out FILE] [PROFILE] [-- COMMAND ARGS...]", 2)
			case len(positional) == 1:
				p, err := loadProfile(c, positional[0], 1)
				if err != nil {
					return err
				}
				if out := c.String("out"); out != "" && sameFile(out, p.Origin.File) {
					return cli.Exit(fmt.Sprintf("fsviews learn: --out %s is the profile it extends, which the learned profile includes: write it to another file", out), 2)
				}
				extends = existing(p, len(command) == 0)
				if len(command) == 0 {
					command = p.Command
				}
				if opt.User == "" {
					opt.User = p.Security.User
				}
				opt.Workdir = p.Workdir
			}
			if len(command) == 0 {
				return cli.Exit("fsviews learn: give the daemon after --, or a profile with a command: fsviews learn [--out FILE] [PROFILE] [-- COMMAND ARGS...]", 2)
			}
			opt.Command = command
			if c.String("out") != "" {
				opt.Stdout = os.Stdout // stdout carries no profile: the daemon's output is its own
			}
			var ok bool
			opt.StopSignal, ok = stopSignals[strings.TrimPrefix(strings.ToUpper(c.String("stop-signal")), "SIG")]
			if !ok {
				return cli.Exit(fmt.Sprintf("fsviews learn: --stop-signal %s: not one of TERM, INT, QUIT, HUP, USR1", c.String("stop-signal")), 2)
			}
			name := c.String("name")
			switch {
			case name != "":
			case c.String("out") != "":
				name = strings.TrimSuffix(filepath.Base(c.String("out")), ".toml")
			default:
				name = filepath.Base(command[0])
			}
			if c.Bool("verify") && c.String("out") == "" {
				return cli.Exit("fsviews learn: --verify runs the profile learn writes: give --out FILE too", 2)
			}
			bases, err := libraryBases()
			if err != nil {
				return cli.Exit(fmt.Sprintf("fsviews learn: %v", err), 1)
			}
			fmt.Fprintf(os.Stderr, "fsviews learn: running %s as %s on the host's files (read-only, through an overlay) with the host's network; nothing it writes reaches the host\n",
				strings.Join(command, " "), userOr(opt.User))
			obs, err := learn.Observe(opt)
			if err != nil {
				return cli.Exit(fmt.Sprintf("fsviews %v", err), 1)
			}
			if p := c.String("observations"); p != "" {
				b, _ := json.MarshalIndent(obs, "", "  ")
				if err := os.WriteFile(p, append(b, '\n'), 0o644); err != nil {
					return cli.Exit(fmt.Sprintf("fsviews learn: --observations: %v", err), 1)
				}
			}
			text := learn.Synthesize(learn.Input{Obs: obs, Name: name, Host: learn.OSHost{}, Bases: bases, Seccomp: seccompFit, Extends: extends})
			out := c.String("out")
			if out == "" {
				fmt.Print(text)
				return nil
			}
			if err := os.WriteFile(out, []byte(text), 0o644); err != nil {
				return cli.Exit(fmt.Sprintf("fsviews learn: --out: %v", err), 1)
			}
			fmt.Fprintf(os.Stderr, "fsviews learn: wrote %s (%s)\n", out, obs.Ended)
			if err := checkLearned(c, out); err != nil || !c.Bool("verify") {
				return err
			}
			return verifyLearned(out, name, opt)
		},
	}
}

// existing is what learn needs of a profile it extends; sameCommand is
// true when the run uses the profile's command.
func existing(p *profiles.Profile, sameCommand bool) *learn.Existing {
	e := &learn.Existing{Include: p.Origin.File, Command: sameCommand, Proc: p.Proc != nil, Dev: p.Dev != nil,
		HostNet: p.Namespaces.Net == profiles.NetHost, User: p.Security.User}
	if lib, ok := strings.CutPrefix(p.Origin.File, "library:"); ok {
		e.Include = lib // found in the bundled library from any directory
	} else if abs, err := filepath.Abs(p.Origin.File); err == nil {
		e.Include = abs
	}
	for _, b := range p.Binds {
		e.Shows = append(e.Shows, b.Target)
		if b.Mode == profiles.ReadWrite {
			e.Writable = append(e.Writable, b.Target)
		}
	}
	for _, x := range p.Tmpfs {
		e.Shows, e.Writable = append(e.Shows, x.Target), append(e.Writable, x.Target)
	}
	for _, x := range p.States {
		e.Shows, e.Writable = append(e.Shows, x.Target), append(e.Writable, x.Target)
	}
	for _, x := range p.Dirs {
		e.Shows = append(e.Shows, x.Target)
	}
	for _, x := range p.Symlinks {
		e.Shows = append(e.Shows, x.Target)
	}
	for _, x := range p.Files {
		e.Shows = append(e.Shows, x.Target)
	}
	e.Shows = append(e.Shows, p.Logging.Sockets()...)
	for _, c := range p.Security.Caps {
		e.Caps = append(e.Caps, strings.TrimPrefix(c, "CAP_"))
	}
	if p.Seccomp != nil {
		spec := p.Seccomp.Spec
		e.Refused = func(names []string) []string { return spec.Refused(seccomp.NativeArch(), names) }
	}
	return e
}

// sameFile reports whether two paths name one existing file.
func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

var stopSignals = map[string]syscall.Signal{"TERM": syscall.SIGTERM, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT, "HUP": syscall.SIGHUP, "USR1": syscall.SIGUSR1}

func userOr(u string) string {
	if u == "" {
		return "root"
	}
	return u
}

// verifyLearned runs the learned profile with the syscall filter logging
// and reports what it would have refused.
func verifyLearned(out, name string, opt learn.Options) error {
	self, err := os.Executable()
	if err != nil {
		return cli.Exit(fmt.Sprintf("fsviews learn: %v", err), 1)
	}
	fmt.Fprintf(os.Stderr, "fsviews learn: verifying: running %s under %s, enforcing all but the syscall filter, which logs; exercise it again, then stop it (Ctrl-C)\n", name, out)
	v, err := learn.Verify(learn.VerifyOptions{Self: self, Profile: out, Name: name, Duration: opt.Duration, StopSignal: opt.StopSignal, Out: os.Stderr})
	if err != nil {
		return cli.Exit(fmt.Sprintf("fsviews learn: %v", err), 1)
	}
	failed := false
	switch {
	case v.Code >= 125 && v.Code <= 127:
		fmt.Fprintf(os.Stderr, "fsviews learn: verify: the daemon did not start under %s (exit status %d, the message above says why)\n", out, v.Code)
		failed = true
	case v.Exit != nil && !v.Stopped:
		fmt.Fprintf(os.Stderr, "fsviews learn: verify: the daemon ended by itself under %s: %v\n", out, v.Exit)
	}
	if len(v.Records) > 0 {
		fmt.Fprintf(os.Stderr, "fsviews learn: verify: the filter of %s would have refused these syscalls:\n", out)
		summarizeSeccompLog(strings.NewReader(strings.Join(v.Records, "\n")), os.Stderr, 0, "")
		failed = true
	}
	if failed {
		return cli.Exit(fmt.Sprintf("fsviews learn: verify: %s needs changes (above)", out), 1)
	}
	fmt.Fprintf(os.Stderr, "fsviews learn: verify: %s: nothing refused\n", out)
	return nil
}

// checkLearned runs fsviews check --strict on the written profile, so
// that its verdict is exactly check's.
func checkLearned(c *cli.Context, out string) error {
	self, err := os.Executable()
	if err != nil {
		return cli.Exit(fmt.Sprintf("fsviews learn: %v", err), 1)
	}
	cmd := exec.Command(self, "check", "--strict", out)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return cli.Exit(fmt.Sprintf("fsviews learn: %s does not pass fsviews check --strict (above): edit it, or learn again", out), 1)
	}
	return nil
}

// seccompFit is learn.SeccompFit for this machine's architecture.
func seccompFit(preset string, names []string) []string {
	return seccomp.Spec{Preset: preset}.Refused(seccomp.NativeArch(), names)
}

// libraryBases describes the bundled base fragments for learn: what each
// shows, from the fragment itself.
func libraryBases() ([]learn.Base, error) {
	var bases []learn.Base
	for _, name := range []string{"base/libc.toml", "base/net.toml", "base/tls.toml"} {
		b, err := fs.ReadFile(profiles.Library(), name)
		if err != nil {
			return nil, fmt.Errorf("%w: bundled %s: %v", os.ErrNotExist, name, err)
		}
		var frag struct {
			Bind    []struct{ Source, Target string }
			Symlink []struct{ Target string }
			File    []struct{ Target string }
		}
		if _, err := toml.Decode(string(b), &frag); err != nil {
			return nil, fmt.Errorf("bug: bundled %s: %w", name, err)
		}
		base := learn.Base{Include: name}
		for _, x := range frag.Bind {
			base.Shows = append(base.Shows, cmp.Or(x.Target, x.Source))
		}
		for _, x := range frag.Symlink {
			base.Shows = append(base.Shows, x.Target)
		}
		for _, x := range frag.File {
			base.Shows = append(base.Shows, x.Target)
		}
		bases = append(bases, base)
	}
	return bases, nil
}

// learnArgs is splitArgs for learn, whose "--" may come before any
// positional argument: the flag parser then consumes it, and what is
// left is the command.
func learnArgs(c *cli.Context) (positional, command []string, err error) {
	args := c.Args().Slice()
	if slices.Contains(os.Args, "--") && !slices.Contains(args, "--") {
		return nil, args, nil
	}
	return splitArgs(c)
}
