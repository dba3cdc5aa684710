package seccomp

import "sync"

// presetStrict is the minimum a program can exec into and still run: the
// classic seccomp strict mode (read, write, exit, sigreturn) plus what the
// kernel's execve and a static binary's libc start-up need. Dynamically
// linked programs cannot start under it (no open).
var presetStrict = sync.OnceValue(func() preset {
	return preset{
		name:      "strict",
		allowlist: true,
		names: group(
			// Strict mode proper.
			[]string{"read", "write", "exit", "exit_group", "rt_sigreturn"},
			// The exec into the program, after the filter is installed.
			[]string{"execve"},
			// Static glibc/musl start-up: TLS, thread pointer, robust futex list,
			// rseq, heap, RELRO, malloc's random seed, stdio buffering (fstat).
			[]string{"arch_prctl", "set_tid_address", "set_robust_list", "rseq", "brk",
				"munmap", "mprotect", "getrandom", "fstat", "newfstatat"},
		),
		enosys: []string{"clone3"},
		rules: []presetRule{
			ownLimitsOnly(true),
			// Anonymous memory only (MAP_ANONYMOUS = 0x20 on x86_64 and aarch64).
			{syscall: "mmap", allow: true, args: []Cond{{Index: 3, Op: OpMaskedEq, Mask: 0x20, Value: 0x20}}},
		},
	}
})
