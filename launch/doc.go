// Package launch runs a plan: it enters new namespaces, builds the view,
// pivots into it, sets rlimits, drops privileges, enforces Landlock and the
// seccomp filter (confine_linux.go) and executes the daemon.
//
// Without a PID namespace fsviews does not stay behind as a supervisor: the whole sequence runs in
// the fsviews process itself, on one locked OS thread, and ends in execve.
// The daemon therefore is the process its caller started — systemd's main
// PID, the shell's child — and sees its own exit status, signals, stdio and
// sockets exactly as it would without fsviews.
//
// This works because namespaces, the root directory, credentials and
// capabilities belong to a thread in Linux: unshare(CLONE_NEWNS) on the
// locked thread gives only that thread the new mount namespace (the Go
// runtime's other threads stay in the host's and never see the view), and
// execve from that thread makes its namespaces and credentials the whole
// process's. The Go runtime starts new threads from a clean template thread
// while a goroutine is locked, so no thread inherits a half-built view.
//
// With a PID namespace ([namespaces] pid) the same steps run in a child
// that is PID 1 of the new namespace (jail_linux.go), and fsviews stays
// as a supervisor (supervise_linux.go); PID 1 either becomes the daemon
// (execDaemon) or fsviews' init (init_linux.go), which starts it with no
// Go runtime of its own (spawn_linux.go): a child that shares the init's
// memory until its execve (clone with CLONE_VM; a fork in race builds
// and on architectures without the trampoline). enter and the privilege drop
// (privs.Plan) are shared by every path. docs/systemd.md describes the
// process models.
//
// The supervised model's processes and what crosses between them, in
// order (the one place that lists them):
//
//	supervisor (fsviews run)        PID 1 (fsviews __jail FD)        daemon
//	clone(new namespaces) + exec ->
//	register the jail (PID 1's PID)
//	job (binary: plan, env, ...) -> on fd FD; builds the view
//	                           <--- "open" on fd FD+1: signals may come
//	                                clone (CLONE_VM) -------------> runs the drop
//	                                drops its own privileges          waits for
//	                                go byte ----------------------->  the byte,
//	                                (or the failed step + errno <---  execs
//	                                 on a close-on-exec pipe)
//	                           <--- "exit N" / "signal N" when the daemon ends,
//	                                or "error CODE MESSAGE" when it never ran
//	forwards signals to PID 1; PID 1 forwards them to the daemon and
//	reaps every orphan; the supervisor ends as the daemon ended.
//
// With as_pid_1, PID 1 execs the daemon itself after the job, and its
// status pipe closes at that execve. The notify relay (notify_linux.go)
// is the supervisor's alone: a socket in the view, read outside.
//
// Contract: in place, Exec returns only on failure, and a failure leaves nothing
// behind: every mount lives in the private namespace, which dies with the
// process. Host-side effects are limited to creating state dirs.
package launch
