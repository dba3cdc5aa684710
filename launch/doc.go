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
// (execDaemon) or fsviews' init (init_linux.go), which forks it with no
// Go runtime of its own (spawn_linux.go). enter and the privilege drop
// (privs.Plan) are shared by every path. docs/systemd.md describes the
// process models.
//
// Contract: in place, Exec returns only on failure, and a failure leaves nothing
// behind: every mount lives in the private namespace, which dies with the
// process. Host-side effects are limited to creating state dirs.
package launch
