// Package privs drops what a daemon does not need: capabilities (all five
// sets), the identity it runs as, and the ability to gain privileges.
//
// Credentials in Linux belong to a thread, not a process, and the calling
// goroutine must be locked to its OS thread: Apply changes that thread
// only (raw setresuid, setresgid, setgroups, capset and prctl), which is
// what the following execve passes on. The Go runtime's own Setuid and
// friends would change every thread, which is slower and pointless here
// since execve discards the other threads.
package privs

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/caps"
)

// Set is what the daemon keeps.
type Set struct {
	UID, GID   int // -1 keeps the caller's
	Caps       []string
	NoNewPrivs bool
	LastCap    int // /proc/sys/kernel/cap_last_cap, read before pivot_root
}

// Apply drops to s on the calling thread. Order matters: the bounding set
// can only shrink while CAP_SETPCAP is held, so it goes first; KEEPCAPS
// keeps the permitted set across the uid change; capset then trims
// effective, permitted and inheritable to the kept set; ambient caps make
// a non-root daemon keep them across execve; no_new_privs comes last.
func Apply(s Set) error {
	var keep [2]uint32
	kept := map[int]bool{}
	for _, name := range s.Caps {
		n, _, err := caps.Parse(name)
		if err != nil {
			return err
		}
		if n > s.LastCap {
			return fmt.Errorf("capability %s is not known to this kernel (last is %d): remove it from the profile", name, s.LastCap)
		}
		kept[n] = true
		keep[n/32] |= 1 << (n % 32)
	}
	for n := 0; n <= s.LastCap; n++ {
		if !kept[n] {
			if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(n), 0, 0, 0); err != nil {
				return fmt.Errorf("drop %s from the bounding set: %w", caps.Name(n), err)
			}
		}
	}
	if s.UID >= 0 {
		if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("prctl PR_SET_KEEPCAPS: %w", err)
		}
		groups := []uint32{uint32(s.GID)}
		if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, 1, uintptr(unsafe.Pointer(&groups[0])), 0); e != 0 {
			return fmt.Errorf("setgroups [%d]: %w", s.GID, e)
		}
		if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(s.GID), uintptr(s.GID), uintptr(s.GID)); e != 0 {
			return fmt.Errorf("setresgid %d: %w", s.GID, e)
		}
		if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(s.UID), uintptr(s.UID), uintptr(s.UID)); e != 0 {
			return fmt.Errorf("setresuid %d: %w", s.UID, e)
		}
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := [2]unix.CapUserData{
		{Effective: keep[0], Permitted: keep[0], Inheritable: keep[0]},
		{Effective: keep[1], Permitted: keep[1], Inheritable: keep[1]},
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	for n := range kept {
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(n), 0, 0); err != nil {
			return fmt.Errorf("raise ambient %s: %w", caps.Name(n), err)
		}
	}
	if s.UID >= 0 {
		if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
			return fmt.Errorf("prctl PR_SET_KEEPCAPS off: %w", err)
		}
	}
	if s.NoNewPrivs {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("prctl PR_SET_NO_NEW_PRIVS: %w", err)
		}
	}
	return nil
}

// HasSysAdmin reports whether the calling thread holds CAP_SYS_ADMIN in
// its effective set, which building a mount namespace needs.
func HasSysAdmin() (bool, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false, fmt.Errorf("capget: %w", err)
	}
	const sysAdmin = 21
	return data[0].Effective&(1<<sysAdmin) != 0, nil
}
