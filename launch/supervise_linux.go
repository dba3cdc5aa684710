package launch

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/internal/sigcatch"
	"github.com/fsviews/fsviews/registry"
)

// Exited is how a supervised jail ended: the daemon's exit status, or the
// signal that killed it; fsviews run then ends the same way.
type Exited struct {
	Code   int
	Signal unix.Signal // 0 when the daemon exited
	// Why says what a limit of the jail did, for fsviews run to print:
	// the wall limit ended it (Code is then views.WallExitStatus), the
	// memory limit OOM-killed a process, the pids limit refused forks.
	Why string
}

func (e *Exited) Error() string {
	if e.Signal != 0 {
		return fmt.Sprintf("the daemon was killed by signal %d (%s)", int(e.Signal), unix.SignalName(e.Signal))
	}
	return fmt.Sprintf("the daemon exited with status %d", e.Code)
}

// forwarded lists the signals the supervisor and fsviews' init pass on
// to the daemon: every catchable one except SIGCHLD (their own child's
// death), SIGURG (the Go runtime preempts goroutines with it), SIGPIPE
// and the signals the kernel raises for faults (SIGSEGV, SIGBUS, SIGFPE,
// SIGILL, SIGTRAP, SIGSYS), which are about fsviews' own code.
func forwarded() []os.Signal {
	s := []os.Signal{
		unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGTERM, unix.SIGUSR1, unix.SIGUSR2,
		unix.SIGWINCH, unix.SIGCONT, unix.SIGALRM, unix.SIGABRT, unix.SIGTSTP, unix.SIGTTIN,
		unix.SIGTTOU, unix.SIGVTALRM, unix.SIGPROF, unix.SIGIO, unix.SIGPWR, unix.SIGXCPU,
		unix.SIGXFSZ,
	}
	for n := 34; n <= 64; n++ { // SIGRTMIN..SIGRTMAX
		s = append(s, syscall.Signal(n))
	}
	return s
}

// supervise runs the jail in new namespaces, PID included, as a child:
// this binary again, as the hidden stage "__jail", which becomes PID 1 of
// the new PID namespace and reads the job from an inherited pipe (runc's
// init pattern). fsviews stays behind, small and blocked in wait4: it
// forwards signals to PID 1, and when PID 1 is gone it ends the way the
// daemon ended. PID 1 gets SIGKILL when the supervisor dies (even by
// SIGKILL), and the kernel then kills every process of the namespace.
func supervise(j *job, reg *Registration) (result error) {
	if err := j.shipConfinement(); err != nil {
		return failed("[seccomp]: %w", err)
	}
	// Signals wait in the channel until the jail can take them. They are
	// caught first: one that comes before kills fsviews with the Go
	// runtime's default while nothing of the jail exists. Not with
	// os/signal, whose round trip to the runtime's signal thread per
	// signal cost ~0.8 ms of every start (see sigcatch). No Stop: this
	// process ends when supervise returns (fsviews run re-raises the
	// daemon's signal with a raw sigaction).
	sigs := make(chan os.Signal, 64)
	if err := sigcatch.Notify(sigs, forwarded()...); err != nil {
		return failed("%w", err)
	}
	jobR, jobW, err := os.Pipe()
	if err != nil {
		return failed("pipe: %w", err)
	}
	statusR, statusW, err := os.Pipe()
	if err != nil {
		return failed("pipe: %w", err)
	}
	var files []*os.File
	for fd := 3; fd < 3+j.ListenFDs; fd++ {
		files = append(files, os.NewFile(uintptr(fd), "listen-fd-"+strconv.Itoa(fd)))
	}
	jobFD := 3 + len(files)
	files = append(files, jobR, statusW)
	var notify *relay
	if op, ok := relayOp(j.Plan); ok {
		if notify, err = newRelay(op.Source, j.warnings); err != nil {
			return failed("%w", err)
		}
		j.RelayFD = jobFD + 2
		files = append(files, notify.file)
	}
	attr := &syscall.SysProcAttr{
		// Not the cgroup namespace: PID 1 makes it once it is in the
		// jail's cgroup (see jail), so that it is rooted there.
		Cloneflags: uintptr(cloneFlags(j.Plan.Unshare) &^ unix.CLONE_NEWCGROUP),
		Pdeathsig:  syscall.SIGKILL,
		// A new session for the jail, without the terminal (--tty
		// keeps it): see detachTerminal.
		Setsid: !j.Plan.TTY,
	}
	if j.Plan.UserNS {
		if err := useUserNS(attr, j.Plan); err != nil {
			return failed("%w", err)
		}
	}
	limits, err := newJailLimits(j.Plan, j.warnings)
	if err != nil {
		return err
	}
	// The namespaces the clone makes: all but cgroup (see Cloneflags).
	cloned := slices.DeleteFunc(slices.Clone(j.Plan.Unshare), func(n string) bool { return n == "cgroup" })
	pid, err := startJail(attr, files, jobFD)
	if err != nil {
		var errno syscall.Errno
		switch {
		case j.Plan.UserNS:
			err = cloneUserNSError(err)
		case errors.As(err, &errno) && (errno == syscall.EPERM || errno == syscall.EINVAL):
			// The clone that makes the namespaces failed, as unshare
			// would in the other model: say so in the same words.
			return failed("start the jail: %w", unshareError(cloned, errno))
		}
		limits.end(nil, j.warnings)
		return failed("start the jail (%s): %w", strings.Join(cloned, ","), err)
	}
	kill := func() { unix.Kill(pid, unix.SIGKILL) }
	// Until the job is written, PID 1 waits for it: nothing of the jail
	// runs outside its cgroup.
	if err := limits.start(pid, kill); err != nil {
		jobW.Close()
		abandon(pid)
		limits.end(nil, j.warnings)
		return failed("%w", err)
	}
	for _, f := range files {
		if notify == nil || f != notify.file {
			f.Close()
		}
	}
	if reg != nil {
		rec := reg.Record
		rec.PID = pid
		// The record names the namespaces PID 1 has now, which are all
		// it will have but its cgroup namespace, made after the job.
		ns, err := registry.Namespaces(rec.PID)
		if err == nil {
			delete(ns, "cgroup")
			rec.Namespaces = ns
		}
		if err := reg.Registry.Add(rec); err != nil {
			jobW.Close()
			abandon(pid)
			limits.end(nil, j.warnings)
			return failed("%w", err)
		}
		// A jail whose daemon ran keeps its record, stale once it
		// ended, as an in-place jail's does: fsviews diff NAME still
		// finds its state dirs through it (docs/auditing.md), and the
		// next run of that name replaces it. A daemon that never ran
		// leaves none.
		defer func() {
			var never *Error
			if !errors.As(result, &never) {
				return
			}
			if err := reg.Registry.Remove(rec.Name, rec.PID); err != nil {
				warn(j.warnings, "%v", err)
			}
		}()
	}
	_, err = jobW.Write(j.wire())
	jobW.Close()
	if err != nil {
		abandon(pid)
		limits.end(nil, j.warnings)
		return failed("hand the plan to the jail: %w", err)
	}
	if notify != nil {
		go notify.run()
	}
	ws, report, err := superviseLoop(pid, sigs, statusR)
	if err != nil {
		return limits.end(err, j.warnings)
	}
	if notify != nil {
		notify.drain()
	}
	return limits.end(outcome(ws, report), j.warnings)
}

// superviseLoop forwards signals to PID 1 while it can take them, and
// returns how PID 1 ended and what it reported.
//
// A Go process handles no signal until it catches them, and the
// runtime's default for SIGTERM and the like exits 2 (a PID 1 cannot even
// kill itself). So signals are queued until PID 1 says "open" on the
// status pipe (fsviews' init, once its handlers are set), or until the
// pipe closes: with as_pid_1, when the jail's code is replaced by the
// daemon's (the pipe is close-on-exec). A queued signal whose default
// action ends a process would have killed the daemon before it ran, but
// now meets a PID 1 that may have no handler yet, and the kernel drops
// what PID 1 does not handle: the jail is killed instead and ends as
// killed by that signal (see pendingEnd). Every step blocks: no CPU while
// idle.
func superviseLoop(pid int, sigs chan os.Signal, status *os.File) (unix.WaitStatus, []string, error) {
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(status)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	type waited struct {
		ws  unix.WaitStatus
		err error
	}
	done := make(chan waited, 1)
	go func() {
		var ws unix.WaitStatus
		for {
			_, err := unix.Wait4(pid, &ws, 0, nil)
			if !errors.Is(err, unix.EINTR) {
				done <- waited{ws, err}
				return
			}
		}
	}()
	idle := time.NewTimer(shrinkAfter) // then idle: see shrinkAfter
	defer idle.Stop()
	open := false
	var queued []os.Signal
	var report []string
	flush := func() {
		for _, s := range queued {
			unix.Kill(pid, s.(syscall.Signal))
		}
		queued = nil
	}
	// closed runs once the status pipe has no writer left: PID 1 executed
	// the daemon (as_pid_1) or ended. What is queued came before.
	closed := func() {
		if s, ok := pendingEnd(queued); ok && !open {
			unix.Kill(pid, unix.SIGKILL)
			report = append(report, fmt.Sprintf("signal %d", int(s)))
			queued = nil
		}
		open = true
		flush()
	}
	for {
		select {
		case <-idle.C:
			shrink()
		case s := <-sigs:
			// The pipe closes at execve, before the daemon runs, but the
			// reader above may not have seen it yet: ask the kernel, and
			// take what PID 1 said before (an error) first.
			if !open && lines != nil && hungUp(status) {
				for line := range lines {
					if line == "open" {
						open = true
					} else {
						report = append(report, line)
					}
				}
				lines = nil
				closed()
			}
			if open {
				unix.Kill(pid, s.(syscall.Signal))
			} else {
				queued = append(queued, s)
			}
		case line, ok := <-lines:
			switch {
			case !ok:
				lines = nil
				// Signals that came before the pipe closed are waiting
				// too, and select picks among ready cases at random: take
				// them first, or one would meet an as_pid_1 daemon with
				// no handler (which the kernel spares) instead of ending
				// the jail (TestSignalDuringStartUpAsPID1 flaked so).
				for waiting := true; waiting && !open; {
					select {
					case s := <-sigs:
						queued = append(queued, s)
					default:
						waiting = false
					}
				}
				closed()
			case line == "open":
				open = true
				flush()
			default:
				report = append(report, line)
			}
		case w := <-done:
			if w.err != nil {
				return w.ws, nil, failed("wait for the jail: %w", w.err)
			}
			// PID 1 is gone, and with it every writer of the status pipe.
			if lines != nil {
				for line := range lines {
					report = append(report, line)
				}
			}
			return w.ws, report, nil
		}
	}
}

// hungUp reports whether every write end of pipe r is closed.
func hungUp(r *os.File) bool {
	rc, err := r.SyscallConn()
	if err != nil {
		return false
	}
	hup := false
	rc.Control(func(fd uintptr) { hup = pollNow(int(fd), unix.POLLIN)&unix.POLLHUP != 0 })
	return hup
}

// pendingEnd returns the first of queued whose default action ends a
// process: every forwarded signal but those that stop or continue it, or
// change nothing (SIGWINCH).
func pendingEnd(queued []os.Signal) (unix.Signal, bool) {
	for _, s := range queued {
		switch s {
		case unix.SIGWINCH, unix.SIGCONT, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU:
			continue
		}
		return s.(syscall.Signal), true
	}
	return 0, false
}

// outcome reads what PID 1 reported and how it ended. Reports are lines:
// "error CODE MESSAGE" (the jail failed before the daemon ran), "exit N"
// or "signal N" (fsviews' init saw the daemon end so; an init cannot die
// by most signals itself, so it reports them).
func outcome(ws unix.WaitStatus, report []string) error {
	for _, line := range report {
		kind, rest, _ := strings.Cut(line, " ")
		switch kind {
		case "error":
			code, msg, _ := strings.Cut(rest, " ")
			n, _ := strconv.Atoi(code)
			return &Error{Code: n, Err: errors.New(msg)}
		case "exit":
			n, _ := strconv.Atoi(rest)
			return &Exited{Code: n}
		case "signal":
			n, _ := strconv.Atoi(rest)
			return &Exited{Signal: unix.Signal(n)}
		}
	}
	if ws.Signaled() {
		return &Exited{Signal: ws.Signal()}
	}
	return &Exited{Code: ws.ExitStatus()}
}

// passStdio gives cmd this process's stdio as it is; one the caller left
// closed becomes /dev/null (exec.Cmd's nil), as a closed fd cannot be
// passed on.
func passStdio(cmd *exec.Cmd) {
	if isOpen(os.Stdin) {
		cmd.Stdin = os.Stdin
	}
	if isOpen(os.Stdout) {
		cmd.Stdout = os.Stdout
	}
	if isOpen(os.Stderr) {
		cmd.Stderr = os.Stderr
	}
}

// startJail starts this binary again as PID 1 of the jail (the stage
// "__jail"), with the caller's stdio (the Go runtime opens /dev/null at
// start on any of fds 0-2 the caller left closed) and extra as fds 3 and
// up, the job's pipe at jobFD. It forks with the syscall package, not
// os/exec: os.StartProcess first probes the kernel's pidfd support, a
// fork and a wait of its own, on the jail's start-up path; the supervisor
// waits by PID and needs no pidfd.
func startJail(attr *syscall.SysProcAttr, extra []*os.File, jobFD int) (int, error) {
	fds := []uintptr{0, 1, 2}
	for _, f := range extra {
		fds = append(fds, f.Fd())
	}
	return syscall.ForkExec("/proc/self/exe", []string{"fsviews", stageJail, strconv.Itoa(jobFD)},
		&syscall.ProcAttr{Env: []string{}, Files: fds, Sys: attr})
}

// isOpen reports whether f's descriptor is open.
func isOpen(f *os.File) bool {
	_, err := unix.FcntlInt(f.Fd(), unix.F_GETFD, 0)
	return err == nil
}
