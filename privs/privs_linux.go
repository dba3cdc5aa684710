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
	"runtime"
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

// Call is one raw system call of a Drop.
type Call struct {
	Trap, A1, A2, A3 uintptr
	What             string // for the error: "setresuid 33", "drop CAP_SYS_ADMIN from the bounding set"
}

// Drop is the ordered sequence of raw system calls that drops a thread to
// a Set: the one privilege path of every process model. In place, Apply
// runs it on the locked thread that then execs the daemon; fsviews' init
// runs it, unchanged, in the child it starts for the daemon, which may call
// no Go code but raw system calls (launch/spawn_linux.go). The pointers in
// Calls point into the Drop, which must stay alive while they run: that
// child shares the init's memory, and runs them while the init goes on.
type Drop struct {
	Calls  []Call
	groups [1]uint32
	hdr    unix.CapUserHeader
	data   [2]unix.CapUserData
}

// Plan works out the Drop for s. Order matters: the bounding set can only
// shrink while CAP_SETPCAP is held, so it goes first; KEEPCAPS keeps the
// permitted set across the uid change; capset then trims effective,
// permitted and inheritable to the kept set; ambient caps make a non-root
// daemon keep them across execve; no_new_privs comes last.
func Plan(s Set) (*Drop, error) {
	var keep [2]uint32
	kept := map[int]bool{}
	var order []int
	for _, name := range s.Caps {
		n, _, err := caps.Parse(name)
		if err != nil {
			return nil, err
		}
		if n > s.LastCap {
			return nil, fmt.Errorf("capability %s is not known to this kernel (last is %d): remove it from the profile", name, s.LastCap)
		}
		if !kept[n] {
			order = append(order, n)
		}
		kept[n] = true
		keep[n/32] |= 1 << (n % 32)
	}
	d := &Drop{}
	add := func(what string, trap, a1, a2, a3 uintptr) {
		d.Calls = append(d.Calls, Call{Trap: trap, A1: a1, A2: a2, A3: a3, What: what})
	}
	for n := 0; n <= s.LastCap; n++ {
		if !kept[n] {
			add("drop "+caps.Name(n)+" from the bounding set", unix.SYS_PRCTL, unix.PR_CAPBSET_DROP, uintptr(n), 0)
		}
	}
	if s.UID >= 0 {
		d.groups[0] = uint32(s.GID)
		add("prctl PR_SET_KEEPCAPS", unix.SYS_PRCTL, unix.PR_SET_KEEPCAPS, 1, 0)
		add(fmt.Sprintf("setgroups [%d]", s.GID), unix.SYS_SETGROUPS, 1, uintptr(unsafe.Pointer(&d.groups[0])), 0)
		add(fmt.Sprintf("setresgid %d", s.GID), unix.SYS_SETRESGID, uintptr(s.GID), uintptr(s.GID), uintptr(s.GID))
		add(fmt.Sprintf("setresuid %d", s.UID), unix.SYS_SETRESUID, uintptr(s.UID), uintptr(s.UID), uintptr(s.UID))
	}
	d.hdr = unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	d.data = [2]unix.CapUserData{
		{Effective: keep[0], Permitted: keep[0], Inheritable: keep[0]},
		{Effective: keep[1], Permitted: keep[1], Inheritable: keep[1]},
	}
	add("capset", unix.SYS_CAPSET, uintptr(unsafe.Pointer(&d.hdr)), uintptr(unsafe.Pointer(&d.data[0])), 0)
	add("clear ambient capabilities", unix.SYS_PRCTL, unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0)
	for _, n := range order {
		add("raise ambient "+caps.Name(n), unix.SYS_PRCTL, unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(n))
	}
	if s.UID >= 0 {
		add("prctl PR_SET_KEEPCAPS off", unix.SYS_PRCTL, unix.PR_SET_KEEPCAPS, 0, 0)
	}
	if s.NoNewPrivs {
		add("prctl PR_SET_NO_NEW_PRIVS", unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0)
	}
	return d, nil
}

// Apply drops the calling thread to s (see Plan and the package comment).
func Apply(s Set) error {
	d, err := Plan(s)
	if err != nil {
		return err
	}
	for _, c := range d.Calls {
		if _, _, e := unix.RawSyscall(c.Trap, c.A1, c.A2, c.A3); e != 0 {
			return fmt.Errorf("%s: %w", c.What, e)
		}
	}
	runtime.KeepAlive(d)
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
	return data[0].Effective&(1<<unix.CAP_SYS_ADMIN) != 0, nil
}
