// Package learn watches one run of a daemon and writes the profile that
// would confine it: the files it opened, executed and wrote, its sockets
// and bound ports, its uid and gid switches and its syscalls.
//
// Two halves, as elsewhere in fsviews:
//
//   - Observe (Linux, root) runs the daemon in a learning view that leaves
//     the host untouched: a new mount and PID namespace in which the host's
//     root file system is the read-only lower layer of an overlay whose
//     upper layer is a tmpfs. The daemon behaves as on the host; whatever
//     it writes lands in the tmpfs and vanishes with the namespace. It is
//     watched without ptrace: fanotify mount marks report the files it
//     opens, executes and writes (with their paths), a seccomp filter
//     returning SECCOMP_RET_USER_NOTIF reports every syscall, which the
//     watcher lets run unchanged (SECCOMP_USER_NOTIF_FLAG_CONTINUE) after
//     noting its name and, for socket, bind and the set*id family, its
//     arguments; the upper layer, walked once the daemon is gone, lists
//     what it created, changed and deleted. The result is Observations.
//   - Verify runs a learned profile with fsviews run --seccomp-log and
//     collects the kernel's seccomp records of the jail's processes.
//   - Synthesize is pure: Observations plus what the host and the bundled
//     library look like in, profile text out. Unit tests pin it with golden
//     files in testdata/.
//
// Contract: Observe writes nothing on the host (the overlay's upper layer,
// its work dir and every mount live in the learning namespace, which dies
// with it), but the daemon runs as root on the host's files, read-only, and
// shares the host's network: learning is not confinement (docs/learn.md).
package learn
