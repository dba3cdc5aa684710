// Package e2e runs the fsviews binary for real: it mounts, pivots and execs
// jails as root and checks what a user sees, from inside the jail and from
// the host. Tests only; see helpers_test.go for how they run.
package e2e
