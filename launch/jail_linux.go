package launch

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/mounts"
)

// The hidden stages of the PID-namespace model, run as
// "fsviews STAGE ARGS..." (never documented as API).
const (
	stageJail   = "__jail"   // PID 1 of the new namespaces: builds the view
	stageDaemon = "__daemon" // its child that becomes the daemon (init model)
)

// Stages lists the hidden stage names, for the command line.
func Stages() []string { return []string{stageJail, stageDaemon, stageEnter} }

// Stage runs a hidden stage and returns the exit status it ends with.
func Stage(name string, args []string) int {
	nums := make([]int, len(args))
	for i, a := range args {
		n, err := strconv.Atoi(a)
		if err != nil {
			fmt.Fprintf(os.Stderr, "fsviews %s: internal stage, not for use by hand (bad argument %q)\n", name, a)
			return 125
		}
		nums[i] = n
	}
	switch {
	case name == stageJail && len(args) == 1:
		return jail(nums[0])
	case name == stageDaemon && len(args) == 1:
		return daemonStage(nums[0])
	case name == stageEnter && len(args) == 1:
		return enterStage(nums[0]) // fsviews exec: enter_linux.go
	}
	fmt.Fprintf(os.Stderr, "fsviews %s: internal stage, not for use by hand\n", name)
	return 125
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
	var j job
	if err := json.NewDecoder(inherited(jobFD, "job")).Decode(&j); err != nil {
		return status.fail(failed("bug: read the job from the supervisor: %w", err))
	}
	j.statusFD = jobFD + 1
	if j.RelayFD >= 0 {
		// Bound into the view by build, read by the supervisor: nothing
		// started here inherits it.
		unix.CloseOnExec(j.RelayFD)
	}
	if err := mounts.MakePrivate(); err != nil {
		return status.fail(failed("%w", err))
	}
	if j.Plan.AsPID1 {
		path, err := enter(&j)
		if err != nil {
			return status.fail(err)
		}
		return status.fail(execDaemon(&j, path, 1))
	}

	// The init passes on to the daemon the signals it gets. PID 1 gets
	// only those it has a handler for, and the Go runtime's default for a
	// terminating one would exit 2 (PID 1 cannot kill itself): catch
	// them. The supervisor queues them until "open", which is said once
	// Notify is done: Notify costs a few ms (a round trip to the
	// runtime's signal thread per signal), so it runs while the view is
	// built, off the daemon's path.
	early := make(chan os.Signal, 64)
	go func() {
		signal.Notify(early, forwarded()...)
		status.say("open")
	}()

	// The daemon is started by this process, and must be inside the view,
	// which has no /proc/self/exe to re-execute. So the daemon's stage
	// starts now, from the host's path, and waits: pivot_root below moves
	// the root directory of every process of the namespace that has the
	// old root as its root to the new one (pivot_root(2)), so it ends in
	// the view too. It checks that before anything else, and chdirs to
	// the workdir itself (its cwd was the caller's, which did not move).
	goR, goW, err := os.Pipe()
	if err != nil {
		return status.fail(failed("pipe: %w", err))
	}
	files := []*os.File{os.Stdin, os.Stdout, os.Stderr}
	for fd := 3; fd < 3+j.ListenFDs; fd++ {
		files = append(files, os.NewFile(uintptr(fd), "listen-fd"))
	}
	goFD := len(files)
	files = append(files, goR, status.f)
	daemon, err := os.StartProcess("/proc/self/exe", []string{"fsviews", stageDaemon, strconv.Itoa(goFD)}, &os.ProcAttr{Files: files, Env: []string{}})
	if err != nil {
		return status.fail(failed("start the daemon's stage: %w", err))
	}
	goR.Close()
	for _, f := range files[3:goFD] {
		f.Close()
	}
	if err := json.NewEncoder(goW).Encode(&j); err != nil {
		return status.fail(failed("hand the job to the daemon's stage: %w", err))
	}
	// Only now: a signal passed on may end the daemon's stage, which must
	// not make the write above fail. Its end is reported like the daemon's.
	go func() {
		for s := range early {
			unix.Kill(daemon.Pid, s.(syscall.Signal))
		}
	}()
	path, err := enter(&j)
	if err != nil {
		return status.fail(err)
	}
	if j.RelayFD >= 0 {
		unix.Close(j.RelayFD) // bound in the view; the supervisor reads it
	}
	var root unix.Stat_t
	if err := unix.Stat("/", &root); err != nil {
		return status.fail(failed("stat / of the view: %w", err))
	}
	// This process now becomes fsviews' init. It keeps the daemon's user
	// and group and no capability but CAP_KILL (see dropInitPrivs), and
	// is not dumpable: a daemon running as the same user can neither
	// ptrace it nor open its /proc files.
	if err := dropInitPrivs(&j); err != nil {
		return status.fail(failed("drop the init's privileges: %w", err))
	}
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	if err := rearmPdeathsig(&j, 1); err != nil {
		return status.fail(failed("%w", err))
	}
	// A daemon's stage that is gone already (a signal passed on killed
	// it) cannot read this; its status, reaped below, says why.
	json.NewEncoder(goW).Encode(goMessage{Path: path, Dev: root.Dev, Ino: root.Ino})
	goW.Close()
	return reap(daemon.Pid, status)
}

// goMessage is what the init tells the daemon's stage once the view is
// ready: where the command is and which "/" the view's root is.
type goMessage struct {
	Path string `json:"path"`
	Dev  uint64 `json:"dev"`
	Ino  uint64 `json:"ino"`
}

// daemonStage becomes the daemon, in the init model: a child of PID 1
// started before the view existed, waiting for the init's go.
func daemonStage(fd int) int {
	runtime.LockOSThread()
	status := reporter{inherited(fd+1, "status")}
	r := bufio.NewReader(inherited(fd, "go"))
	var j job
	var g goMessage
	dec := json.NewDecoder(r)
	if err := dec.Decode(&j); err != nil {
		return 125 // PID 1 failed; it reported why
	}
	if err := dec.Decode(&g); err != nil {
		return 125 // the view could not be built; PID 1 reported why
	}
	var root unix.Stat_t
	if err := unix.Stat("/", &root); err != nil || root.Dev != g.Dev || root.Ino != g.Ino {
		return status.fail(failed("bug: the daemon's stage is not inside the view (stat /: %v): refusing to start the daemon", err))
	}
	if _, err := chdirAndFind(&j); err != nil {
		return status.fail(err)
	}
	return status.fail(execDaemon(&j, g.Path, os.Getpid()))
}
