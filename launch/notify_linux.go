package launch

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/fsviews/fsviews/views"
)

// checkNotify makes sure the NOTIFY_SOCKET the plan passes can work, or
// drops it with a warning: a daemon that cannot notify makes a
// Type=notify unit fail its start timeout, which the warning explains,
// but fsviews never waits on the socket itself, so nothing hangs.
//
// A socket file (systemd's /run/systemd/notify) is bound alone into the
// view at views.NotifyTarget. An abstract socket ("@name") is not a file:
// it lives in the network namespace, so it works as it is with the host's
// network, and a new network namespace cannot reach it. fsviews does not
// relay datagrams (in place there is no process left to relay them), so
// that combination is an error.
func checkNotify(j *job) error {
	plan := j.Plan
	switch {
	case plan.Notify == "":
		return nil
	case plan.Notify == views.NotifyTarget:
		i := slices.IndexFunc(plan.Ops, func(op views.Op) bool {
			return op.Kind == views.Socket && op.Target == views.NotifyTarget
		})
		if i < 0 {
			return failed("bug: NOTIFY_SOCKET set to %s without a bind", views.NotifyTarget)
		}
		source := plan.Ops[i].Source
		fi, err := os.Stat(source)
		if err == nil && fi.Mode().Type() != os.ModeSocket {
			err = fmt.Errorf("it is a %s, not a unix socket", fileType(fi.Mode()))
		}
		if err != nil {
			warn("NOTIFY_SOCKET=%s: %v: the daemon cannot notify its service manager (a Type=notify unit will time out); running without NOTIFY_SOCKET", source, err)
			plan.Ops = slices.Delete(plan.Ops, i, i+1)
			plan.Notify = ""
		}
		return nil
	case strings.HasPrefix(plan.Notify, "@"):
		if slices.Contains(plan.Unshare, "net") {
			return failed("NOTIFY_SOCKET=%s is an abstract socket, which lives in the host's network namespace and cannot be reached from the jail's (net = %q): use net = \"host\" in [namespaces], or a service manager with a socket file (systemd's /run/systemd/notify)", plan.Notify, plan.Net)
		}
		return nil
	default:
		warn("NOTIFY_SOCKET=%q is neither an absolute path nor an abstract socket (@name): ignoring it, the daemon runs without NOTIFY_SOCKET", plan.Notify)
		plan.Notify = ""
		return nil
	}
}

// warn tells the caller about something fsviews works around.
func warn(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "fsviews: warning: "+format+"\n", args...)
}
