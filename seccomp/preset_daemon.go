package seccomp

import "sync"

// presetDaemon is an allowlist for ordinary network daemons (nginx, redis,
// postgres, python -m http.server): files, sockets, event loops, threads and
// processes, signals, time, and dropping privileges. Everything else gets the
// spec's default action. Names are the 64-bit ABIs'; with allow_i386 add the
// i386 spellings (mmap2, socketcall, ...) to allow yourself.
var presetDaemon = sync.OnceValue(func() preset {
	return preset{
		name:      "daemon",
		allowlist: true,
		names: group(
			// File descriptors and file I/O, including zero-copy paths (sendfile,
			// splice) that web servers use for static files.
			[]string{"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
				"preadv2", "pwritev2", "lseek", "open", "openat", "creat", "close", "close_range",
				"dup", "dup2", "dup3", "fcntl", "flock", "fsync", "fdatasync", "sync_file_range",
				"syncfs", "truncate", "ftruncate", "fallocate", "fadvise64", "readahead",
				"sendfile", "splice", "tee", "vmsplice", "copy_file_range", "pipe", "pipe2",
				"memfd_create"},
			// Paths and metadata; the view decides which paths exist at all.
			[]string{"stat", "fstat", "lstat", "newfstatat", "statx", "statfs", "fstatfs",
				"access", "faccessat", "faccessat2", "readlink", "readlinkat", "getdents",
				"getdents64", "getcwd", "chdir", "fchdir", "mkdir", "mkdirat", "rmdir", "unlink",
				"unlinkat", "rename", "renameat", "renameat2", "link", "linkat", "symlink",
				"symlinkat", "umask", "utime", "utimes", "utimensat", "futimesat",
				"getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr",
				"inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch"},
			// Ownership and modes: daemons chown their sockets, logs and pid files.
			[]string{"chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat"},
			// Memory, including SysV shared memory and semaphores (postgres).
			[]string{"brk", "mmap", "munmap", "mprotect", "mremap", "madvise", "msync", "mincore",
				"mlock", "mlock2", "munlock", "mlockall", "munlockall", "membarrier",
				"shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semctl", "semtimedop"},
			// Threads and processes (clone is allowed by a rule when it makes no namespace).
			[]string{"fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid",
				"set_tid_address", "set_robust_list", "get_robust_list", "rseq", "futex",
				"futex_waitv", "arch_prctl", "prctl", "restart_syscall",
				"getpid", "getppid", "gettid", "getpgrp", "getpgid", "setpgid", "getsid", "setsid",
				"pidfd_open", "pidfd_send_signal", "kill", "tkill", "tgkill"},
			// Scheduling and resources.
			[]string{"sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getparam",
				"sched_getscheduler", "sched_get_priority_max", "sched_get_priority_min",
				"getpriority", "setpriority", "ioprio_get", "ioprio_set", "getrlimit", "setrlimit",
				"getrusage", "times", "sysinfo", "uname", "getcpu"},
			// Signals.
			[]string{"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend",
				"rt_sigpending", "rt_sigtimedwait", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
				"sigaltstack", "signalfd", "signalfd4", "pause", "alarm"},
			// Time (reading it; setting the clock is not a daemon's job).
			[]string{"clock_gettime", "clock_getres", "clock_nanosleep", "gettimeofday", "time",
				"nanosleep", "getitimer", "setitimer", "timer_create", "timer_settime",
				"timer_gettime", "timer_getoverrun", "timer_delete", "timerfd_create",
				"timerfd_settime", "timerfd_gettime"},
			// Event loops.
			[]string{"epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
				"epoll_pwait2", "poll", "ppoll", "select", "pselect6", "eventfd", "eventfd2"},
			// Sockets; the network namespace decides what they can reach.
			[]string{"socket", "socketpair", "bind", "listen", "accept", "accept4", "connect",
				"getsockname", "getpeername", "sendto", "recvfrom", "sendmsg", "recvmsg",
				"sendmmsg", "recvmmsg", "shutdown", "setsockopt", "getsockopt"},
			// Identity: daemons start as root and drop to their own user.
			[]string{"getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups",
				"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
				"setfsuid", "setfsgid", "capget", "capset"},
			// Randomness; restricting oneself further is always fine.
			[]string{"getrandom", "seccomp", "landlock_create_ruleset", "landlock_add_rule",
				"landlock_restrict_self"},
			// ioctl is allowed except the terminal-injecting commands refused below.
			[]string{"ioctl"},
		),
		// clone3 hides its flags from seccomp: ENOSYS makes glibc fall back to clone.
		enosys: []string{"clone3"},
		rules: append(noSetID(), []presetRule{
			{syscall: "clone", allow: true, args: cloneWithoutNamespaces},
			ownLimitsOnly(true),
			{syscall: "ioctl", args: []Cond{{Index: 1, Op: OpEq, Value: 0x5412}}}, // TIOCSTI
			{syscall: "ioctl", args: []Cond{{Index: 1, Op: OpEq, Value: 0x541c}}}, // TIOCLINUX
		}...),
	}
})
