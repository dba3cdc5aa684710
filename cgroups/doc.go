// Package cgroups gives one jail a cgroup of its own: it finds where the
// controllers a profile needs are mounted, creates the jail's cgroup below
// the caller's own in each hierarchy, writes the limits, moves the jail's
// first process into it (its children follow) and removes it when the jail
// has ended.
//
// cgroup v2 is preferred for every controller its unified hierarchy offers;
// on a hybrid host (v1 hierarchies for pids, memory and cpu, a cgroup2 mount
// with few controllers) the v1 hierarchy of each missing controller is used
// instead, with the v1 files (memory.limit_in_bytes, cpu.cfs_quota_us...).
//
// Contract: Create either returns a Group holding every limit asked for, or
// an error naming the controller and why it cannot be applied, and leaves
// nothing behind. Layout (Discover) and the parsers are pure and tested on
// fixtures; the rest writes to cgroupfs and needs root or a delegated
// subtree.
package cgroups
