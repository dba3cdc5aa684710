package launch

import (
	"io"

	"github.com/fsviews/fsviews/registry"
	"github.com/fsviews/fsviews/views"
)

// Options are the optional parts of a launch; the zero value runs the plan
// and nothing else.
type Options struct {
	// Register, when set, records the jail in the registry.
	Register *Registration
	// Warnings gets, one line each, what the launch works around or
	// skips (an optional layer the kernel lacks, a notification the relay
	// could not pass on); nil discards them. The launch prints nothing
	// itself: fsviews run passes its stderr.
	Warnings io.Writer
}

// Registration is a jail's record and the registry it goes to, whose
// directory the caller opened before the launch (registry.Registry.Hold):
// the launch writes through that descriptor on its own thread, wherever
// the thread's mount namespace and root are by then, and calls nothing
// back. In place, the record is written right after unshare, naming this
// process and the launching thread's new namespaces (registry AddSelf),
// and removed again if the launch fails before the daemon runs: once the
// daemon replaced fsviews nothing stays to remove it, and it goes stale.
// Supervised, it names the jail's PID 1 and is written as soon as PID 1
// exists (before PID 1 gets the job, so before any of the jail runs); it
// is removed only when the daemon never ran: a jail that ran leaves its
// record to go stale, as in place, for fsviews diff NAME.
type Registration struct {
	Registry registry.Registry
	Record   registry.Record
}

// Exec builds the view of plan and executes its command in it, with the
// environment made from environ. It returns only on failure.
func Exec(plan *views.Plan, environ []string) error {
	return ExecWith(plan, environ, Options{})
}
