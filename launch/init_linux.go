package launch

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/privs"
)

// applyInitPrivs drops the calling thread to what fsviews' init keeps:
// the daemon's user and group, no_new_privs, and only CAP_KILL.
func applyInitPrivs(j *job) error {
	return privs.Apply(privs.Set{UID: j.Plan.UID, GID: j.Plan.GID, Caps: []string{"CAP_KILL"}, NoNewPrivs: true, LastCap: j.LastCap})
}

// rearmPdeathsig sets the parent-death signal again for PID 1 of a jail:
// the kernel clears it when the effective uid or gid changes, and PID 1
// must die with the supervisor (its death kills the whole namespace). The
// supervisor may have died before: PID 1 cannot ask getppid (its parent
// is outside the namespace, so it reads 0), so it checks whether the
// status pipe still has a reader.
func rearmPdeathsig(j *job, pid int) error {
	if pid != 1 {
		return nil
	}
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("prctl PR_SET_PDEATHSIG: %w", err)
	}
	if supervisorGone(j.statusFD) {
		return errors.New("the supervisor is gone")
	}
	return nil
}

// supervisorGone reports whether nobody reads the status pipe any more.
func supervisorGone(status int) bool {
	fds := []unix.PollFd{{Fd: int32(status), Events: unix.POLLOUT}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n > 0 && fds[0].Revents&unix.POLLERR != 0
}

// initStage is fsviews' init: PID 1 of the jail, re-executed with the
// privileges applyInitPrivs leaves. It lets the daemon go, forwards
// every signal it gets to the daemon, reaps every process that ends in
// the namespace (orphans are re-parented to it), and when the daemon
// ends, reports how to the supervisor and exits; the kernel then kills
// what is left in the namespace.
func initStage(daemon, goFD, statusFD int, dev, ino uint64, path string) int {
	// Not dumpable: a daemon running as the same user could otherwise
	// ptrace the init or open its /proc files.
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0)
	status := reporter{inherited(statusFD, "status")}
	goW := inherited(goFD, "go")
	if supervisorGone(statusFD) {
		return 125
	}
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs, forwarded()...)
	go func() {
		for s := range sigs {
			unix.Kill(daemon, s.(syscall.Signal))
		}
	}()
	err := json.NewEncoder(goW).Encode(goMessage{Path: path, Dev: dev, Ino: ino})
	goW.Close()
	if err != nil {
		unix.Kill(daemon, unix.SIGKILL)
		return status.fail(failed("tell the daemon's stage to go: %w", err))
	}
	shrink() // idle from here on
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return status.fail(failed("bug: wait for the daemon: %w", err))
		case pid != daemon:
			continue // an orphan, reaped
		case ws.Signaled():
			fmt.Fprintf(status.f, "signal %d\n", int(ws.Signal()))
			return 128 + int(ws.Signal())
		default:
			fmt.Fprintf(status.f, "exit %d\n", ws.ExitStatus())
			return ws.ExitStatus()
		}
	}
}

// execveat executes the file open at fd (execveat(2) with AT_EMPTY_PATH),
// which needs no path to it: the view does not show fsviews' binary.
func execveat(fd int, argv, env []string) error {
	argvp, err := syscall.SlicePtrFromStrings(argv)
	if err != nil {
		return err
	}
	envp, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		return err
	}
	empty, _ := syscall.BytePtrFromString("")
	_, _, e := unix.Syscall6(unix.SYS_EXECVEAT, uintptr(fd), uintptr(unsafe.Pointer(empty)),
		uintptr(unsafe.Pointer(&argvp[0])), uintptr(unsafe.Pointer(&envp[0])), unix.AT_EMPTY_PATH, 0)
	return e
}
