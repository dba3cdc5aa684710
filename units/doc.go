// Package units writes the systemd service unit that runs an fsviews
// profile.
//
// Contract: Generate is pure. It turns a validated profile and the
// caller's choices (unit name, Type=, where the fsviews binary and the
// profile live) into the text of a unit file, or an error that names the
// bad choice and how to fix it. It reads no files and asks no systemd:
// the CLI (`fsviews unit`) resolves paths, and the end-to-end tests in
// e2e/systemd check the output under a real systemd.
//
// The unit only sets systemd options that act on processes and so carry
// into the view (capability bounding set, namespace and syscall
// restrictions, no_new_privs) and never the ones that build a mount
// namespace of systemd's own (ProtectSystem=, PrivateTmp=, ...): the
// profile alone decides what the daemon sees. docs/systemd.md explains
// each choice.
package units
