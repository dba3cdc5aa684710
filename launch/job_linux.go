package launch

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/privs"
	"github.com/fsviews/fsviews/views"
)

// job is what every stage needs to start the daemon, worked out on the
// host before any namespace exists. In the PID-namespace model it crosses
// into the jail as JSON over an inherited pipe.
type job struct {
	Plan      *views.Plan `json:"plan"`
	Env       []string    `json:"env"`     // the daemon's, without LISTEN_PID
	OnHost    string      `json:"on_host"` // where the command is on the host, for messages
	LastCap   int         `json:"last_cap"`
	Umask     int         `json:"umask"`
	ListenFDs int         `json:"listen_fds"` // socket activation: fds 3..3+ListenFDs-1 pass
	RelayFD   int         `json:"relay_fd"`   // the notify relay's socket in PID 1, -1 if none
	statusFD  int         // PID 1's status pipe to the supervisor
}

// prepare checks what can be checked on the host and builds the job.
func prepare(plan *views.Plan, environ []string) (*job, error) {
	if len(plan.Command) == 0 {
		return nil, &Error{Code: 125, Err: fmt.Errorf("profile %s has no command: add command = [\"/path/to/daemon\", ...] or give one after --", plan.Profile)}
	}
	if ok, err := privs.HasSysAdmin(); err != nil {
		return nil, failed("check privileges: %w", err)
	} else if !ok {
		return nil, failed("fsviews needs root (or CAP_SYS_ADMIN) to build a view: it creates a mount namespace and mounts into it. Run it as root, e.g. with sudo or from a system service; rootless views are not supported yet")
	}
	lastCap, err := readLastCap()
	if err != nil {
		return nil, failed("%w", err)
	}
	umask := unix.Umask(0)
	unix.Umask(umask)
	j := &job{Plan: plan, LastCap: lastCap, Umask: umask, RelayFD: -1}
	if err := checkNotify(j); err != nil {
		return nil, err
	}
	listen, err := listenFDs(environ, os.Getpid())
	if err != nil {
		return nil, err
	}
	j.ListenFDs = listen.n
	j.Env = envFor(plan, environ, listen)
	j.OnHost = hostCommand(plan.Command[0], j.Env)
	for _, w := range listen.warnings {
		warn("%s", w)
	}
	return j, nil
}

// envFor is the daemon's environment: the profile's [env] rules, then
// the variables that tie it to its service manager, which pass even when
// [env] clears the environment: NOTIFY_SOCKET (rewritten to the view's
// path), LISTEN_FDS and LISTEN_FDNAMES (LISTEN_PID is added at exec, when
// the daemon's PID is known).
func envFor(plan *views.Plan, environ []string, listen listening) []string {
	var env []string
	for _, kv := range plan.Env.Environ(environ) {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES":
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
	if j.ListenFDs == 0 {
		return j.Env
	}
	return append(append([]string{}, j.Env...), "LISTEN_PID="+strconv.Itoa(pid))
}
