package seccomp

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Install loads the filter for the calling thread with seccomp(2)
// SECCOMP_SET_MODE_FILTER. See InstallWith.
func (p Program) Install() error { return p.InstallWith(0) }

// InstallWith loads the filter with the given flags. The calling thread must
// have no_new_privs set (prctl PR_SET_NO_NEW_PRIVS): otherwise a filter could
// be used to confuse a setuid program it execs, which is why the kernel
// refuses filters to unprivileged callers without it; we require it from
// every caller so that the jail never depends on fsviews' own privileges.
// Without FlagTSync the filter applies to the calling thread only: call
// runtime.LockOSThread first and execve from that thread. A filter cannot be
// removed; install it last, right before exec.
func (p Program) InstallWith(flags InstallFlags) error {
	prog, err := p.Fprog()
	if err != nil {
		return fmt.Errorf("install %w", err)
	}
	nnp, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)
	if err != nil {
		return fmt.Errorf("install seccomp filter: prctl(PR_GET_NO_NEW_PRIVS): %w", err)
	}
	if nnp != 1 {
		return errors.New("install seccomp filter: no_new_privs is not set on this thread: call prctl(PR_SET_NO_NEW_PRIVS, 1) first, on the same locked OS thread")
	}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flags), uintptr(unsafe.Pointer(prog)))
	runtime.KeepAlive(prog)
	switch {
	case errno == unix.ENOSYS:
		return fmt.Errorf("install seccomp filter: kernel lacks the seccomp(2) syscall (Linux 3.17, CONFIG_SECCOMP_FILTER): %w", errno)
	case errno == unix.EINVAL:
		return fmt.Errorf("install seccomp filter (flags %s): kernel rejects the filter or a flag (actions kill-process and log need Linux 4.14): %w", flags, errno)
	case errno != 0:
		return fmt.Errorf("install seccomp filter (%d instructions, flags %s): %w", prog.Len, flags, errno)
	case flags&FlagTSync != 0 && r != 0:
		// With TSYNC, a positive return is the id of a thread whose own
		// filters diverge, so the filter could not be applied everywhere.
		return fmt.Errorf("install seccomp filter: thread %d could not be synchronised (its filters differ from this thread's)", r)
	}
	return nil
}

// Fprog returns the filter as the struct seccomp(2) takes, for a caller
// that must install it with a raw system call: fsviews' init installs it
// in the child it forks for the daemon, where no Go code but raw system
// calls may run. The struct points into memory it keeps alive.
func (p Program) Fprog() (*unix.SockFprog, error) {
	if len(p.insns) == 0 {
		return nil, errors.New("seccomp filter: empty program: compile a Spec first")
	}
	if native := NativeArch(); p.arch != native {
		return nil, fmt.Errorf("seccomp filter: program compiled for %s, but this is %s", p.arch, runtime.GOARCH)
	}
	filter := make([]unix.SockFilter, len(p.insns))
	for i, in := range p.insns {
		filter[i] = unix.SockFilter{Code: in.Op, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	return &unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}, nil
}

// Available reports whether the kernel can enforce seccomp filters: nil if
// so, else an error naming the missing kernel feature.
func Available() error {
	if _, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0); err != nil {
		if errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("seccomp unavailable: kernel built without CONFIG_SECCOMP: %w", err)
		}
		return fmt.Errorf("seccomp unavailable: prctl(PR_GET_SECCOMP): %w", err)
	}
	// Asking whether kill-process is available exercises the filter mode of
	// seccomp(2) without installing anything.
	act := uint32(retKillProcess)
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_ACTION_AVAIL, 0, uintptr(unsafe.Pointer(&act)))
	switch errno {
	case 0:
		return nil
	case unix.ENOSYS:
		return fmt.Errorf("seccomp filters unavailable: kernel lacks the seccomp(2) syscall (Linux 3.17): %w", errno)
	case unix.EINVAL, unix.EOPNOTSUPP:
		return fmt.Errorf("seccomp filters unavailable: kernel lacks CONFIG_SECCOMP_FILTER or SECCOMP_RET_KILL_PROCESS (Linux 4.14): %w", errno)
	}
	return fmt.Errorf("seccomp filters unavailable: seccomp(SECCOMP_GET_ACTION_AVAIL): %w", errno)
}
