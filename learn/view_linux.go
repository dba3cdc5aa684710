package learn

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The learning view, inside the new mount namespace: a tmpfs over /tmp
// holds the overlay's upper and work dirs and the merged tree. /tmp is
// shadowed in this namespace only; the overlay's lower layer is the root
// file system itself, which shows /tmp as it is on the host.
const (
	scratch = "/tmp"
	lowerAt = scratch + "/lower"
	upper   = scratch + "/upper"
	work    = scratch + "/work"
	merged  = scratch + "/view"
)

// devNodes are the host devices the learning view's /dev shows, as [dev]
// does in a profile.
var devNodes = []string{"null", "zero", "full", "random", "urandom", "tty"}

// ViewStage is StageView: PID 1 of the learning namespaces. It builds the
// view, starts StageExec in it, watches, and writes the Observations as
// JSON to fd 3; what it works around goes to warnings. It returns the
// exit status the stage ends with.
func ViewStage(args []string, warnings io.Writer) (int, error) {
	if err := viewStage(args, warnings); err != nil {
		return 1, err
	}
	return 0, nil
}

func viewStage(args []string, warnings io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: the view stage takes one argument", bug(os.ErrInvalid))
	}
	var opt Options
	if err := json.Unmarshal([]byte(args[0]), &opt); err != nil {
		return bug(err)
	}
	// fd 3 carries the observations back to fsviews learn; the daemon,
	// started below, must not inherit it and write observations of its
	// own.
	unix.CloseOnExec(3)
	out := os.NewFile(3, "observations")
	// The daemon runs as root too: without CAP_SYS_PTRACE (withheld) it
	// cannot reach a process that is not dumpable, and this one's root,
	// /proc/1/root, is the host's.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_DUMPABLE, 0): %w", err)
	}
	// Signals that end the run, taken before anything starts so that an
	// early one is not lost.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)

	lower, err := buildView()
	if err != nil {
		return err
	}
	defer unix.Close(lower)
	fan, err := watchFiles()
	if err != nil {
		return err
	}
	defer unix.Close(fan)

	ids := ""
	if opt.User != "" {
		if ids, err = lookupUser(opt.User); err != nil {
			return fmt.Errorf("user %s: %w", opt.User, err)
		}
	}
	cmd := exec.Command(opt.Self, append([]string{"learn", StageExec, opt.Workdir, ids}, opt.Command...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the daemon's stage: %w", err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()

	w := newWatcher(cmd.Process.Pid)
	listener, err := takeListener(cmd.Process.Pid, exited)
	if err != nil {
		killAll()
		<-exited
		return err
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(2)
	go func() { defer wg.Done(); w.watchSyscalls(listener, done) }()
	go func() { defer wg.Done(); w.watchFiles(fan, done) }()

	var timeout <-chan time.Time
	if opt.Duration > 0 {
		timeout = time.After(opt.Duration)
	}
	stop := func(why string) {
		w.snapshot()
		w.ended(why)
		sig := opt.StopSignal
		if sig == 0 {
			sig = syscall.SIGTERM
		}
		grace := opt.Grace
		if grace == 0 {
			grace = 10 * time.Second
		}
		cmd.Process.Signal(sig)
		select {
		case <-exited:
		case <-time.After(grace):
			fmt.Fprintf(warnings, "fsviews learn: the daemon did not stop within %v of %v: killing it\n", grace, sig)
		}
	}
	select {
	case <-exited:
		w.ended(fmt.Sprintf("the daemon exited by itself (%v)", exitText(waitErr)))
	case s := <-sigs:
		stop(fmt.Sprintf("fsviews learn was interrupted (%v) and stopped the daemon", s))
	case <-timeout:
		stop(fmt.Sprintf("the learning run ended after --duration %v and stopped the daemon", opt.Duration))
	}
	// Whatever the daemon forked dies with it: the run is over.
	killAll()
	<-exited
	reapAll()
	close(done)
	wg.Wait()
	unix.Close(listener)

	if !w.didStart() {
		return fmt.Errorf("%s did not start (the message above says why); nothing was learned", opt.Command[0])
	}
	changes, err := upperChanges(lower)
	if err != nil {
		return err
	}
	obs := w.observations(opt, changes)
	if err := json.NewEncoder(out).Encode(obs); err != nil {
		return fmt.Errorf("write the observations: %w", err)
	}
	return out.Close()
}

func exitText(err error) string {
	if err == nil {
		return "status 0"
	}
	return err.Error()
}

// buildView makes the learning view at merged and returns a handle on the
// host's root file system alone (no submounts), which is the overlay's
// lower layer: upperChanges asks it what the host has.
func buildView() (lower int, err error) {
	// Nothing below may reach the host's mount table.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return -1, &os.PathError{Op: "make / rprivate", Path: "/", Err: err}
	}
	// The lower layer is a copy of the root mount alone, read-only and
	// noatime: overlayfs never writes to a lower layer, and with this
	// the mount it reads the host through could not either (no access
	// times, no writes).
	lower, err = unix.OpenTree(unix.AT_FDCWD, "/", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return -1, &os.PathError{Op: "open_tree", Path: "/", Err: err}
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOATIME | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV,
		Attr_clr: unix.MOUNT_ATTR__ATIME}
	if err := unix.MountSetattr(lower, "", unix.AT_EMPTY_PATH, attr); err != nil {
		return -1, &os.PathError{Op: "mount_setattr ro,noatime", Path: "/", Err: err}
	}
	// This PID namespace's own /proc, for /proc/PID/mem and status.
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return -1, &os.PathError{Op: "mount proc", Path: "/proc", Err: err}
	}
	if err := unix.Mount("fsviews-learn", scratch, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0700"); err != nil {
		return -1, &os.PathError{Op: "mount tmpfs", Path: scratch, Err: err}
	}
	for _, d := range []string{lowerAt, upper, work, merged} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return -1, err
		}
	}
	if err := unix.MoveMount(lower, "", unix.AT_FDCWD, lowerAt, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return -1, &os.PathError{Op: "move_mount (the overlay's lower layer)", Path: lowerAt, Err: err}
	}
	// index, redirect_dir and metacopy off: the upper layer then holds
	// plain copies, and overlayfs writes no xattr anywhere but upper.
	data := "lowerdir=" + lowerAt + ",upperdir=" + upper + ",workdir=" + work + ",index=off,redirect_dir=off,metacopy=off"
	if err := unix.Mount("overlay", merged, "overlay", 0, data); err != nil {
		return -1, &os.PathError{Op: "mount overlay (" + data + ")", Path: merged, Err: err}
	}
	// /proc and /dev as a profile's [proc] and [dev] give them. Their
	// mountpoints exist in the lower layer: nothing is created in upper.
	if err := unix.Mount("proc", merged+"/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return -1, &os.PathError{Op: "mount proc", Path: merged + "/proc", Err: err}
	}
	// Host-wide settings stay read-only, as in a jail's [proc].
	for _, p := range procReadOnly() {
		if _, err := os.Stat(merged + p); errors.Is(err, os.ErrNotExist) {
			continue // not in this kernel
		}
		if err := bindReadOnly(merged + p); err != nil {
			return -1, err
		}
	}
	dev := merged + "/dev"
	if err := unix.Mount("fsviews-learn-dev", dev, "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "mode=0755"); err != nil {
		return -1, &os.PathError{Op: "mount tmpfs", Path: dev, Err: err}
	}
	for _, n := range devNodes {
		p := dev + "/" + n
		if err := os.WriteFile(p, nil, 0o666); err != nil {
			return -1, err
		}
		if err := unix.Mount("/dev/"+n, p, "", unix.MS_BIND, ""); err != nil {
			return -1, &os.PathError{Op: "bind /dev/" + n, Path: p, Err: err}
		}
	}
	for _, d := range []string{"pts", "shm"} {
		if err := os.Mkdir(dev+"/"+d, 0o755); err != nil {
			return -1, err
		}
	}
	if err := unix.Mount("devpts", dev+"/pts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620"); err != nil {
		return -1, &os.PathError{Op: "mount devpts", Path: dev + "/pts", Err: err}
	}
	if err := unix.Mount("fsviews-learn-shm", dev+"/shm", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777"); err != nil {
		return -1, &os.PathError{Op: "mount tmpfs", Path: dev + "/shm", Err: err}
	}
	for name, to := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx"} {
		if err := os.Symlink(to, dev+"/"+name); err != nil {
			return -1, err
		}
	}
	return lower, nil
}

// procReadOnly are the host-wide settings in /proc.
func procReadOnly() []string { return []string{"/proc/sys", "/proc/sysrq-trigger"} }

// bindReadOnly makes p a read-only bind of itself.
func bindReadOnly(p string) error {
	if err := unix.Mount(p, p, "", unix.MS_BIND, ""); err != nil {
		return &os.PathError{Op: "bind", Path: p, Err: err}
	}
	if err := unix.Mount("", p, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return &os.PathError{Op: "remount read-only", Path: p, Err: err}
	}
	return nil
}

// watchMounts are the mounts whose file events are reported: the overlay,
// /proc and /dev with its devices.
func watchMounts() []string {
	m := []string{merged, merged + "/proc", merged + "/dev", merged + "/dev/shm", merged + "/dev/pts"}
	for _, p := range procReadOnly() {
		if _, err := os.Stat(merged + p); err == nil {
			m = append(m, merged+p)
		}
	}
	for _, n := range devNodes {
		m = append(m, merged+"/dev/"+n)
	}
	return m
}

// fanMask: opens (files and directories), executions and writes.
const fanMask = unix.FAN_OPEN | unix.FAN_OPEN_EXEC | unix.FAN_MODIFY | unix.FAN_CLOSE_WRITE | unix.FAN_ONDIR

// watchFiles returns a fanotify group that reports every open, exec and
// write on the learning view's mounts, with a file descriptor per event
// whose path /proc/self/fd names.
func watchFiles() (int, error) {
	fd, err := unix.FanotifyInit(unix.FAN_CLASS_NOTIF|unix.FAN_CLOEXEC|unix.FAN_NONBLOCK|unix.FAN_UNLIMITED_QUEUE,
		unix.O_RDONLY|unix.O_LARGEFILE|unix.O_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("fanotify_init: %w (the kernel needs CONFIG_FANOTIFY)", err)
	}
	for _, m := range watchMounts() {
		if err := unix.FanotifyMark(fd, unix.FAN_MARK_ADD|unix.FAN_MARK_MOUNT, fanMask, unix.AT_FDCWD, m); err != nil {
			unix.Close(fd)
			return -1, &os.PathError{Op: "fanotify_mark", Path: m, Err: err}
		}
	}
	return fd, nil
}

// takeListener fetches the seccomp listener the exec stage made: the
// stage cannot send it (every syscall after the filter waits for the
// listener), so it is taken from its fd table with pidfd_getfd.
func takeListener(pid int, exited <-chan struct{}) (int, error) {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return -1, fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	defer unix.Close(pidfd)
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited:
			return -1, fmt.Errorf("the daemon's stage exited before it installed its seccomp filter (its message is above)")
		default:
		}
		fdDir := fmt.Sprintf("/proc/%d/fd", pid)
		entries, _ := os.ReadDir(fdDir)
		for _, e := range entries {
			if l, _ := os.Readlink(fdDir + "/" + e.Name()); l == "anon_inode:seccomp notify" {
				var n int
				fmt.Sscan(e.Name(), &n)
				fd, err := unix.PidfdGetfd(pidfd, n, 0)
				if err != nil {
					return -1, fmt.Errorf("pidfd_getfd of the seccomp listener of %d: %w", pid, err)
				}
				return fd, nil
			}
		}
		if time.Now().After(deadline) {
			return -1, fmt.Errorf("the daemon's stage made no seccomp listener within 30s")
		}
		time.Sleep(time.Millisecond)
	}
}

// killAll kills every process of the learning PID namespace but this one.
func killAll() { unix.Kill(-1, unix.SIGKILL) }

// reapAll waits for the orphans that PID 1 inherited.
func reapAll() {
	for {
		var ws unix.WaitStatus
		if pid, err := unix.Wait4(-1, &ws, 0, nil); pid <= 0 || err != nil {
			return
		}
	}
}

// upperChanges walks the upper layer. lower is the host's root file
// system alone, to tell created entries from copied-up ones.
func upperChanges(lower int) ([]Change, error) {
	var out []Change
	err := filepath.WalkDir(upper, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == upper {
			return nil
		}
		rel := strings.TrimPrefix(p, upper)
		c := Change{Path: rel}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFREG:
			c.Kind = "file"
		case unix.S_IFDIR:
			c.Kind = "dir"
		case unix.S_IFLNK:
			c.Kind = "symlink"
		case unix.S_IFSOCK:
			c.Kind = "socket"
		case unix.S_IFCHR:
			if st.Rdev == 0 {
				c.Kind = "deleted" // an overlayfs whiteout
			} else {
				c.Kind = "other"
			}
		default:
			c.Kind = "other"
		}
		var hst unix.Stat_t
		c.New = unix.Fstatat(lower, strings.TrimPrefix(rel, "/"), &hst, unix.AT_SYMLINK_NOFOLLOW) != nil
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the learning view's upper layer: %w", err)
	}
	return out, nil
}
