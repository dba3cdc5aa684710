package launch

import (
	"errors"
	"fmt"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// dropInitPrivs drops this process to what fsviews' init keeps: the
// daemon's user and group, no_new_privs, and of all capabilities only
// CAP_KILL, so that it can forward signals to a daemon that changed its
// user; from inside its PID namespace kill(2) reaches only the jail's
// processes.
//
// Credentials belong to a thread in Linux and this process goes on
// running Go code on all its threads, so what a thread can use is set on
// every thread with AllThreadsSyscall (what the syscall package's Setuid
// does). Each such call stops the world and signals every thread, so
// they are kept to what matters: KEEPCAPS (per thread) across the uid
// change, setgroups, setresgid, setresuid, one capset (permitted and
// effective CAP_KILL, inheritable empty; the kernel then empties the
// ambient set too, which keeps only what is both permitted and
// inheritable), and no_new_privs.
//
// The bounding set is not among them. It is no privilege: it limits what
// an execve can bring into the permitted set (and what capset may add to
// the inheritable one, which needs the capability in the permitted set
// or CAP_SETPCAP, neither left here). The init never execs again, and
// with no_new_privs an execve could not raise the permitted set above
// the caller's anyway (neither by root's rule, nor by file capabilities
// or set-uid bits). Dropping it thread by thread was one stop-the-world
// per capability, some forty, most of the jail's start-up. It is dropped
// with plain prctl on this thread only, which is what /proc/PID/status
// shows when it is the main thread (the usual case; otherwise on every
// thread, the old slow way, so that what anyone reads stays true).
// KEEPCAPS is left set: it only matters at a uid change, which no thread
// can make any more without CAP_SETUID, and execve clears it.
//
// A binary built with cgo cannot make AllThreadsSyscall (Go cannot reach
// the C library's threads): there the sequence runs on the main thread,
// which /proc shows and kill(2) and ptrace(2) check, and the Go
// runtime's other threads keep what they had; they run nothing the
// daemon can reach (the init forwards signals to the one PID it started,
// and reaps).
func dropInitPrivs(j *job) error {
	leader := unix.Gettid() == unix.Getpid()
	threadOnly := false // a cgo build: see above
	all := func(what string, trap, a1, a2, a3 uintptr) error {
		if !threadOnly {
			_, _, e := syscall.AllThreadsSyscall(trap, a1, a2, a3)
			if e != syscall.ENOTSUP || !leader {
				return allThreadsError(what, e)
			}
			threadOnly = true
		}
		if _, _, e := unix.RawSyscall(trap, a1, a2, a3); e != 0 {
			return fmt.Errorf("%s: %w", what, e)
		}
		return nil
	}
	prctl := func(what string, option, arg uintptr) error {
		return all(what, unix.SYS_PRCTL, option, arg, 0)
	}
	// Bounding set first: it only shrinks while CAP_SETPCAP is held.
	for n := 0; n <= j.LastCap; n++ {
		if n == unix.CAP_KILL {
			continue
		}
		if leader {
			if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(n), 0, 0, 0); err != nil {
				return fmt.Errorf("drop the bounding set: %w", err)
			}
		} else if err := prctl("drop the bounding set", unix.PR_CAPBSET_DROP, uintptr(n)); err != nil {
			return err
		}
	}
	uid, gid := j.Plan.UID, j.Plan.GID
	if uid >= 0 {
		groups := []uint32{uint32(gid)}
		if err := prctl("prctl PR_SET_KEEPCAPS", unix.PR_SET_KEEPCAPS, 1); err != nil {
			return err
		}
		if err := all("setgroups", unix.SYS_SETGROUPS, 1, uintptr(unsafe.Pointer(&groups[0])), 0); err != nil {
			return err
		}
		if err := all("setresgid", unix.SYS_SETRESGID, uintptr(gid), uintptr(gid), uintptr(gid)); err != nil {
			return err
		}
		if err := all("setresuid", unix.SYS_SETRESUID, uintptr(uid), uintptr(uid), uintptr(uid)); err != nil {
			return err
		}
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := [2]unix.CapUserData{{Effective: 1 << unix.CAP_KILL, Permitted: 1 << unix.CAP_KILL}}
	if err := all("capset", unix.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0); err != nil {
		return err
	}
	return prctl("prctl PR_SET_NO_NEW_PRIVS", unix.PR_SET_NO_NEW_PRIVS, 1)
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
	return pollNow(status, unix.POLLOUT)&unix.POLLERR != 0
}

// pollNow returns the events of fd the kernel reports at once, 0 when none
// (or when poll fails).
func pollNow(fd int, events int16) int16 {
	fds := []unix.PollFd{{Fd: int32(fd), Events: events}}
	if n, err := unix.Poll(fds, 0); err != nil || n == 0 {
		return 0
	}
	return fds[0].Revents
}

// reap is fsviews' init at work: it reaps every process that ends in the
// namespace (orphans are re-parented to PID 1) while signals it gets go on
// to the daemon (forwarded since it was forked), and when the
// daemon ends, reports how to the supervisor and exits; the kernel then
// kills what is left in the namespace.
func reap(daemon int, status reporter) int {
	idle := time.AfterFunc(shrinkAfter, shrink) // then idle: see shrinkAfter
	defer idle.Stop()
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
			status.say(fmt.Sprintf("signal %d", int(ws.Signal())))
			return 128 + int(ws.Signal())
		default:
			status.say(fmt.Sprintf("exit %d", ws.ExitStatus()))
			return ws.ExitStatus()
		}
	}
}

// allThreadsError explains a failed AllThreadsSyscall. Go refuses those
// calls (ENOTSUP) in a binary that links C code, where it cannot reach the
// C library's threads.
func allThreadsError(what string, e syscall.Errno) error {
	switch {
	case e == 0:
		return nil
	case e == syscall.ENOTSUP:
		return fmt.Errorf("%s: %w: this fsviews binary was built with cgo, where Go cannot change the credentials of every thread; build it with CGO_ENABLED=0 (make build does)", what, e)
	}
	return fmt.Errorf("%s: %w", what, e)
}
