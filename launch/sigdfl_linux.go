package launch

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// resetIgnoredSignals sets every signal this process ignores back to its
// default action, as systemd does for a service: an ignored signal stays
// ignored across execve, and a POSIX shell cannot even trap one it was
// started with ignored. The Go runtime keeps SIGHUP and SIGINT ignored
// when its caller ignored them (nohup, a shell's background job), so
// without this a daemon started under `nohup fsviews run` could never be
// told to reload with SIGHUP. Caught signals need nothing: execve resets
// their handlers itself.
func resetIgnoredSignals() error {
	ignored, err := ignoredSignals()
	if err != nil {
		return err
	}
	var dfl [4]uint64 // struct kernel_sigaction, all zero: SIG_DFL, no flags, empty mask
	for _, sig := range ignored {
		if err := sigaction(sig, &dfl, nil); err != nil {
			return fmt.Errorf("rt_sigaction(%d, SIG_DFL): %w", sig, err)
		}
	}
	return nil
}

// ignoredSignals lists the signals this process ignores. A child forked
// from it ignores the same ones (the Go runtime's fork resets only the
// signals it handles), so fsviews' init works out its daemon's list here.
func ignoredSignals() ([]unix.Signal, error) {
	ignored, _, err := signalDispositions()
	return ignored, err
}

// signalDispositions lists the signals this process ignores and those it
// catches (the Go runtime's handlers), of all but SIGKILL and SIGSTOP.
func signalDispositions() (ignored, caught []unix.Signal, err error) {
	for sig := unix.Signal(1); sig <= 64; sig++ {
		if sig == unix.SIGKILL || sig == unix.SIGSTOP {
			continue
		}
		var old [4]uint64
		if err := sigaction(sig, nil, &old); err != nil {
			return nil, nil, fmt.Errorf("rt_sigaction(%d): %w", sig, err)
		}
		switch old[0] {
		case 0: // SIG_DFL
		case 1: // SIG_IGN
			ignored = append(ignored, sig)
		default:
			caught = append(caught, sig)
		}
	}
	return ignored, caught, nil
}

// sigaction is rt_sigaction(2) with the kernel's struct (handler, flags,
// restorer, mask): the Go runtime's own is not exported.
func sigaction(sig unix.Signal, act, old *[4]uint64) error {
	_, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), 8, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
