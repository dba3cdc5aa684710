package launch

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/privs"
	"github.com/fsviews/fsviews/rlimits"
	"github.com/fsviews/fsviews/views"
)

// fsviews' init starts the daemon without a third Go runtime: it forks
// and the child runs a list of raw system calls worked out before the
// fork, then execve. The child of a multi-threaded Go process may run no
// Go code that could allocate, take a lock another thread held at the
// fork, or grow its stack: forkDaemon does what the syscall package's own
// fork does, with the runtime's fork hooks (syscall.runtime_BeforeFork
// and friends, which the runtime keeps linkable for this; go.dev/issue/67401).
// The child's list is the same ordered drop the in-place model makes on
// its thread (privs.Plan), framed by the limits before it and Landlock
// and the seccomp filter after it, as execDaemon orders them.

//go:linkname runtime_BeforeFork syscall.runtime_BeforeFork
func runtime_BeforeFork()

//go:linkname runtime_AfterFork syscall.runtime_AfterFork
func runtime_AfterFork()

//go:linkname runtime_AfterForkInChild syscall.runtime_AfterForkInChild
func runtime_AfterForkInChild()

// rawCall is one system call of the child's list.
type rawCall struct {
	trap, a1, a2, a3, a4 uintptr
	what                 string
	// one: the call must return 1 (a read of the go byte), else it failed
	// with EPIPE: the init is gone.
	one bool
}

// pidSlot is an environment entry that ends in the daemon's PID
// (LISTEN_PID=, WATCHDOG_PID=), which only the child knows: it writes the
// digits at buf[at:] itself.
type pidSlot struct {
	buf []byte
	at  int
}

// spawnJob is everything the child needs, made before it starts. The child
// may share the init's memory (cloneDaemon): once it runs, the init writes
// none of these fields until the child has executed the daemon or been
// reaped, but errPipeClosed.
type spawnJob struct {
	calls    []rawCall
	path     *byte
	argv     []*byte // nil-terminated
	envv     []*byte // nil-terminated
	pidSlots []pidSlot
	errPipe  int // write end; close-on-exec, so it closes at a successful execve
	errRead  int // its read end, for the init
	// errPipeClosed: the init closed its own copy of errPipe, which the
	// child still uses.
	errPipeClosed bool
	// goRead and goWrite: the child waits for one byte on goRead before
	// it restricts itself and execs; the init writes it once it has
	// dropped its own privileges, so the daemon never runs beside a
	// privileged init.
	goRead, goWrite int
	goByte          [1]byte
	// caught lists the signals this process has handlers for, and dfl is
	// the struct kernel_sigaction that resets one (all zero: SIG_DFL, no
	// flags, empty mask); mask is the signal mask the child restores
	// (cloneDaemon).
	caught []unix.Signal
	dfl    [4]uint64
	mask   uint64
	// keep holds what the calls' pointers point into.
	keep []any
	// stack is the child's stack where it shares the init's memory
	// (cloneDaemon); unmapped by release, once the child has executed
	// the daemon or been reaped.
	stack []byte
}

// prepareSpawn works out the child's list for the job j, once the view
// is built and this process (fsviews' init, PID 1) is in it: the plan's
// finishing steps after its chdir (views.Plan.Finish: limits, the
// privilege drop, the umask, a new session, the ignored signals, the
// descriptors the daemon keeps, Landlock and the filter), in its order,
// as raw calls. It returns the list and a function that releases what it
// opened.
func prepareSpawn(j *job, path string) (*spawnJob, func(), error) {
	plan := j.Plan
	conf, err := j.confinement()
	if err != nil {
		return nil, nil, err
	}
	s := &spawnJob{errPipe: -1, errRead: -1, goRead: -1, goWrite: -1}
	ruleset := -1
	release := func() {
		if !s.errPipeClosed && s.errPipe >= 0 {
			unix.Close(s.errPipe)
			s.errPipeClosed = true
		}
		for _, fd := range []*int{&s.errRead, &s.goRead, &s.goWrite, &ruleset} {
			if *fd >= 0 {
				unix.Close(*fd)
				*fd = -1
			}
		}
		if s.stack != nil {
			unix.Munmap(s.stack)
			s.stack = nil
		}
	}
	fail := func(err error) (*spawnJob, func(), error) {
		release()
		return nil, nil, err
	}
	add := func(what string, trap, a1, a2, a3, a4 uintptr) {
		s.calls = append(s.calls, rawCall{trap: trap, a1: a1, a2: a2, a3: a3, a4: a4, what: what})
	}

	p := make([]int, 2)
	if err := unix.Pipe2(p, unix.O_CLOEXEC); err != nil {
		return fail(failed("pipe: %w", err))
	}
	s.errRead, s.errPipe = p[0], p[1]
	add("close the init's end of the report pipe", unix.SYS_CLOSE, uintptr(s.errRead), 0, 0, 0)

	// The caller's RLIMIT_NOFILE, which Go raised at this process's start.
	restoreNofile()
	steps, err := finishingSteps(plan, conf)
	if err != nil {
		return fail(err)
	}
	// waitForInit makes the child wait until the init has dropped its own
	// privileges, so that the daemon never runs beside a privileged init:
	// before the confinement layers (which would have to allow the read)
	// or, without them, before execve.
	waitForInit := func() error {
		g := make([]int, 2)
		if err := unix.Pipe2(g, unix.O_CLOEXEC); err != nil {
			return failed("pipe: %w", err)
		}
		s.goRead, s.goWrite = g[0], g[1]
		// The child keeps only its ends: without the write end of the
		// go pipe, its read ends (EOF) if the init is gone.
		add("close the init's end of the go pipe", unix.SYS_CLOSE, uintptr(s.goWrite), 0, 0, 0)
		s.calls = append(s.calls, rawCall{trap: unix.SYS_READ, a1: uintptr(s.goRead), a2: uintptr(unsafe.Pointer(&s.goByte[0])), a3: 1,
			what: "wait for fsviews' init to drop its privileges", one: true})
		return nil
	}
	// The plan's finishing steps from the workdir on, as raw calls of the
	// child, in the plan's order (views.Plan.Finish).
	for _, step := range steps {
		switch step {
		case views.StepLimits:
			limits, err := rlimits.Next(conf.limits)
			if err != nil {
				return fail(failed("[limits]: %w", err))
			}
			s.keep = append(s.keep, limits)
			for i := range limits {
				l := &limits[i]
				add("[limits]: "+l.What(), unix.SYS_PRLIMIT64, 0, uintptr(l.Resource), uintptr(unsafe.Pointer(&l.Value)), 0)
			}
		case views.StepPrivileges:
			drop, err := privs.Plan(privs.Set{UID: plan.UID, GID: plan.GID, Caps: plan.Caps, NoNewPrivs: plan.NoNewPriv, LastCap: j.LastCap})
			if err != nil {
				return fail(failed("drop privileges: %w", err))
			}
			s.keep = append(s.keep, drop)
			for _, c := range drop.Calls {
				add("drop privileges: "+c.What, c.Trap, c.A1, c.A2, c.A3, 0)
			}
		case views.StepUmask:
			add("restore the umask", unix.SYS_UMASK, uintptr(j.Umask), 0, 0, 0)
		case views.StepSession:
			if !plan.TTY {
				// The child leads no process group: setsid cannot fail here.
				add("leave the terminal (setsid)", unix.SYS_SETSID, 0, 0, 0, 0)
			}
		case views.StepSignals:
			ignored, caught, err := signalDispositions()
			if err != nil {
				return fail(failed("reset ignored signals: %w", err))
			}
			s.caught = caught
			for _, sig := range ignored {
				add(fmt.Sprintf("reset ignored signal %d", sig), unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&s.dfl)), 0, 8)
			}
		case views.StepFDs:
			for fd := 3; fd < 3+j.ListenFDs; fd++ {
				add(fmt.Sprintf("keep socket fd %d open", fd), unix.SYS_FCNTL, uintptr(fd), unix.F_SETFD, 0, 0)
			}
			add(fmt.Sprintf("close_range from %d", 3+j.ListenFDs), unix.SYS_CLOSE_RANGE, uintptr(3+j.ListenFDs), ^uintptr(0)>>1, unix.CLOSE_RANGE_CLOEXEC, 0)
		case views.StepConfine:
			if err := waitForInit(); err != nil {
				return fail(err)
			}
			if conf.landlock != nil || conf.filter != nil {
				add("prctl PR_SET_NO_NEW_PRIVS", unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0)
			}
			if conf.landlock != nil {
				if ruleset, err = landlockRuleset(conf.landlock, conf.abi); err != nil {
					return fail(failed("[landlock]: %w", err))
				}
				add("[landlock]: landlock_restrict_self", unix.SYS_LANDLOCK_RESTRICT_SELF, uintptr(ruleset), 0, 0, 0)
			}
			if conf.filter != nil {
				prog, err := conf.filter.Fprog()
				if err != nil {
					return fail(failed("[seccomp]: %w", err))
				}
				s.keep = append(s.keep, prog)
				add(fmt.Sprintf("[seccomp]: install the filter (%d instructions)", prog.Len), unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(prog)), 0)
			}
		case views.StepExec:
			if s.goRead < 0 {
				if err := waitForInit(); err != nil {
					return fail(err)
				}
			}
		default:
			return fail(failed("bug: the init's child has no call for the plan's step %s", step))
		}
	}

	if s.path, err = unix.BytePtrFromString(path); err != nil {
		return fail(failed("command %q: %w", path, err))
	}
	if s.argv, err = syscall.SlicePtrFromStrings(plan.Command); err != nil {
		return fail(failed("command %q: %w", plan.Command, err))
	}
	env := j.Env
	var slots []string
	if j.ListenFDs > 0 {
		slots = append(slots, "LISTEN_PID=")
	}
	if j.WatchdogPID {
		slots = append(slots, "WATCHDOG_PID=")
	}
	if s.envv, err = syscall.SlicePtrFromStrings(env); err != nil {
		return fail(failed("environment: %w", err))
	}
	s.envv = s.envv[:len(s.envv)-1] // the nil goes back at the end
	for _, prefix := range slots {
		buf := make([]byte, len(prefix)+21) // 20 digits and the NUL
		copy(buf, prefix)
		s.pidSlots = append(s.pidSlots, pidSlot{buf: buf, at: len(prefix)})
		s.envv = append(s.envv, &buf[0])
	}
	s.envv = append(s.envv, nil)

	return s, release, nil
}

// restoreNofile sets this process's soft RLIMIT_NOFILE back to what its
// caller gave it. The Go runtime raises it at start and restores it only
// for processes started through the syscall package (go.dev/issue/46279),
// and keeps the caller's value unexported. syscall.Exec restores it before
// execve and leaves it restored when execve fails; an empty path always
// fails (ENOENT). The daemon inherits the result, and so keeps the
// caller's limit exactly, as it would in place (tested in e2e).
func restoreNofile() {
	syscall.Exec("", nil, nil)
}

// spawn forks the daemon: the child runs s.calls and execs. It returns
// the child's PID at once; started says whether the exec succeeded, or
// the failure the child reported (the child is then reaped). The caller
// does its own work in between, while the child gets ready.
func spawn(s *spawnJob) (int, error) {
	syscall.ForkLock.Lock()
	pid, errno := cloneDaemon(s)
	syscall.ForkLock.Unlock()
	runtime.KeepAlive(s)
	if errno != 0 {
		return 0, failed("start the daemon's child: %w", errno)
	}
	// Only the child may hold the write end now: its close at execve
	// ends the read in started.
	unix.Close(s.errPipe)
	s.errPipeClosed = true
	return pid, nil
}

// started lets the child of spawn go on to exec the daemon (the init has
// dropped its privileges by then), and waits until it has, or returns the
// failure it reported.
func started(s *spawnJob, pid int) error {
	if _, err := unix.Write(s.goWrite, []byte{1}); err != nil {
		abandon(pid)
		return failed("let the daemon start: %w", err)
	}
	var report [2]uint32
	n, err := readFull(s.errRead, (*[8]byte)(unsafe.Pointer(&report))[:])
	if err != nil {
		abandon(pid)
		return failed("read the daemon's start: %w", err)
	}
	if n == 0 {
		return nil // the pipe closed at execve
	}
	reapChild(pid)
	step, e := int(report[0]), syscall.Errno(report[1])
	if step < len(s.calls) {
		return failed("%s: %w", s.calls[step].what, e)
	}
	code := 126
	if e == unix.ENOENT {
		code = 127
	}
	return &Error{Code: code, Err: fmt.Errorf("exec %s inside the view: %w", unix.BytePtrToString(s.path), e)}
}

// abandon kills the child pid and reaps it. The child of spawn is
// abandoned so before it executed the daemon: only then may release
// unmap the stack it ran on.
func abandon(pid int) {
	unix.Kill(pid, unix.SIGKILL)
	reapChild(pid)
}

// reapChild waits for the child pid to end.
func reapChild(pid int) {
	var ws unix.WaitStatus
	for {
		if _, err := unix.Wait4(pid, &ws, 0, nil); !errors.Is(err, unix.EINTR) {
			return
		}
	}
}

// readFull reads until b is full or the pipe closes.
func readFull(fd int, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := unix.Read(fd, b[n:])
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return n, err
		case m == 0:
			return n, nil
		}
		n += m
	}
	return n, nil
}

// forkDaemon forks: the child has a copy of this process's memory, and
// runs daemonChild. Where cloneDaemon shares the memory instead, this is
// its fallback, and what tests compare it with.
//
//go:noinline
//go:norace
//go:nocheckptr
func forkDaemon(s *spawnJob) (int, syscall.Errno) {
	runtime_BeforeFork()
	r1, _, e := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	if e != 0 || r1 != 0 {
		runtime_AfterFork()
		return int(r1), e
	}
	// The Go runtime's handlers back to the default and the signal mask
	// back to the one this process started with, as the syscall
	// package's child does: this copy of the memory is the child's own.
	runtime_AfterForkInChild()
	daemonChild(s)
	return 0, 0 // not reached: daemonChild ends in execve or exit_group
}

// daemonChild is the daemon before its execve: it runs s.calls and execs,
// and writes the index of the step that failed and its errno to
// s.errPipe, or says nothing when execve succeeds (the pipe is
// close-on-exec). It runs only nosplit raw system calls, inline: no
// allocation, no lock, no stack growth (the runtime makes any stack check
// fail after runtime_BeforeFork), as in the syscall package's
// forkAndExecInChild1. It writes only to its own stack, the PID slots
// and s.goByte, and never touches the Go runtime's state: the init may
// share its memory (cloneDaemon), and runs on.
//
//go:nosplit
//go:norace
//go:nocheckptr
func daemonChild(s *spawnJob) {
	pid, _, _ := syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
	for k := 0; k < len(s.pidSlots); k++ {
		var digits [20]byte
		i := len(digits)
		for n := pid; ; n /= 10 {
			i--
			digits[i] = byte('0' + n%10)
			if n < 10 {
				break
			}
		}
		buf, at := s.pidSlots[k].buf, s.pidSlots[k].at
		for ; i < len(digits); i++ {
			buf[at] = digits[i]
			at++
		}
		buf[at] = 0
	}
	var report [2]uint32
	var e syscall.Errno
	step := 0
	for ; step < len(s.calls); step++ {
		c := &s.calls[step]
		var r uintptr
		if r, _, e = syscall.RawSyscall6(c.trap, c.a1, c.a2, c.a3, c.a4, 0, 0); e != 0 {
			break
		}
		if c.one && r != 1 {
			e = syscall.EPIPE
			break
		}
	}
	if e == 0 {
		_, _, e = syscall.RawSyscall(syscall.SYS_EXECVE, uintptr(unsafe.Pointer(s.path)),
			uintptr(unsafe.Pointer(&s.argv[0])), uintptr(unsafe.Pointer(&s.envv[0])))
	}
	report[0], report[1] = uint32(step), uint32(e)
	syscall.RawSyscall(syscall.SYS_WRITE, uintptr(s.errPipe), uintptr(unsafe.Pointer(&report[0])), 8)
	for {
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 125, 0, 0)
	}
}
