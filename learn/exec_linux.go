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
)

// Environ is the daemon's environment while learning: what a profile
// gives it by default ([env] clear, PATH, and base/libc's LANG), so that
// it behaves as it will in its jail.
var Environ = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"}

// ExecStage is StageExec: args are the working directory and the
// command. It enters the learning view, installs the notifying seccomp
// filter and becomes the daemon; it returns only on failure.
func ExecStage(args []string) int {
	if err := execStage(args); err != nil {
		fmt.Fprintf(os.Stderr, "fsviews learn: %v\n", err)
		return 127
	}
	return 0
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
	if ids != "" {
		if err := becomeUser(ids); err != nil {
			return err
		}
	}
	// The jail sets no_new_privs; learn under it too.
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
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
	err := syscall.Exec(argv[0], argv, Environ)
	return &os.PathError{Op: "execve", Path: argv[0], Err: err}
}

// becomeUser switches to "UID:GID" with that group alone, as a profile's
// [security] user does. The Go runtime applies set*id to every thread.
func becomeUser(ids string) error {
	u, g, _ := strings.Cut(ids, ":")
	uid, err1 := strconv.Atoi(u)
	gid, err2 := strconv.Atoi(g)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("%w: bad UID:GID %q", bug(os.ErrInvalid), ids)
	}
	if err := syscall.Setgroups([]int{gid}); err != nil {
		return fmt.Errorf("setgroups([%d]): %w", gid, err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("setgid(%d): %w", gid, err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("setuid(%d): %w", uid, err)
	}
	return nil
}
