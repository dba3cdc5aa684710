// Package views compiles a validated profile into a Plan: the flat,
// ordered list of operations that builds the filesystem view, plus the
// settings applied after pivot_root (workdir, identity, capabilities,
// environment, command).
//
// Contract: Compile is pure and deterministic. Parents come before
// children (targets are sorted, and every directory the tmpfs root lacks
// gets an explicit mkdir), the read-only remount of the root comes last,
// and the same profile always yields the same plan, so `fsviews plan`
// shows exactly what `fsviews run` will do and tests compare plans with
// saved output.
package views
