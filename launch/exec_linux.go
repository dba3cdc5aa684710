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

// Exec builds the view of plan and executes its command in it, with the
// environment made from environ. It returns only on failure.
func Exec(plan *views.Plan, environ []string) error {
	if len(plan.Command) == 0 {
		return &Error{Code: 125, Err: fmt.Errorf("profile %s has no command: add command = [\"/path/to/daemon\", ...] or give one after --", plan.Profile)}
	}
	if ok, err := privs.HasSysAdmin(); err != nil {
		return failed("check privileges: %w", err)
	} else if !ok {
		return failed("fsviews needs root (or CAP_SYS_ADMIN) to build a view: it creates a mount namespace and mounts into it. Run it as root, e.g. with sudo or from a system service; rootless views are not supported yet")
	}
	// Before anything changes: a layer the kernel cannot enforce stops here.
	conf, err := prepareConfinement(plan, os.Stderr)
	if err != nil {
		return err
	}
	lastCap, err := readLastCap()
	if err != nil {
		return failed("%w", err)
	}
	env := plan.Env.Environ(environ)
	onHost := hostCommand(plan.Command[0], env)

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
	// Modes in the plan are exact; the caller's umask is restored for
	// the daemon, which would have inherited it without fsviews.
	umask := unix.Umask(0)
	root, err := build(plan)
	if err != nil {
		return failed("build view: %w", err)
	}
	if err := pivot.Into(root.FD()); err != nil {
		return failed("%w", err)
	}
	unix.Close(root.FD())
	if plan.Hostname != "" {
		if err := unix.Sethostname([]byte(plan.Hostname)); err != nil {
			return failed("sethostname %q: %w", plan.Hostname, err)
		}
	}
	if plan.Net == "loopback" {
		if err := loopbackUp(); err != nil {
			return failed("%w", err)
		}
	}
	if err := unix.Chdir(plan.Workdir); err != nil {
		return failed("chdir to workdir %s inside the view: %w; create it with [[dir]] or a bind", plan.Workdir, err)
	}
	path, err := lookPath(plan.Command[0], env, onHost)
	if err != nil {
		return err
	}
	if err := conf.setLimits(); err != nil {
		return err
	}
	if err := privs.Apply(privs.Set{UID: plan.UID, GID: plan.GID, Caps: plan.Caps, NoNewPrivs: plan.NoNewPriv, LastCap: lastCap}); err != nil {
		return failed("drop privileges: %w", err)
	}
	unix.Umask(umask)
	// Descriptors the caller left open without O_CLOEXEC would give the
	// daemon a way out of its view; only stdio passes.
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return failed("close inherited file descriptors: %w", err)
	}
	if err := conf.enforce(); err != nil {
		return err
	}
	err = unix.Exec(path, plan.Command, env)
	code := 126
	if errors.Is(err, unix.ENOENT) {
		code = 127
	}
	return &Error{Code: code, Err: fmt.Errorf("exec %s inside the view: %w", path, err)}
}

func cloneFlags(names []string) int {
	flags := 0
	for _, n := range names {
		flags |= map[string]int{
			"mnt": unix.CLONE_NEWNS, "uts": unix.CLONE_NEWUTS, "ipc": unix.CLONE_NEWIPC,
			"net": unix.CLONE_NEWNET, "cgroup": unix.CLONE_NEWCGROUP,
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
