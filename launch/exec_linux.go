package launch

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/mounts"
	"github.com/fsviews/fsviews/pivot"
	"github.com/fsviews/fsviews/privs"
	"github.com/fsviews/fsviews/registry"
	"github.com/fsviews/fsviews/views"
)

// Error is a failure to start the daemon. Code follows the shell's
// convention, so the caller can tell fsviews' failures from the daemon's
// exit status: 125 fsviews itself failed, 126 the command cannot be
// executed, 127 the command was not found.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func failed(format string, args ...any) error {
	return &Error{Code: 125, Err: fmt.Errorf(format, args...)}
}

// ExecWith is Exec with options (see Options). Without a PID namespace it
// execs the daemon in place and returns only on failure. With one it
// supervises the jail and returns *Exited once the daemon is gone.
func ExecWith(plan *views.Plan, environ []string, opt Options) error {
	j, err := prepare(plan, environ, opt.Warnings)
	if err != nil {
		return err
	}
	if plan.PID {
		return supervise(j, opt.Register)
	}
	if plan.Cgroup != nil || plan.Wall > 0 {
		// Only the supervisor outlives the daemon to remove the cgroup
		// and enforce the wall limit; profiles imply pid = true for them.
		return failed("bug: [cgroup] and [limits] wall need the supervisor ([namespaces] pid = true)")
	}
	// From here on, everything happens on this thread, which never
	// returns to the Go scheduler's pool: it either execs or the process
	// exits with the error.
	runtime.LockOSThread()
	if err := unix.Unshare(cloneFlags(plan.Unshare)); err != nil {
		return failed("%w", unshareError(plan.Unshare, err))
	}
	if err := mounts.MakePrivate(); err != nil {
		return failed("%w", err)
	}
	if reg := opt.Register; reg != nil {
		// The jail's namespaces are this thread's now: /proc/PID/ns
		// shows the thread-group leader's, which is not always this one.
		rec := reg.Record
		ns, err := registry.ThreadNamespaces()
		if err != nil {
			return failed("register jail %s: %w", rec.Name, err)
		}
		rec.Namespaces = ns
		if err := reg.Registry.AddSelf(rec); err != nil {
			return failed("%w", err)
		}
	}
	err = launchInPlace(j)
	// Only a failed launch returns: the record names a process that will
	// never be the jail.
	if reg := opt.Register; reg != nil {
		if rmErr := reg.Registry.Remove(reg.Record.Name, os.Getpid()); rmErr != nil {
			warn(j.warnings, "%v", rmErr)
		}
	}
	return err
}

// launchInPlace builds the view on this thread and execs the daemon; it
// returns only on failure.
func launchInPlace(j *job) error {
	path, err := enter(j)
	if err != nil {
		return err
	}
	return execDaemon(j, path, os.Getpid())
}

// enter builds the view in the calling thread's new mount namespace,
// already made private, pivots into it and gets it ready for the daemon:
// the part both process models share. It returns the command's path
// inside the view.
func enter(j *job) (string, error) {
	plan := j.Plan
	// Modes in the plan are exact; the caller's umask is restored for
	// the daemon, which would have inherited it without fsviews.
	unix.Umask(0)
	root, err := build(plan, j.RelayFD)
	if err != nil {
		return "", failed("build view: %w", err)
	}
	// The plan's first finishing steps, up to the workdir; execDaemon
	// takes the rest.
	pivoted := false
	for _, kind := range plan.Steps() {
		switch kind {
		case views.StepPivot:
			if err := pivot.Into(root.FD()); err != nil {
				return "", failed("%w", err)
			}
			root.Close()
			pivoted = true
		case views.StepHostname:
			if err := unix.Sethostname([]byte(plan.Hostname)); err != nil {
				return "", failed("sethostname %q: %w", plan.Hostname, err)
			}
		case views.StepLoopback:
			if err := loopbackUp(); err != nil {
				return "", failed("%w", err)
			}
		case views.StepChdir:
			// Never the host's root: a plan that did not pivot first
			// is a bug, and nothing runs.
			if !pivoted {
				return "", failed("bug: the plan's chdir comes before its pivot")
			}
			return chdirAndFind(j)
		default:
			return "", failed("bug: the plan's step %s comes before its chdir", kind)
		}
	}
	return "", failed("bug: the plan has no chdir step")
}

// chdirAndFind enters the workdir and finds the command, inside the view.
func chdirAndFind(j *job) (string, error) {
	if err := unix.Chdir(j.Plan.Workdir); err != nil {
		return "", failed("chdir to workdir %s inside the view: %w; create it with [[dir]] or a bind", j.Plan.Workdir, err)
	}
	return lookPath(j.Plan.Command[0], j.Env, j.OnHost)
}

// execDaemon takes the last steps before the daemon runs, in the order
// that keeps each possible (privileges first: the others need none),
// and executes it. pid is the daemon's PID as it will see it.
//
// This is the one place for anything that must happen right before
// execve, seccomp last.
func execDaemon(j *job, path string, pid int) error {
	plan := j.Plan
	// A stage inside the jail: the job crossed over a pipe, and the
	// supervisor already checked the kernel and said what it skips.
	conf, err := j.confinement()
	if err != nil {
		return err
	}
	// The plan's finishing steps from the workdir on, in its order
	// (views.Plan.Finish); the view is built and entered by now.
	do := map[views.StepKind]func() error{
		views.StepLimits: conf.setLimits,
		views.StepPrivileges: func() error {
			if err := privs.Apply(privs.Set{UID: plan.UID, GID: plan.GID, Caps: plan.Caps, NoNewPrivs: plan.NoNewPriv, LastCap: j.LastCap}); err != nil {
				return err
			}
			// A changed uid clears the parent-death signal; PID 1 of
			// a jail must still die with its supervisor.
			return rearmPdeathsig(j, pid)
		},
		views.StepUmask:   func() error { unix.Umask(j.Umask); return nil },
		views.StepSession: func() error { return detachTerminal(plan.TTY) },
		views.StepSignals: resetIgnoredSignals,
		views.StepFDs:     func() error { return keepOnly(j.ListenFDs) },
		views.StepConfine: conf.enforce,
	}
	steps, err := finishingSteps(plan, conf)
	if err != nil {
		return err
	}
	for _, s := range steps {
		if s == views.StepExec {
			break
		}
		step, ok := do[s]
		if !ok {
			return failed("bug: fsviews has no way to take the plan's step %s", s)
		}
		if err := step(); err != nil {
			return failed("%s: %w", s, err)
		}
	}
	env := daemonEnv(j, pid)
	err = unix.Exec(path, plan.Command, env)
	code := 126
	if errors.Is(err, unix.ENOENT) {
		code = 127
	}
	return &Error{Code: code, Err: fmt.Errorf("exec %s inside the view: %w", path, err)}
}

// finishingSteps are the plan's steps after its chdir, checked: each is
// one launch takes, those every daemon needs are there, and Landlock and
// seccomp are applied when conf has them. A plan that leaves one out is
// a bug, and nothing runs.
func finishingSteps(plan *views.Plan, conf *confinement) ([]views.StepKind, error) {
	var steps []views.StepKind
	seen := map[views.StepKind]bool{}
	chdir := false
	for _, kind := range plan.Steps() {
		if !chdir {
			chdir = kind == views.StepChdir
			continue
		}
		switch kind {
		case views.StepLimits, views.StepPrivileges, views.StepUmask, views.StepSession, views.StepSignals, views.StepFDs, views.StepConfine, views.StepExec:
		default:
			return nil, failed("bug: the plan's step %s after its chdir is not one fsviews takes there", kind)
		}
		steps = append(steps, kind)
		seen[kind] = true
	}
	for _, must := range []views.StepKind{views.StepPrivileges, views.StepUmask, views.StepSession, views.StepSignals, views.StepFDs, views.StepExec} {
		if !seen[must] {
			return nil, failed("bug: the plan has no %s step", must)
		}
	}
	if (conf.landlock != nil || conf.filter != nil) && !seen[views.StepConfine] {
		return nil, failed("bug: the plan has no confine step, but Landlock or seccomp is to be applied")
	}
	if steps[len(steps)-1] != views.StepExec {
		return nil, failed("bug: the plan's last step is %s, not exec", steps[len(steps)-1])
	}
	return steps, nil
}

func cloneFlags(names []string) int {
	flags := 0
	for _, n := range names {
		flags |= map[string]int{
			"mnt": unix.CLONE_NEWNS, "uts": unix.CLONE_NEWUTS, "ipc": unix.CLONE_NEWIPC,
			"net": unix.CLONE_NEWNET, "cgroup": unix.CLONE_NEWCGROUP, "pid": unix.CLONE_NEWPID,
			"user": unix.CLONE_NEWUSER,
		}[n]
	}
	return flags
}

func readLastCap() (int, error) {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return 0, fmt.Errorf("read the kernel's last capability: %w", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("parse /proc/sys/kernel/cap_last_cap: %w", err)
	}
	return n, nil
}
