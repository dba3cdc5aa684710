package learn

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/caps"
	"github.com/fsviews/fsviews/privs"
)

// Environ is the daemon's environment while learning: what a profile
// gives it by default ([env] clear, PATH, and base/libc's LANG), so that
// it behaves as it will in its jail.
func Environ() []string {
	return []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"}
}

// ExecStage is StageExec: args are the working directory and the
// command. It enters the learning view, installs the notifying seccomp
// filter and becomes the daemon; it returns only on failure, with the
// exit status the stage ends with.
func ExecStage(args []string) (int, error) {
	if err := execStage(args); err != nil {
		return 127, err
	}
	return 0, nil
}

func execStage(args []string) error {
	if len(args) < 3 {
		return fmt.Errorf("%w: the exec stage takes a workdir, UID:GID or \"\" and a command", bug(os.ErrInvalid))
	}
	workdir, ids, argv := args[0], args[1], args[2:]
	if workdir == "" {
		workdir = "/"
	}
	runtime.LockOSThread()
	if err := unix.Chroot(merged); err != nil {
		return &os.PathError{Op: "chroot", Path: merged, Err: err}
	}
	if err := unix.Chdir(workdir); err != nil {
		return &os.PathError{Op: "chdir (the daemon's working directory)", Path: workdir, Err: err}
	}
	set, err := learningPrivs(ids)
	if err != nil {
		return err
	}
	if err := privs.Apply(set); err != nil {
		return err
	}
	// Every syscall from here on waits until the watcher, which takes the
	// listener from this process, lets it continue.
	filter := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_USER_NOTIF}}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_NEW_LISTENER, uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(filter)
	if e != 0 {
		return fmt.Errorf("install the learning seccomp filter (SECCOMP_RET_USER_NOTIF, Linux 5.0): %w", e)
	}
	err = syscall.Exec(argv[0], argv, Environ())
	return &os.PathError{Op: "execve", Path: argv[0], Err: err}
}

// withheld are the capabilities a root daemon does not get while it
// learns: with them it could leave the learning view for the host's root
// (chroot again, /proc/1/root of the watcher, mount, a block device of
// its own) or change the host itself (modules, raw I/O, the clock, the
// network's configuration, audit, BPF). A daemon that tries such a call
// is still seen trying it: the profile says what it needed.
var withheld = map[string]bool{
	"CAP_SYS_ADMIN": true, "CAP_SYS_CHROOT": true, "CAP_SYS_PTRACE": true, "CAP_SYS_MODULE": true,
	"CAP_SYS_RAWIO": true, "CAP_MKNOD": true, "CAP_SYS_BOOT": true, "CAP_SYS_TIME": true,
	"CAP_NET_ADMIN": true, "CAP_MAC_ADMIN": true, "CAP_MAC_OVERRIDE": true, "CAP_AUDIT_CONTROL": true,
	"CAP_AUDIT_READ": true, "CAP_SYSLOG": true, "CAP_BPF": true, "CAP_PERFMON": true,
	"CAP_SYS_PACCT": true, "CAP_CHECKPOINT_RESTORE": true, "CAP_LINUX_IMMUTABLE": true,
	"CAP_SYS_TTY_CONFIG": true, "CAP_WAKE_ALARM": true, "CAP_BLOCK_SUSPEND": true,
}

// learningPrivs is what the daemon runs with while it learns: root with
// every capability fsviews holds but the withheld ones, or ("UID:GID") that user with
// none, as a profile's user without capabilities; no_new_privs as in a
// jail.
func learningPrivs(ids string) (privs.Set, error) {
	last := kernelLastCap()
	set := privs.Set{UID: -1, GID: -1, NoNewPrivs: true, LastCap: last}
	if ids != "" {
		u, g, _ := strings.Cut(ids, ":")
		uid, err1 := strconv.Atoi(u)
		gid, err2 := strconv.Atoi(g)
		if err1 != nil || err2 != nil {
			return set, fmt.Errorf("%w: bad UID:GID %q", bug(os.ErrInvalid), ids)
		}
		set.UID, set.GID = uid, gid
		return set, nil
	}
	for n := 0; n <= last; n++ {
		// Only what fsviews holds itself: its bounding set may lack some.
		if held, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(n), 0, 0, 0); err == nil && held == 1 && !withheld[caps.Name(n)] {
			set.Caps = append(set.Caps, caps.Name(n))
		}
	}
	return set, nil
}

// kernelLastCap is the highest capability number the kernel knows, as
// far as fsviews knows it: PR_CAPBSET_READ fails for numbers beyond.
func kernelLastCap() int {
	n := caps.Last()
	for n > 0 {
		if _, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(n), 0, 0, 0); err == nil {
			break
		}
		n--
	}
	return n
}
