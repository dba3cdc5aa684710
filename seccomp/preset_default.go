package seccomp

import "sync"

// presetDefault is a denylist: everything runs except the well-known dangerous
// set, in the spirit of docker's default profile. Refused syscalls get the
// spec's default action (EPERM unless set); clone3 and syscalls newer than the
// table get ENOSYS so libc falls back to calls the filter can check.
var presetDefault = sync.OnceValue(func() preset {
	return preset{
		name: "default",
		names: group(
			// Mounts and the root: a jail that can mount can undo its view. The new
			// mount API is listed too: denylists that missed it were a real escape.
			[]string{"mount", "umount", "umount2", "pivot_root"},
			[]string{"fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "open_tree_attr", "mount_setattr"},
			// Namespaces: a new user namespace grants the capabilities the jail dropped.
			// clone is refused, then allowed by a rule below when it makes no namespace.
			[]string{"unshare", "setns", "clone"},
			// Kernel code and kernel-wide state.
			[]string{"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
				"create_module", "query_module", "get_kernel_syms", "bpf", "iopl", "ioperm",
				"swapon", "swapoff", "reboot", "acct", "quotactl", "quotactl_fd", "syslog",
				"vhangup", "nfsservctl", "_sysctl", "sysfs", "uselib", "ustat", "lookup_dcookie"},
			// Clocks are host-wide (there is no time namespace for settimeofday).
			[]string{"settimeofday", "stime", "clock_settime", "clock_adjtime", "adjtimex"},
			// Other processes: reading or writing their memory, comparing their
			// kernel objects, stealing their fds, moving their pages.
			[]string{"ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
				"process_madvise", "move_pages", "migrate_pages"},
			// Observation with a long CVE history: perf events, userfaultfd (turns
			// kernel races into reliable exploits).
			[]string{"perf_event_open", "userfaultfd"},
			// The kernel keyring is not namespaced.
			[]string{"keyctl", "add_key", "request_key"},
			// File handles bypass the view: open_by_handle_at opened files outside a
			// container's root ("shocker").
			[]string{"open_by_handle_at", "name_to_handle_at"},
			// io_uring performs opens, reads and socket operations without entering
			// the syscalls this filter checks, so it would bypass every rule.
			[]string{"io_uring_setup", "io_uring_enter", "io_uring_register"},
			// vm86 mode on i386: unused, and a source of kernel bugs.
			[]string{"vm86", "vm86old"},
			// personality is refused except for the safe values allowed below.
			[]string{"personality"},
		),
		// clone3 passes its flags in a struct in memory, which seccomp cannot read,
		// so a namespace flag would pass unseen; ENOSYS makes glibc use clone.
		enosys: []string{"clone3", "openat2"},
		rules: append(noSetID(), []presetRule{
			// TIOCSTI pushes input into the controlling terminal (a jailed process
			// typing commands into the admin's shell); TIOCLINUX can do the same on
			// a virtual console. The command is an unsigned int: see int32Args.
			{syscall: "ioctl", args: []Cond{{Index: 1, Op: OpEq, Value: 0x5412}}}, // TIOCSTI
			{syscall: "ioctl", args: []Cond{{Index: 1, Op: OpEq, Value: 0x541c}}}, // TIOCLINUX
			{syscall: "clone", allow: true, args: cloneWithoutNamespaces},
			ownLimitsOnly(false),
			// The personality values docker allows: PER_LINUX, PER_LINUX32,
			// UNAME26, PER_LINUX32|UNAME26 and 0xffffffff (query). Others can
			// enable READ_IMPLIES_EXEC or ADDR_NO_RANDOMIZE for a later exec.
			{syscall: "personality", allow: true, args: []Cond{{Index: 0, Op: OpEq, Value: 0x0}}},
			{syscall: "personality", allow: true, args: []Cond{{Index: 0, Op: OpEq, Value: 0x8}}},
			{syscall: "personality", allow: true, args: []Cond{{Index: 0, Op: OpEq, Value: 0x20000}}},
			{syscall: "personality", allow: true, args: []Cond{{Index: 0, Op: OpEq, Value: 0x20008}}},
			{syscall: "personality", allow: true, args: []Cond{{Index: 0, Op: OpEq, Value: 0xffffffff}}},
		}...),
	}
})
