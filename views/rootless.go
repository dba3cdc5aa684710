package views

import "github.com/fsviews/fsviews/profiles"

// inUserNS returns the profile to compile: p itself, or, when the view is
// built in a user namespace (the profile's [namespaces] user, or
// opt.UserNS), a copy with User and PID set.
//
// A rootless jail always gets a PID namespace. Two kernel rules make it
// so: unshare(CLONE_NEWUSER) is refused in a multi-threaded process, so
// the in-place model (unshare on a locked thread of the running Go
// program) cannot make a user namespace and a child must be cloned
// anyway; and procfs can only be mounted by a process with CAP_SYS_ADMIN
// over the user namespace that owns the current PID namespace, which a
// rootless jail has for a PID namespace of its own and never for the
// host's. With a PID namespace comes fsviews' init (or the daemon as PID
// 1 with as_pid_1), exactly as with pid = true.
func inUserNS(p *profiles.Profile, opt Options) *profiles.Profile {
	if !opt.UserNS && !p.Namespaces.User {
		return p
	}
	q := *p
	q.Namespaces.User = true
	q.Namespaces.PID = true
	// The daemon runs as the caller: the user namespace maps no other id
	// (profiles.Rootless refuses a profile that names another), and
	// setgroups is denied in it.
	q.Security.UID, q.Security.GID = -1, -1
	// The default capability set is for a daemon started by root; a
	// rootless daemon runs as its caller and keeps what it names only.
	if q.Security.CapsPos == (profiles.Pos{}) {
		q.Security.Caps = nil
	}
	return &q
}
