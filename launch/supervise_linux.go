package launch

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Exited is how a supervised jail ended: the daemon's exit status, or the
// signal that killed it. Exit ends fsviews the same way.
type Exited struct {
	Code   int
	Signal unix.Signal // 0 when the daemon exited
}

func (e *Exited) Error() string {
	if e.Signal != 0 {
		return fmt.Sprintf("the daemon was killed by signal %d (%s)", int(e.Signal), unix.SignalName(e.Signal))
	}
	return fmt.Sprintf("the daemon exited with status %d", e.Code)
}

// Exit ends fsviews as the daemon ended, so that its caller (systemd, a
// shell) sees the daemon's own status. A death by signal N is re-raised:
// the handler is reset to SIG_DFL with a raw rt_sigaction (the Go
// runtime's own handler would print a traceback for SIGQUIT, SIGSEGV and
// the like, and exit 2), the signal is unblocked and sent to this thread.
// Every signal that can kill a process kills fsviews that way; only one
// whose default action is to ignore or stop (SIGCHLD, SIGCONT, SIGURG,
// SIGWINCH, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU), which cannot have killed
// the daemon in the first place, falls back to exit status 128+N. Core
// dumps of fsviews itself are switched off first: the daemon's is the
// one that matters.
func (e *Exited) Exit() {
	if e.Signal == 0 {
		os.Exit(e.Code)
	}
	runtime.LockOSThread()
	unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	var dfl [4]uint64 // struct kernel_sigaction, all zero: SIG_DFL, no flags, empty mask
	sigaction(e.Signal, &dfl, nil)
	set := uint64(1) << (uint(e.Signal) - 1)
	unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_UNBLOCK, uintptr(unsafe.Pointer(&set)), 0, 8, 0, 0)
	unix.Tgkill(unix.Getpid(), unix.Gettid(), e.Signal)
	os.Exit(128 + int(e.Signal))
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
func supervise(j *job) error {
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
		if notify, err = newRelay(op.Source); err != nil {
			return failed("%w", err)
		}
		j.RelayFD = jobFD + 2
		files = append(files, notify.file)
	}
	cmd := exec.Command("/proc/self/exe", stageJail, strconv.Itoa(jobFD))
	cmd.Args[0] = "fsviews"
	cmd.Env = []string{}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.ExtraFiles = files
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: uintptr(cloneFlags(j.Plan.Unshare)),
		Pdeathsig:  syscall.SIGKILL,
		// A new session for the jail, without the terminal (--tty
		// keeps it): see detachTerminal.
		Setsid: !j.Plan.TTY,
	}
	// Notify before the child exists, so that no signal is missed.
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs, forwarded()...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return failed("start the jail (%s): %w", strings.Join(j.Plan.Unshare, ","), err)
	}
	for _, f := range files {
		if notify == nil || f != notify.file {
			f.Close()
		}
	}
	err = json.NewEncoder(jobW).Encode(j)
	jobW.Close()
	if err != nil {
		cmd.Process.Kill()
		return failed("hand the plan to the jail: %w", err)
	}
	pid := cmd.Process.Pid
	go func() {
		for s := range sigs {
			unix.Kill(pid, s.(syscall.Signal))
		}
	}()
	if notify != nil {
		go notify.run()
	}
	shrink() // idle from here on
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if !errors.Is(err, unix.EINTR) {
			if err != nil {
				return failed("wait for the jail: %w", err)
			}
			break
		}
	}
	if notify != nil {
		notify.drain()
	}
	return outcome(ws, statusR)
}

// outcome reads what PID 1 reported and how it ended. Reports are lines:
// "error CODE MESSAGE" (the jail failed before the daemon ran), "exit N"
// or "signal N" (fsviews' init saw the daemon end so; an init cannot die
// by most signals itself, so it reports them).
func outcome(ws unix.WaitStatus, status *os.File) error {
	defer status.Close()
	sc := bufio.NewScanner(status)
	for sc.Scan() {
		kind, rest, _ := strings.Cut(sc.Text(), " ")
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
