//go:build !race

// The race detector's build is left out: the ABI wrapper the assembly
// calls daemonChild through reports to the race detector with the init's
// goroutine's state, which a child sharing the memory would corrupt. It
// forks (spawn_linux_other.go).

package launch

import (
	"errors"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// cloneVM is clone(2) with flags and a stack for the child, which calls
// daemonChild(s) on it and never returns (spawn_linux_amd64.s).
func cloneVM(flags, stack uintptr, s *spawnJob) (pid uintptr, errno syscall.Errno)

// childStack is the daemon child's stack. daemonChild and all it calls
// are nosplit, and the linker refuses a chain of nosplit calls that could
// use more than its nosplit limit (under 1 KiB): plenty, with room.
const childStack = 64 << 10

// cloneDaemon starts the daemon's child sharing this process's memory
// (CLONE_VM, without CLONE_VFORK) on a stack of its own. A fork copied the
// page tables of the whole Go runtime, and each process then paid a
// copy-on-write fault, with a TLB shootdown across the init's threads, for
// every page it wrote before the child's execve: the init's privilege drop
// and the child's own steps, on the jail's critical path; perf put ~0.6 ms
// of PID 1's CPU a start there (docs/performance.md). The child writes
// only to its stack, the PID slots and the go byte, none of which the
// init reads or frees before the child has executed the daemon or been
// reaped; the init runs on.
//
//go:noinline
//go:norace
//go:nocheckptr
func cloneDaemon(s *spawnJob) (int, syscall.Errno) {
	stack, err := unix.Mmap(-1, 0, childStack, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_STACK)
	if err != nil {
		var errno syscall.Errno
		if errors.As(err, &errno) {
			return 0, errno
		}
		return 0, syscall.ENOMEM
	}
	s.stack = stack
	top := uintptr(unsafe.Pointer(&stack[0])) + childStack
	runtime_BeforeFork()
	pid, e := cloneVM(uintptr(syscall.SIGCHLD)|unix.CLONE_VM, top, s)
	runtime_AfterFork()
	return int(pid), e
}
