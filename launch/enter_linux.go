package launch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/caps"
	"github.com/fsviews/fsviews/cgroups"
	"github.com/fsviews/fsviews/internal/sigcatch"
	"github.com/fsviews/fsviews/privs"
	"github.com/fsviews/fsviews/registry"
	"github.com/fsviews/fsviews/views"
)

// fsviews exec starts a command in a running jail under the jail's own
// confinement (docs/security.md, "fsviews exec"). Everything it applies
// comes from the root-owned record of the jail (the plan fsviews run
// compiled, the process and its namespaces), never from inside the jail,
// and the process that enters is confined before anything of the jail can
// reach it:
//
//   - the host side (Enter) opens a pidfd of the recorded process and
//     proves it is the recorded one (start time read after the pidfd was
//     opened, the pidfd still alive after every read), then joins the
//     jail's PID namespace on one locked thread (setns through the pidfd;
//     it applies to the thread's next children only) and starts the
//     enter stage from there, in a new session, and moves it into the
//     jail's cgroups before it has its job;
//   - the enter stage is this binary, but executed from a sealed memfd
//     copy, so that no process in the jail ever has the host's binary as
//     its /proc/PID/exe (runc's CVE-2019-5736); it makes itself
//     non-dumpable first, joins the jail's other namespaces through the
//     pidfd (mount, UTS, IPC, net, cgroup; setns checks each against the
//     record afterwards), takes the jail process's root and the plan's
//     workdir, and then runs the same execDaemon as fsviews run: rlimits,
//     identity and capabilities, inherited fds closed, Landlock, the
//     seccomp filter, execve of the command.
//
// The mount namespace is joined by the stage on a locked thread that first
// unshares its fs_struct (CLONE_FS): setns(CLONE_NEWNS) refuses a caller
// that shares root and cwd with other threads, which every Go thread does,
// and the exec'ing thread's namespaces become the process's at execve.

// stageEnter is the hidden stage of fsviews exec.
const stageEnter = "__enter"

// Jail is the running jail fsviews exec enters, as its root-owned record
// describes it: the process fsviews run registered (PID 1 of its PID
// namespace, or the daemon itself with pid = false), that process's start
// time and namespaces when it started, and the plan it was built from.
type Jail struct {
	Name       string
	PID        int
	StartTime  uint64
	Namespaces map[string]uint64
	Plan       *views.Plan
}

// EnterOptions say what fsviews exec runs in a jail.
type EnterOptions struct {
	Command []string
	// User runs the command as another user than the daemon's, which
	// may only lower its privileges (see Identity); nil: the daemon's.
	User *Identity
	// TTY gives the command a new terminal of the jail's devpts as its
	// controlling terminal and stdio, relayed to the caller's (which
	// never enters the jail); without it the command gets a session
	// without a terminal and the caller's stdio.
	TTY bool
	// Environ is the caller's environment, filtered by the profile's
	// [env] rules as the daemon's was.
	Environ []string
	// Started runs once the command's process exists, with its PID on the
	// host, before it has entered anything: fsviews exec records the exec
	// here. An error kills it, and Enter fails with exit status 125.
	Started func(pid int, uid, gid int) error
	// Warnings gets what the launch works around (Options.Warnings);
	// nil discards it.
	Warnings io.Writer
}

// Identity is a uid and gid.
type Identity struct{ UID, GID int }

// enterJob is what the enter stage reads from the host side.
type enterJob struct {
	Job job `json:"job"`
	// Join is the CLONE_NEW* flags the stage joins through the pidfd;
	// Expect the namespace inodes it must then be in, from the record.
	Join   int               `json:"join"`
	Expect map[string]uint64 `json:"expect"`
	// Jail is the jail's name, for messages.
	Jail string `json:"jail"`
}

// The namespaces fsviews exec joins, by their /proc/PID/ns names: those a
// jail may have of its own (the user namespace is refused apart). "pid"
// is joined by the host side, for the stage's own process.
var joinable = []struct {
	name string
	flag int
}{
	{"mnt", unix.CLONE_NEWNS}, {"uts", unix.CLONE_NEWUTS}, {"ipc", unix.CLONE_NEWIPC},
	{"net", unix.CLONE_NEWNET}, {"cgroup", unix.CLONE_NEWCGROUP}, {"pid", unix.CLONE_NEWPID},
}

// Enter runs opt.Command in jail j and returns how it ended: *Exited once
// it ran (its exit status or signal, to be passed on as fsviews run does),
// *Error when it could not be started. Signals fsviews gets meanwhile go
// on to the command.
func Enter(j Jail, opt EnterOptions) error {
	// A jail without a PID namespace sees this process: it holds the
	// pidfd and the jail's root, which nothing of the jail may read.
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	plan, err := execPlan(j, opt)
	if err != nil {
		return err
	}
	if err := notSetuid(os.Getuid(), os.Geteuid(), os.Getgid(), os.Getegid()); err != nil {
		return err
	}
	if ok, err := privs.HasSysAdmin(); err != nil {
		return failed("check privileges: %w", err)
	} else if !ok {
		return failed("fsviews exec needs root (CAP_SYS_ADMIN) to join a jail's namespaces: run it as root")
	}
	own, err := registry.Namespaces(os.Getpid())
	if err != nil {
		return failed("read fsviews' own namespaces: %w", err)
	}
	// fsviews' init makes the cgroup namespace after the supervisor wrote
	// the record (jail_linux.go), which therefore lacks it: it is read
	// from the process itself, which openJail below proves to be the
	// recorded one (a PID is not reused while its process lives).
	if _, ok := j.Namespaces["cgroup"]; !ok && plan.PID && slices.Contains(plan.Unshare, "cgroup") {
		live, err := registry.Namespaces(j.PID)
		if err != nil {
			return failed("jail %s: read its namespaces: %w", j.Name, err)
		}
		ns := maps.Clone(j.Namespaces)
		ns["cgroup"] = live["cgroup"]
		j.Namespaces = ns
	}
	join, err := namespacesToJoin(j, own)
	if err != nil {
		return failed("jail %s: %w; refusing to enter", j.Name, err)
	}
	warnings := opt.Warnings
	if warnings == nil {
		warnings = io.Discard
	}
	conf, err := prepareConfinement(plan, warnings)
	if err != nil {
		return err
	}
	lastCap, err := readLastCap()
	if err != nil {
		return failed("%w", err)
	}
	umask := unix.Umask(0)
	unix.Umask(umask)
	jb := job{Plan: plan, LastCap: lastCap, Umask: umask, RelayFD: -1, conf: conf, warnings: warnings}
	jb.Env = envFor(plan, opt.Environ, listening{})
	jb.OnHost = hostCommand(plan.Command[0], jb.Env)
	if err := jb.shipConfinement(); err != nil {
		return failed("[seccomp]: %w", err)
	}

	target, err := openJail(j)
	if err != nil {
		return err
	}
	defer target.close()
	exe, err := sealedSelf()
	if err != nil {
		return failed("copy fsviews into a sealed memfd for the enter stage: %w", err)
	}
	defer exe.Close()
	return enterWith(target, exe, enterJob{Job: jb, Join: join &^ unix.CLONE_NEWPID, Expect: j.Namespaces, Jail: j.Name}, join&unix.CLONE_NEWPID != 0, opt)
}

// execPlan is the jail's plan with the command, identity and terminal of
// this exec; everything else (capabilities, no_new_privs, the filter,
// Landlock, rlimits, env rules, workdir) is the daemon's.
func execPlan(j Jail, opt EnterOptions) (*views.Plan, error) {
	if j.Plan == nil {
		return nil, failed("jail %s: its record holds no plan: it was not started by this fsviews; refusing to enter", j.Name)
	}
	if len(opt.Command) == 0 {
		return nil, failed("name the command to run in jail %s after --", j.Name)
	}
	if j.Plan.UserNS {
		return nil, failed("jail %s is rootless (a user namespace of its own): fsviews exec enters only jails that root started", j.Name)
	}
	// The plan says whether the view has a devpts: refuse before
	// anything starts (the stage checks what it finds again).
	if opt.TTY && !slices.ContainsFunc(j.Plan.Ops, func(op views.Op) bool { return op.Kind == views.Devpts }) {
		return nil, failed("jail %s has no %s: --tty needs the private pseudo-terminals of a [dev] table in the jail's profile; add [dev], or run without --tty", j.Name, jailPtmx)
	}
	for _, c := range j.Plan.Caps {
		if n, _, err := caps.Parse(c); err == nil && n == unix.CAP_SYS_PTRACE {
			return nil, failed("jail %s keeps CAP_SYS_PTRACE: its processes could ptrace the entering process before it is confined, or open its /proc/PID/root, which is the host's until it has joined; fsviews exec refuses such jails (docs/security.md)", j.Name)
		}
	}
	plan := *j.Plan
	plan.Command = slices.Clone(opt.Command)
	plan.TTY = opt.TTY
	id, err := execIdentity(j.Plan, opt.User)
	if err != nil {
		return nil, failed("jail %s: %w", j.Name, err)
	}
	if id.UID != daemonIdentity(j.Plan).UID || id.GID != daemonIdentity(j.Plan).GID {
		// Another user than the daemon's, which was root: it keeps no
		// capability, and cannot gain any.
		plan.Caps = nil
		plan.NoNewPriv = true
	}
	if opt.User != nil {
		plan.UID, plan.GID = id.UID, id.GID
	}
	return &plan, nil
}

// daemonIdentity is who the jail's daemon runs as. A plan's -1 keeps the
// caller's, and a jail fsviews exec enters was started by root.
func daemonIdentity(plan *views.Plan) Identity {
	id := Identity{plan.UID, plan.GID}
	if id.UID < 0 {
		id.UID = 0
	}
	if id.GID < 0 {
		id.GID = 0
	}
	return id
}

// execIdentity is who the command runs as: the daemon's user, or user,
// which may only lower privileges: any user when the daemon runs as root,
// else only the daemon's own.
func execIdentity(plan *views.Plan, user *Identity) (Identity, error) {
	d := daemonIdentity(plan)
	if user == nil || *user == d {
		return d, nil
	}
	if user.UID < 0 || user.GID < 0 {
		return Identity{}, fmt.Errorf("--user %d:%d: uid and gid must be 0 or more", user.UID, user.GID)
	}
	if d.UID != 0 {
		return Identity{}, fmt.Errorf("--user %d:%d would not lower the privileges of the jail's daemon, which runs as %d:%d: --user may only lower them; leave it out to run as %d:%d", user.UID, user.GID, d.UID, d.GID, d.UID, d.GID)
	}
	if user.UID == 0 {
		return Identity{}, fmt.Errorf("--user %d:%d keeps uid 0 with another group: --user may only lower privileges; give a non-root user, or leave it out", user.UID, user.GID)
	}
	return *user, nil
}

// namespacesToJoin compares the jail's recorded namespaces with fsviews'
// own and returns the CLONE_NEW* flags of those it has of its own. The
// record is a claim: it must name a mount namespace of the jail's own (a
// record naming a host process does not), no user namespace of its own,
// and exactly the namespaces its plan made.
func namespacesToJoin(j Jail, own map[string]uint64) (int, error) {
	if u, ok := j.Namespaces["user"]; ok && u != own["user"] {
		return 0, errors.New("its record names a user namespace of its own, which its plan did not make (a forged or corrupt record)")
	}
	flags := 0
	for _, ns := range joinable {
		ino, ok := j.Namespaces[ns.name]
		if !ok {
			return 0, fmt.Errorf("its record lacks the %s namespace (a forged or corrupt record)", ns.name)
		}
		made := slices.Contains(j.Plan.Unshare, ns.name)
		switch {
		case ino != own[ns.name] && made:
			flags |= ns.flag
		case ino == own[ns.name] && ns.name == "mnt":
			return 0, fmt.Errorf("its record names the host's mount namespace (%d): the process it names is not in a view (a forged record)", ino)
		case ino != own[ns.name]:
			return 0, fmt.Errorf("its record names a %s namespace (%d) its plan did not make (a forged or corrupt record)", ns.name, ino)
		case made:
			return 0, fmt.Errorf("its plan made a %s namespace, but its record names the host's (%d) (a forged or corrupt record)", ns.name, ino)
		}
	}
	return flags, nil
}

// target is the jail's process, held by a pidfd proven to be the
// recorded one, with what was read of it through /proc meanwhile.
type target struct {
	jail    Jail
	pidfd   *os.File
	root    *os.File       // the process's root directory, O_PATH
	cgroups *cgroups.Group // where it is, in every cgroup hierarchy
}

func (t *target) close() {
	for _, f := range []*os.File{t.pidfd, t.root} {
		if f != nil {
			f.Close()
		}
	}
}

// openJail opens a pidfd of j's process and proves that it is the process
// the record names: a PID alone could have been reused since the record was
// read. The start time is read after the pidfd exists, and every read of
// /proc/PID (start time, root, cgroup) is followed by a signal 0 through
// the pidfd: a process that is still alive after the reads was alive
// during them, so its PID was not reused and what was read is its own.
func openJail(j Jail) (*target, error) {
	fd, err := unix.PidfdOpen(j.PID, 0)
	if err != nil {
		return nil, failed("jail %s: pidfd_open %d: %w; is the jail still running? (fsviews ps)", j.Name, j.PID, err)
	}
	unix.CloseOnExec(fd)
	t := &target{jail: j, pidfd: os.NewFile(uintptr(fd), "pidfd")}
	err = t.read()
	if err == nil {
		err = t.alive()
	}
	if err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

// read reads what Enter needs of the process through /proc.
func (t *target) read() error {
	j := t.jail
	start, err := registry.ProcStartTime(j.PID)
	if err != nil {
		return failed("jail %s: read process %d: %w", j.Name, j.PID, err)
	}
	if start != j.StartTime {
		return failed("jail %s: PID %d now belongs to another process (started at tick %d, the jail at %d): the jail has ended; refusing to enter", j.Name, j.PID, start, j.StartTime)
	}
	p := "/proc/" + strconv.Itoa(j.PID)
	if t.root, err = os.OpenFile(p+"/root", unix.O_PATH|unix.O_DIRECTORY, 0); err != nil {
		return failed("jail %s: open its root: %w", j.Name, err)
	}
	data, err := os.ReadFile(p + "/cgroup")
	if err != nil {
		return failed("jail %s: read its cgroup: %w", j.Name, err)
	}
	t.cgroups, err = jailCgroups(j, data)
	return err
}

// alive checks, through the pidfd, that the process is still the one
// opened (and not a zombie: its namespaces and root are then gone).
func (t *target) alive() error {
	if err := unix.PidfdSendSignal(int(t.pidfd.Fd()), 0, nil, 0); err != nil {
		return failed("jail %s: process %d ended while fsviews exec read it: %w", t.jail.Name, t.jail.PID, err)
	}
	if st, err := registry.ProcStartTime(t.jail.PID); err != nil || st != t.jail.StartTime {
		return failed("jail %s: process %d ended while fsviews exec read it", t.jail.Name, t.jail.PID)
	}
	return nil
}

// jailCgroups finds the cgroups the jail's process is in, in every
// hierarchy, from its /proc/PID/cgroup (written by the kernel). A plan with
// [cgroup] must be in the group fsviews made for it (fsviews-NAME-PID).
func jailCgroups(j Jail, procCgroup []byte) (*cgroups.Group, error) {
	layout, err := cgroups.Discover()
	if err != nil {
		return nil, failed("jail %s: find the cgroup hierarchies: %w", j.Name, err)
	}
	dirs, err := layout.DirsOf(procCgroup)
	if err != nil {
		return nil, failed("jail %s: its cgroups: %w", j.Name, err)
	}
	if c := j.Plan.Cgroup; c != nil {
		prefix := "fsviews-" + j.Plan.Name + "-"
		if !slices.ContainsFunc(dirs, func(d string) bool { return strings.HasPrefix(filepath.Base(d), prefix) }) {
			return nil, failed("jail %s: its process is in none of the cgroups fsviews made for its [cgroup] (%s): %s; refusing to enter", j.Name, prefix+"PID", strings.Join(dirs, ", "))
		}
	}
	return cgroups.Existing(dirs), nil
}

// sealedSelf copies this binary into a memfd sealed against every change:
// the enter stage runs from it, so that /proc/PID/exe of a process in the
// jail never leads to the host's fsviews binary, which a jail that got
// hold of it could rewrite for the next root who runs it (runc's
// CVE-2019-5736). MFD_EXEC: hosts with vm.memfd_noexec = 1 make memfds
// non-executable unless asked.
func sealedSelf() (*os.File, error) {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, err
	}
	defer src.Close()
	fd, err := unix.MemfdCreate("fsviews-exec", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_EXEC)
	if errors.Is(err, unix.EINVAL) { // a kernel before 6.3 knows no MFD_EXEC
		fd, err = unix.MemfdCreate("fsviews-exec", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	}
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "memfd:fsviews-exec")
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		return nil, fmt.Errorf("copy /proc/self/exe: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil, fmt.Errorf("seal the memfd: %w", err)
	}
	return f, nil
}

// enterWith starts the enter stage and supervises it as fsviews run's
// supervisor does its jail: signals are queued until the stage executes
// the command (its status pipe closes at execve), then passed on; the
// stage's end is fsviews exec's.
func enterWith(t *target, exe *os.File, ej enterJob, joinPID bool, opt EnterOptions) error {
	jobR, jobW, err := os.Pipe()
	if err != nil {
		return failed("pipe: %w", err)
	}
	defer jobW.Close()
	statusR, statusW, err := os.Pipe()
	if err != nil {
		jobR.Close()
		return failed("pipe: %w", err)
	}
	defer statusR.Close()
	// The command's own stdio, and nothing else of the host's: the
	// pidfd and the root are closed by the stage before it executes the
	// command (close-on-exec).
	// The memfd goes to the stage as fd 7 and is executed from there: a
	// path to its fd number in this process could be taken over by the
	// descriptors the child rearranges before execve.
	cmd := exec.Command("/proc/self/fd/7", stageEnter, "3")
	cmd.Args[0] = "fsviews"
	cmd.Env = []string{}
	cmd.ExtraFiles = []*os.File{jobR, statusW, t.pidfd, t.root, exe}
	// With --tty the stage gets no stdio of the caller's (/dev/null
	// until it takes the jail's terminal), and a socket, fd 8, for the
	// terminal's master.
	var ttySock *os.File
	if opt.TTY {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			jobR.Close()
			statusW.Close()
			return failed("socketpair for the terminal: %w", err)
		}
		ttySock = os.NewFile(uintptr(fds[0]), "terminal socket")
		defer ttySock.Close()
		stageSock := os.NewFile(uintptr(fds[1]), "terminal socket")
		defer stageSock.Close()
		cmd.ExtraFiles = append(cmd.ExtraFiles, stageSock)
	} else {
		passStdio(cmd)
	}
	// No Pdeathsig here: Go's child checks that getppid still names this
	// process, and in the jail's PID namespace getppid reads 0; the stage
	// sets it itself. A session of its own: no terminal of the caller's
	// is its controlling one (with --tty the jail's becomes it).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	sigs := make(chan os.Signal, 64)
	// With --tty a window change reaches the command through its
	// terminal (the relay resizes it), not as a signal of ours.
	if err := sigcatch.Notify(sigs, slices.DeleteFunc(forwarded(), func(s os.Signal) bool { return opt.TTY && s == unix.SIGWINCH })...); err != nil {
		jobR.Close()
		statusW.Close()
		return failed("%w", err)
	}

	// The PID namespace is joined by the thread that forks the stage: the
	// stage's process is then in the jail's PID namespace from its first
	// instruction. The thread stays, locked, until the stage has ended:
	// the parent-death signal fires when the thread that forked dies.
	started := make(chan error)
	done := make(chan struct{})
	defer close(done)
	go func() {
		runtime.LockOSThread()
		if joinPID {
			if err := joinPIDNamespace(t); err != nil {
				started <- err
				return // the thread, in the jail's PID namespace, dies
			}
		}
		started <- cmd.Start()
		<-done
	}()
	err = <-started
	jobR.Close()
	statusW.Close()
	if err != nil {
		var le *Error
		if errors.As(err, &le) {
			return err
		}
		return failed("start the enter stage: %w", err)
	}
	pid := cmd.Process.Pid
	kill := func() { cmd.Process.Kill(); cmd.Wait() }
	// Into the jail's cgroups before the stage has its job, so before it
	// can do anything (as fsviews run's supervisor does with PID 1).
	if err := t.cgroups.Join(pid); err != nil {
		kill()
		return failed("jail %s: join its cgroups: %w", t.jail.Name, err)
	}
	if opt.Started != nil {
		id := daemonIdentity(ej.Job.Plan)
		if err := opt.Started(pid, id.UID, id.GID); err != nil {
			kill()
			return failed("%w", err)
		}
	}
	// The target was checked before the stage started; check once more
	// now that the stage holds the pidfd: setns through it enters the
	// namespaces of exactly this process.
	if err := t.alive(); err != nil {
		kill()
		return err
	}
	if err := json.NewEncoder(jobW).Encode(&ej); err != nil {
		kill()
		return failed("hand the job to the enter stage: %w", err)
	}
	jobW.Close()
	var relay *terminalRelay
	if ttySock != nil {
		relay = startTerminalRelay(ttySock, os.Stdin, os.Stdout)
	}
	ws, report, err := superviseLoop(pid, sigs, statusR)
	if relay != nil {
		relay.finish()
	}
	if err != nil {
		return err
	}
	return outcome(ws, report)
}

// joinPIDNamespace joins, on the calling locked thread, the PID namespace
// of t's process for the thread's next children, and checks that it is the
// recorded one.
func joinPIDNamespace(t *target) error {
	if err := unix.Setns(int(t.pidfd.Fd()), unix.CLONE_NEWPID); err != nil {
		return failed("jail %s: setns to its PID namespace: %w", t.jail.Name, err)
	}
	got, err := registry.ThreadNamespaces()
	if err != nil {
		return failed("jail %s: read the PID namespace joined: %w", t.jail.Name, err)
	}
	if want := t.jail.Namespaces["pid"]; got["pid_for_children"] != want {
		return failed("jail %s: joined PID namespace %d, but its record names %d: the jail's process is not the recorded one; refusing to enter", t.jail.Name, got["pid_for_children"], want)
	}
	return nil
}

// enterStage is the process fsviews exec starts, run from the sealed
// memfd, already in the jail's PID namespace and cgroup: it joins the
// jail's other namespaces and becomes the command. fd is the job pipe;
// fd+1 the status pipe, fd+2 the pidfd, fd+3 the jail process's root,
// fd+4 the memfd it was executed from, and with --tty fd+5 the socket
// the jail's terminal goes back on.
func enterStage(fd int) int {
	runtime.LockOSThread()
	// First of all: until execve, no process of the jail may ptrace this
	// one or open its /proc files (the kernel then wants CAP_SYS_PTRACE,
	// which Enter refuses jails that keep).
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	status := reporter{inherited(fd+1, "status")}
	// It dies with fsviews exec (the thread that forked it, which stays
	// until it ends); if that is gone already, nobody reads the status.
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return status.fail(failed("prctl PR_SET_PDEATHSIG: %w", err))
	}
	if supervisorGone(fd + 1) {
		return 125
	}
	pidfd := inherited(fd+2, "pidfd")
	root := inherited(fd+3, "root")
	inherited(fd+4, "exe").Close() // the memfd this process runs from
	var ej enterJob
	if err := json.NewDecoder(inherited(fd, "job")).Decode(&ej); err != nil {
		return status.fail(failed("read the job from fsviews exec: %w", err))
	}
	if err := joinJail(&ej, pidfd, root); err != nil {
		return status.fail(err)
	}
	pidfd.Close()
	// A daemon that keeps its caller's user (uid = -1 in the plan) kept
	// the supplementary groups of whoever ran fsviews run; the admin's
	// are not those, and none is the safe "same or fewer".
	if ej.Job.Plan.UID < 0 {
		if err := unix.Setgroups(nil); err != nil {
			return status.fail(failed("setgroups []: %w", err))
		}
	}
	if ej.Job.Plan.TTY {
		if err := takeTerminal(inherited(fd+5, "terminal socket"), ej.Jail, Identity{ej.Job.Plan.UID, ej.Job.Plan.GID}); err != nil {
			return status.fail(err)
		}
	}
	path, err := chdirAndFind(&ej.Job)
	if err != nil {
		return status.fail(err)
	}
	return status.fail(execDaemon(&ej.Job, path, os.Getpid()))
}

// joinJail joins the namespaces of the pidfd's process named by ej.Join
// on the calling locked thread, checks them against the record, and makes
// that process's root this thread's.
func joinJail(ej *enterJob, pidfd, root *os.File) error {
	// /proc/thread-self/ns of this thread, opened while the host's /proc
	// is at hand: its links show the namespaces the thread is in when
	// read, after setns too.
	nsdir, err := unix.Open("/proc/thread-self/ns", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return failed("open /proc/thread-self/ns: %w", err)
	}
	defer unix.Close(nsdir)
	// setns(CLONE_NEWNS) refuses a thread that shares its root and cwd
	// with others (every Go thread does): this one gets its own.
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return failed("unshare CLONE_FS: %w", err)
	}
	if err := unix.Setns(int(pidfd.Fd()), ej.Join); err != nil {
		return failed("setns to the jail's namespaces: %w", err)
	}
	for _, ns := range joinable {
		if ej.Join&ns.flag == 0 {
			continue
		}
		buf := make([]byte, 64)
		n, err := unix.Readlinkat(nsdir, ns.name, buf)
		if err != nil {
			return failed("read the %s namespace joined: %w", ns.name, err)
		}
		got := string(buf[:n])
		if want := fmt.Sprintf("%s:[%d]", ns.name, ej.Expect[ns.name]); got != want {
			return failed("joined %s, but the jail's record names %s: the jail's process left its namespaces or is not the recorded one; refusing to run the command", got, want)
		}
	}
	// Root: the jail process's own, which setns(CLONE_NEWNS) alone would
	// not give (it sets the mount namespace's root, which a daemon that
	// chrooted further is not in).
	if err := unix.Fchdir(int(root.Fd())); err != nil {
		return failed("fchdir to the jail's root: %w", err)
	}
	if err := unix.Chroot("."); err != nil {
		return failed("chroot to the jail's root: %w", err)
	}
	root.Close()
	return nil
}
