// Package systemd runs units made by `fsviews unit` under a real systemd:
// PID 1 of a container booted by scripts/sd-container, once for
// the package (TestMain). It checks what systemd sees of a daemon in a
// view: states, MainPID, exit status, signals, reload, stop, READY=1 and
// the journal. Tests only; they need root, and under CI they never skip.
package systemd
