package launch

import (
	"io"

	"github.com/fsviews/fsviews/views"
)

// Options are the optional parts of a launch; the zero value runs the plan
// and nothing else.
type Options struct {
	// AfterUnshare runs on the launching thread right after the new
	// namespaces exist and the mount tree was made private, before anything
	// is built: /proc/thread-self/ns then shows the jail's namespaces, and
	// the host's files are still where they were. fsviews run registers the
	// jail here (registry.AddSelf). An error stops the launch with exit
	// status 125, before any mount.
	AfterUnshare func() error
	// BeforeExec runs on the launching thread, in place, once the view is
	// built and entered, before privileges are dropped and the daemon is
	// executed: work AfterUnshare started on another thread (fsviews run
	// writes the jail's record while the view is built) is waited for here.
	// An error stops the launch with exit status 125; the daemon never runs.
	BeforeExec func() error
	// Started runs in the supervisor (the PID-namespace model, where
	// AfterUnshare cannot run) once the jail's PID 1 exists, with its PID
	// as the host sees it; the jail's namespaces are then in place.
	// fsviews run registers the jail here. An error ends the jail before
	// the daemon starts, with exit status 125.
	Started func(pid int) error
	// Warnings gets, one line each, what the launch works around or
	// skips (an optional layer the kernel lacks, a notification the relay
	// could not pass on); nil discards them. The launch prints nothing
	// itself: fsviews run passes its stderr.
	Warnings io.Writer
}

// Exec builds the view of plan and executes its command in it, with the
// environment made from environ. It returns only on failure.
func Exec(plan *views.Plan, environ []string) error {
	return ExecWith(plan, environ, Options{})
}
