package launch

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/internal/sigcatch"
	"github.com/fsviews/fsviews/mounts"
)

// The hidden stages of the PID-namespace model, run as
// "fsviews STAGE ARGS..." (never documented as API).
const (
	stageJail = "__jail" // PID 1 of the new namespaces: builds the view
)

// Stages lists the hidden stage names, for the command line.
func Stages() []string { return []string{stageJail, stageEnter} }

// Stage runs a hidden stage and returns the exit status it ends with;
// an error (with status 125) when it was not started as fsviews starts it.
func Stage(name string, args []string) (int, error) {
	nums := make([]int, len(args))
	for i, a := range args {
		n, err := strconv.Atoi(a)
		if err != nil {
			return 125, fmt.Errorf("fsviews %s: internal stage, not for use by hand (bad argument %q)", name, a)
		}
		nums[i] = n
	}
	switch {
	case name == stageJail && len(args) == 1:
		return jail(nums[0]), nil
	case name == stageEnter && len(args) == 1:
		return enterStage(nums[0]), nil // fsviews exec: enter_linux.go
	}
	return 125, fmt.Errorf("fsviews %s: internal stage, not for use by hand", name)
}

// reporter writes to the supervisor's status pipe.
type reporter struct{ f *os.File }

// say reports one line: "open" (signals may come), "exit N", "signal N".
func (r reporter) say(line string) { fmt.Fprintln(r.f, line) }

// fail reports err, which ends the stage, and returns its exit status.
func (r reporter) fail(err error) int {
	code := 125
	var le *Error
	if errors.As(err, &le) {
		code = le.Code
	}
	fmt.Fprintf(r.f, "error %d %s\n", code, strings.ReplaceAll(err.Error(), "\n", " "))
	return code
}

// inherited opens an fd this process was started with, and makes sure
// nothing it executes inherits it.
func inherited(fd int, name string) *os.File {
	unix.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), name)
}

// jail is PID 1 of the new PID namespace (and in the new mount namespace
// and the others the plan asks for, made by clone). It reads the job,
// then either becomes the daemon (as_pid_1) or starts it and becomes
// fsviews' init.
//
// Signals: the supervisor passes on none until this process says "open",
// or until the status pipe closes. With as_pid_1 it never says it: it
// handles no signal of its own, and the pipe closes when it executes the
// daemon (or exits with its error), from which point signals go straight
// to the daemon; see superviseLoop for one that came before.
func jail(jobFD int) int {
	runtime.LockOSThread()
	status := reporter{inherited(jobFD+1, "status")}
	b, err := io.ReadAll(inherited(jobFD, "job"))
	if err != nil {
		return status.fail(failed("read the job from the supervisor: %w", err))
	}
	j, err := readJob(b)
	if err != nil {
		return status.fail(failed("bug: read the job from the supervisor: %w", err))
	}
	j.statusFD = jobFD + 1
	if j.RelayFD >= 0 {
		// Bound into the view by build, read by the supervisor: nothing
		// started here inherits it.
		unix.CloseOnExec(j.RelayFD)
	}
	// The supervisor wrote the job once this process was in the jail's
	// cgroup (if it has one): a cgroup namespace made now is rooted
	// there, and the jail sees its own cgroup as "/".
	if slices.Contains(j.Plan.Unshare, "cgroup") {
		if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
			return status.fail(failed("%w", unshareError([]string{"cgroup"}, err)))
		}
	}
	if err := mounts.MakePrivate(); err != nil {
		return status.fail(failed("%w", err))
	}
	if j.Plan.AsPID1 {
		path, err := enter(j)
		if err != nil {
			return status.fail(err)
		}
		return status.fail(execDaemon(j, path, 1))
	}

	// The init passes on to the daemon the signals it gets. PID 1 gets
	// only those it has a handler for, and the Go runtime's default for a
	// terminating one would exit 2 (PID 1 cannot kill itself): catch
	// them, and they wait in the channel until the daemon is started. The
	// supervisor queues them until "open".
	early := make(chan os.Signal, 64)
	if err := sigcatch.Notify(early, forwarded()...); err != nil {
		return status.fail(failed("%w", err))
	}
	status.say("open")

	path, err := enter(j)
	if err != nil {
		return status.fail(err)
	}
	if j.RelayFD >= 0 {
		unix.Close(j.RelayFD) // bound in the view; the supervisor reads it
	}
	// The daemon is this process's child, started now that the view is
	// built and entered (see spawn_linux.go): in the view by
	// construction, and without a Go runtime of its own. Not dumpable
	// from here on: a daemon running as the same user can neither ptrace
	// this process nor open its /proc files (the daemon's execve makes
	// the daemon itself dumpable again).
	s, release, err := prepareSpawn(j, path)
	if err != nil {
		return status.fail(err)
	}
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	daemon, err := spawn(s)
	if err != nil {
		release()
		return status.fail(err)
	}
	// This process now becomes fsviews' init, while the child gets the
	// daemon ready: it keeps the daemon's user and group and no
	// capability but CAP_KILL (see dropInitPrivs). The child has its own
	// credentials since the clone (credentials belong to a task, not to
	// the memory it shares), and waits for started before it execs:
	// the daemon never runs beside a privileged init.
	if err := dropInitPrivs(j); err != nil {
		abandon(daemon)
		release()
		return status.fail(failed("drop the init's privileges: %w", err))
	}
	err = started(s, daemon)
	release()
	if err != nil {
		return status.fail(err)
	}
	if err := rearmPdeathsig(j, 1); err != nil {
		unix.Kill(daemon, unix.SIGKILL)
		return status.fail(failed("%w", err))
	}
	// Signals that came before go on now, and every later one as it
	// comes; one that ends the daemon is reported as its end.
	go func() {
		for sig := range early {
			unix.Kill(daemon, sig.(syscall.Signal))
		}
	}()
	return reap(daemon, status)
}
