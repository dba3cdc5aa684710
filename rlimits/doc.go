// Package rlimits names the kernel's resource limits the way profiles write
// them ([limits] nofile = 4096), parses their values and applies them.
//
// The names and value syntax are pure (rlimits.go) so that `fsviews check`
// reports a bad limit with the profile line; Apply (rlimits_linux.go) is the
// only code that calls the kernel. Limits belong to the process, not the
// thread, and survive execve: the launcher applies them after the view is
// built (a low nofile or fsize must not break fsviews' own work) and before
// privileges are dropped (raising a hard limit needs CAP_SYS_RESOURCE).
package rlimits
