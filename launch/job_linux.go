package launch

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/internal/wire"
	"github.com/fsviews/fsviews/privs"
	"github.com/fsviews/fsviews/views"
)

// job is what every stage needs to start the daemon, worked out on the
// host before any namespace exists. In the PID-namespace model it crosses
// into the jail over an inherited pipe, in its binary form (wire below).
type job struct {
	Plan      *views.Plan
	Env       []string // the daemon's, without LISTEN_PID
	OnHost    string   // where the command is on the host, for messages
	LastCap   int
	Umask     int
	ListenFDs int // socket activation: fds 3..3+ListenFDs-1 pass
	// WatchdogPID says to set WATCHDOG_PID to the daemon's PID, as the
	// service manager set it to fsviews'.
	WatchdogPID bool
	RelayFD     int // the notify relay's socket in PID 1, -1 if none
	// Confined is conf as it crosses into the jail (see shipConfinement):
	// the stage there takes the host's decisions and compiled filter
	// instead of asking the kernel and compiling the plan's filter again.
	Confined *shippedConfinement
	statusFD int // PID 1's status pipe to the supervisor
	// conf holds the kernel's answers and the compiled filter, worked out
	// on the host; a stage in the jail gets it from Confined.
	conf *confinement
	// warnings gets what fsviews works around (Options.Warnings).
	warnings io.Writer
}

// wire is the job's binary form, as the supervisor writes it for PID 1
// (package wire): the exported fields, in order. TestJobWireRoundTrip
// fills every one of them.
func (j *job) wire() []byte {
	var w wire.Writer
	j.Plan.AppendWire(&w)
	w.Strings(j.Env)
	w.String(j.OnHost)
	w.Int(int64(j.LastCap))
	w.Int(int64(j.Umask))
	w.Int(int64(j.ListenFDs))
	w.Bool(j.WatchdogPID)
	w.Int(int64(j.RelayFD))
	w.Bool(j.Confined != nil)
	if c := j.Confined; c != nil {
		w.Blob(c.Filter)
		w.Int(int64(c.LandlockABI))
	}
	return w.Bytes()
}

// readJob reads what job.wire wrote.
func readJob(b []byte) (*job, error) {
	r := wire.NewReader(b)
	j := &job{Plan: views.ReadWire(r)}
	j.Env = r.Strings()
	j.OnHost = r.String()
	j.LastCap = int(r.Int())
	j.Umask = int(r.Int())
	j.ListenFDs = int(r.Int())
	j.WatchdogPID = r.Bool()
	j.RelayFD = int(r.Int())
	if r.Bool() {
		j.Confined = &shippedConfinement{Filter: r.Blob(), LandlockABI: int(r.Int())}
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return j, nil
}

// prepare checks what can be checked on the host and builds the job.
func prepare(plan *views.Plan, environ []string, warnings io.Writer) (*job, error) {
	if warnings == nil {
		warnings = io.Discard
	}
	if len(plan.Command) == 0 {
		return nil, &Error{Code: 125, Err: fmt.Errorf("profile %s has no command: add command = [\"/path/to/daemon\", ...] or give one after --", plan.Profile)}
	}
	if err := notSetuid(os.Getuid(), os.Geteuid(), os.Getgid(), os.Getegid()); err != nil {
		return nil, err
	}
	if plan.UserNS {
		if err := checkUserNS(plan); err != nil {
			return nil, err
		}
	} else if ok, err := privs.HasSysAdmin(); err != nil {
		return nil, failed("check privileges: %w", err)
	} else if !ok {
		return nil, failed("fsviews needs root (or CAP_SYS_ADMIN) to build a view outside a user namespace: run it as root, or build a rootless jail (run --userns, docs/rootless.md)")
	}
	// Before anything changes: a layer the kernel cannot enforce stops here.
	conf, err := prepareConfinement(plan, warnings)
	if err != nil {
		return nil, err
	}
	lastCap, err := readLastCap()
	if err != nil {
		return nil, failed("%w", err)
	}
	umask := unix.Umask(0)
	unix.Umask(umask)
	j := &job{Plan: plan, LastCap: lastCap, Umask: umask, RelayFD: -1, conf: conf, warnings: warnings}
	if err := checkNotify(j); err != nil {
		return nil, err
	}
	listen, err := listenFDs(environ, os.Getpid())
	if err != nil {
		return nil, err
	}
	j.ListenFDs = listen.n
	j.Env = envFor(plan, environ, listen)
	var watchdog, why string
	j.WatchdogPID, watchdog, why = watchdogEnv(environ, os.Getpid())
	if watchdog != "" {
		j.Env = append(j.Env, "WATCHDOG_USEC="+watchdog)
	}
	j.OnHost = hostCommand(plan.Command[0], j.Env)
	for _, w := range append(listen.warnings, why) {
		if w != "" {
			warn(warnings, "%s", w)
		}
	}
	return j, nil
}

// envFor is the daemon's environment: the profile's [env] rules, then
// the variables that tie it to its service manager, which pass even when
// [env] clears the environment: NOTIFY_SOCKET (rewritten to the view's
// path), LISTEN_FDS and LISTEN_FDNAMES (LISTEN_PID is added at exec, when
// the daemon's PID is known; prepare adds WATCHDOG_USEC, and WATCHDOG_PID
// comes at exec too).
func envFor(plan *views.Plan, environ []string, listen listening) []string {
	var env []string
	for _, kv := range plan.Env.Environ(environ) {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID":
			continue
		}
		env = append(env, kv)
	}
	if plan.Notify != "" {
		env = append(env, "NOTIFY_SOCKET="+plan.Notify)
	}
	if listen.n > 0 {
		env = append(env, "LISTEN_FDS="+strconv.Itoa(listen.n))
		if listen.names != "" {
			env = append(env, "LISTEN_FDNAMES="+listen.names)
		}
	}
	return env
}

// daemonEnv adds LISTEN_PID, the daemon's PID as it sees it, to the job's
// environment when sockets are passed.
func daemonEnv(j *job, pid int) []string {
	env := append([]string{}, j.Env...)
	if j.ListenFDs > 0 {
		env = append(env, "LISTEN_PID="+strconv.Itoa(pid))
	}
	if j.WatchdogPID {
		env = append(env, "WATCHDOG_PID="+strconv.Itoa(pid))
	}
	return env
}

// watchdogEnv reads systemd's watchdog variables (sd_watchdog_enabled(3)):
// WATCHDOG_USEC passes when WATCHDOG_PID is unset or names fsviews, and
// then WATCHDOG_PID, if set, is rewritten to the daemon's PID. Supervised,
// the daemon's WATCHDOG=1 reaches systemd through the notify relay.
func watchdogEnv(environ []string, self int) (rewritePID bool, usec, warning string) {
	var pid string
	var hasPID bool
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		switch name {
		case "WATCHDOG_USEC":
			usec = value
		case "WATCHDOG_PID":
			pid, hasPID = value, true
		}
	}
	if usec == "" {
		return false, "", ""
	}
	if hasPID && pid != strconv.Itoa(self) {
		return false, "", fmt.Sprintf("WATCHDOG_PID=%s is not fsviews' PID %d: the watchdog is meant for another process; not passing WATCHDOG_USEC", pid, self)
	}
	return hasPID, usec, ""
}
