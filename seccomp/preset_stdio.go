package seccomp

import "sync"

// openReadOnly holds when open/openat flags ask for neither writing, creating
// nor truncating: O_ACCMODE|O_CREAT|O_TRUNC (0x3|0x40|0x200, the same on
// x86_64 and aarch64) are all clear. O_TMPFILE needs a write mode, so it is
// covered by O_ACCMODE.
func openReadOnly(flagsArg int) []Cond {
	return []Cond{{Index: flagsArg, Op: OpMaskedEq, Mask: 0x243, Value: 0}}
}

// presetStdio is pledge-like: enough for a filter program (a decoder, cat,
// gzip -d) reading stdin and writing stdout. It can open files read-only,
// because the dynamic loader must open the program's libraries; it cannot
// open files for writing, create files, make sockets, start processes or
// threads, or signal other processes. The view decides which files exist.
var presetStdio = sync.OnceValue(func() preset {
	return preset{
		name:      "stdio",
		allowlist: true,
		names: group(
			// I/O on descriptors the program already has.
			[]string{"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
				"preadv2", "pwritev2", "lseek", "close", "dup", "dup2", "dup3", "fcntl",
				"sendfile", "splice", "tee", "copy_file_range", "fadvise64"},
			// Metadata: glibc's fstat is newfstatat(fd, "", AT_EMPTY_PATH).
			[]string{"fstat", "newfstatat", "statx", "fstatfs"},
			// What ld.so and libc start-up need besides read-only opens.
			[]string{"access", "faccessat", "faccessat2", "readlink", "readlinkat",
				"arch_prctl", "set_tid_address", "set_robust_list", "rseq", "getrandom",
				"getcwd", "uname"},
			// Memory.
			[]string{"brk", "mmap", "munmap", "mprotect", "mremap", "madvise"},
			// Exec (the filter is installed before exec) and exit.
			[]string{"execve", "exit", "exit_group"},
			// Own identity and signals to oneself only through the handlers.
			[]string{"getpid", "gettid", "getuid", "geteuid", "getgid", "getegid",
				"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "restart_syscall"},
			// Time and waiting.
			[]string{"clock_gettime", "clock_getres", "clock_nanosleep", "gettimeofday", "time",
				"nanosleep", "futex", "sched_yield", "poll", "ppoll", "select", "pselect6"},
		),
		// openat2 passes its flags in a struct seccomp cannot read; clone3 too.
		enosys: []string{"openat2", "clone3"},
		rules: []presetRule{
			ownLimitsOnly(true),
			{syscall: "open", allow: true, args: openReadOnly(1)},
			{syscall: "openat", allow: true, args: openReadOnly(2)},
			// Terminal queries only: isatty (TCGETS), window size, bytes
			// readable, close-on-exec.
			{syscall: "ioctl", allow: true, args: []Cond{{Index: 1, Op: OpEq, Value: 0x5401}}}, // TCGETS
			{syscall: "ioctl", allow: true, args: []Cond{{Index: 1, Op: OpEq, Value: 0x5413}}}, // TIOCGWINSZ
			{syscall: "ioctl", allow: true, args: []Cond{{Index: 1, Op: OpEq, Value: 0x541b}}}, // FIONREAD
			{syscall: "ioctl", allow: true, args: []Cond{{Index: 1, Op: OpEq, Value: 0x5450}}}, // FIONCLEX
			{syscall: "ioctl", allow: true, args: []Cond{{Index: 1, Op: OpEq, Value: 0x5451}}}, // FIOCLEX
		},
	}
})
