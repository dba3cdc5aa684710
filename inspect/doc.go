// Package inspect sets what a running jail really is against what its plan
// said it would be: its live mounts (from /proc/PID/mountinfo) and what the
// kernel enforces on it (from /proc/PID/status, /proc/PID/limits and the
// /proc/PID/ns links).
//
// The comparison, [Compare], is pure: it takes a plan and the parsed /proc
// files and returns a [Report], so every rule is unit-tested from fixture
// files. Only [ReadJail] and [ReadHost] read /proc, and they read only what
// the kernel writes: nothing the jail wrote about itself is trusted.
//
// # Mounts
//
// /proc/PID/mountinfo lists mount points relative to the process's root,
// which for a jail is the view: they are view paths already. Each mount is
// one of:
//
//   - planned: a mount op of the plan (root, bind, tmpfs, state, proc,
//     /dev nodes, devpts) at that path, with every attribute the plan sets;
//     or a submount a recursive bind carried along (the host has a mount at
//     the same place below the bind's source), with the bind's attributes;
//   - changed: planned there, but an attribute is weaker than planned
//     (read-write where the plan says read-only, nosuid/nodev/noexec lost,
//     another file system type);
//   - unexpected: not in the plan, e.g. mounted into the jail's namespace
//     after start, or stacked over a planned mount;
//   - missing: planned, not mounted (an optional bind whose source was
//     absent is "skipped" instead, and is not drift).
//
// Attributes stronger than planned (read-only where the plan allows writes)
// are not drift: the source file system may itself be read-only.
//
// # Enforcement
//
// Capability sets (inheritable, permitted, effective, bounding, ambient)
// must hold no capability the plan does not keep; fewer is fine (daemons
// drop their own). NoNewPrivs must be set when planned, uid/gid/groups must
// be the planned identity, every namespace the plan creates must differ
// from the host's (PID 1's). With a seccomp filter in the plan (Plan.Seccomp)
// the jail must be in filter mode with at least one filter, and NoNewPrivs
// set; without one, a filter seen is reported but is not drift (whoever
// started fsviews may have installed it). Each planned resource limit
// (Plan.Limits) must match its row of /proc/PID/limits, by the names of
// package rlimits; the others are reported as observed. A Landlock ruleset
// is listed, but the kernel does not show it in /proc.
package inspect
