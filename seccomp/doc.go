// Package seccomp compiles a profile's syscall policy (a Spec) into a classic
// BPF seccomp program and installs it. The compiler is pure Go and makes no
// syscalls: Check and Compile run anywhere and are tested in a BPF
// interpreter over every syscall number. Install and Available are the only
// code that touches the kernel (Linux only).
//
// # Contract
//
//   - Spec.Check reports every problem at once, each with the profile key it
//     concerns ("preset", "allow[3]", "rule[2].args[1].index") and a message
//     saying how to fix it. Compile fails exactly when Check reports problems
//     (the error is a Problems), or when the program would exceed the kernel's
//     4096 instructions.
//   - Syscall names are the kernel's, lowercase ("openat", "clone3"), from
//     tables generated from golang.org/x/sys/unix (go generate). A name unknown
//     on every architecture is an error with the closest known name suggested;
//     a name that exists on another architecture only (open on arm64) is
//     skipped, so one profile serves amd64 and arm64.
//   - Program.Install needs no_new_privs already set on the calling thread and
//     applies to that thread only unless FlagTSync is given.
//
// # Semantics of a Spec
//
// A filter is an allowlist or a denylist:
//
//   - Preset "strict", "stdio" or "daemon" makes an allowlist; so does
//     Allow with Preset "none" or "". Syscalls not allowed get DefaultAction.
//   - Preset "default" makes a denylist; so does "none"/"" without Allow.
//     Syscalls not denied run.
//   - Allow adds to an allowlist preset, or un-denies in the denylist preset;
//     Deny removes from an allowlist preset, or adds to a denylist. Either
//     replaces the preset's treatment of that syscall, argument rules included
//     (allow = ["personality"] allows every personality value). A name in
//     both lists is an error.
//   - DefaultAction (default "errno", i.e. EPERM) is what every refused
//     syscall gets: those outside an allowlist, those a denylist or Deny
//     names, and those a preset's argument rules refuse. "log" therefore turns
//     any filter into an audit of what it would refuse.
//   - Rules apply on top: a rule's action applies when all its conditions
//     hold; when several hold, the most severe action wins (kill-process >
//     kill-thread > trap > errno > log > allow); when none holds, the syscall
//     gets what the lists above give it. Two rules with the same syscall and
//     conditions but different actions are an error.
//
// Two refusals are ENOSYS whatever DefaultAction says, because ENOSYS makes
// libc fall back to a syscall the filter can check: in denylists, syscall
// numbers this package's table does not know (newer syscalls, which may
// duplicate denied ones as the mount API duplicated mount); in every preset
// but "none", clone3, whose flags sit in memory seccomp cannot read (stdio
// also refuses openat2 so).
// An allowlist gives unknown numbers DefaultAction.
//
// # Presets
//
//   - "strict": read, write, exit, exit_group, rt_sigreturn, execve, and a
//     static binary's start-up (arch_prctl, set_tid_address, set_robust_list,
//     rseq, brk, munmap, mprotect, getrandom, fstat, newfstatat, prlimit64
//     with pid 0 only, mmap of anonymous memory only). A statically linked "read stdin, write
//     stdout" program runs; a dynamically linked one does not.
//   - "stdio": pledge-like, for filters such as cat, gzip -d, a decoder.
//     I/O on existing descriptors (read/write families, lseek, dup, fcntl,
//     sendfile, splice, copy_file_range), fstat/newfstatat/statx, memory
//     (brk, mmap, mprotect, munmap, mremap, madvise), signals handlers,
//     time, futex, poll/select, execve and exit, getrandom, and what the
//     dynamic loader needs: open/openat read-only only (O_ACCMODE, O_CREAT,
//     O_TRUNC clear), access/faccessat, readlink. ioctl only for TCGETS,
//     TIOCGWINSZ, FIONREAD, FIOCLEX, FIONCLEX. No writing opens, no sockets,
//     no fork or threads, no signals to other processes.
//   - "daemon": an allowlist for network daemons (nginx, redis, postgres,
//     python -m http.server): file I/O and metadata, chown/chmod, sockets,
//     epoll/poll/select, mmap family and SysV shm/sem, threads and processes
//     (fork, vfork, wait4, waitid, clone without namespace flags), signals,
//     time, timers, getrandom, prctl, the setuid family and capset (to drop
//     privileges), sendfile/splice. ioctl except TIOCSTI and TIOCLINUX;
//     prlimit64 with pid 0 only.
//   - "default": a denylist of the well-known dangerous set, as in docker's
//     default profile: mount, umount, pivot_root and the new mount API
//     (fsopen, fsconfig, fsmount, fspick, move_mount, open_tree,
//     open_tree_attr, mount_setattr); unshare, setns, clone with namespace
//     flags; kexec, module loading, bpf, perf_event_open, userfaultfd,
//     io_uring (its operations bypass syscall filtering); ptrace,
//     process_vm_readv/writev, kcmp, pidfd_getfd, process_madvise,
//     move_pages, migrate_pages; keyctl, add_key, request_key;
//     open_by_handle_at, name_to_handle_at; iopl, ioperm, swapon, swapoff,
//     reboot, acct, quotactl, syslog, vhangup, lookup_dcookie; clock setting
//     (settimeofday, clock_settime, clock_adjtime, adjtimex); ioctl TIOCSTI
//     and TIOCLINUX; personality except 0, 8, 0x20000, 0x20008 and 0xffffffff;
//     prlimit64 with a pid other than 0.
//   - "none" (or ""): nothing but the lists and rules.
//
// The allowlist presets name 64-bit syscalls; with AllowI386 add the i386
// spellings (mmap2, socketcall, ...) to Allow yourself.
//
// # Arguments
//
// Conditions compare arguments as unsigned 64-bit numbers, both 32-bit halves:
// a filter comparing only the low word can be passed by setting the high one.
// Negative values must be written in two's complement. The exception is the
// arguments the kernel declares as int (ioctl's command, socket's domain,
// open's flags, ...; see int32Args): the kernel ignores their upper 32 bits,
// so the filter compares the low word only, as libseccomp users do for
// ioctl (a 64-bit match of TIOCSTI was bypassed with garbage in the high word,
// CVE-2019-10063), and a value above 0xffffffff for them is an error.
//
// # Architectures
//
// The program first checks seccomp_data.arch. On x86_64, i386 syscalls (int
// 0x80) and x32 syscalls (number with bit 30 set) kill the process unless
// AllowI386 / AllowX32: i386 then has its own decision tree built from the
// i386 table; x32 numbers have bit 30 cleared and go through the x86_64 tree
// (the x32-only numbers 512-547 are unknown there, so they are refused).
// On arm64, 32-bit arm syscalls always kill the process.
//
// # Program shape
//
// After the arch check, a balanced binary search over runs of syscall numbers
// with the same outcome (cost log2 of the number of runs, not of syscalls);
// leaves return directly or jump to a syscall's argument checks. Syscalls
// decided by number never load an argument, so the kernel's seccomp action
// cache can skip the filter for those it allows. Jumps further than a classic
// BPF conditional jump's 8-bit offset go through a trampoline: a copy of the
// target ret, or a ja. Program.Disassemble prints the result.
package seccomp
