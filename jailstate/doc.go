// Package jailstate takes manifests of a jail's writable state, as its plan
// describes it, and compares them.
//
// The writable state of a jail is every state dir and read-write bind, read
// at its host path (the jail cannot redirect the host side of a bind), plus,
// while the jail runs, every tmpfs and a writable root tmpfs, read through
// /proc/PID/root with audit.OpenViewPath: resolved beneath the jail's root,
// no symlink followed. Read-only binds, /proc and devpts are not state.
//
// A jail that is not running (a baseline taken before its first start, or
// after it stopped) has no tmpfs left: its manifest covers the host-side
// roots only and is marked audit.Manifest.Stopped. [Compare] then leaves
// the tmpfs roots out of the comparison, saying so, rather than report
// their whole content as added or removed.
package jailstate
