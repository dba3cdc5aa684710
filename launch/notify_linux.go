package launch

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/mounts"
	"github.com/fsviews/fsviews/views"
)

// NotifySocket is the caller's NOTIFY_SOCKET as the plan should carry it
// (views.Options.NotifySocket): value itself when a daemon can use it,
// else "" and a warning saying why the daemon runs without it. A daemon
// that cannot notify makes a Type=notify unit fail its start timeout,
// which the warning explains, but fsviews never waits on the socket
// itself, so nothing hangs. Deciding this before the plan is made keeps
// the plan what runs: the launch never takes the socket out again.
func NotifySocket(value string) (string, error) {
	switch {
	case value == "" || strings.HasPrefix(value, "@"):
		return value, nil
	case !strings.HasPrefix(value, "/"):
		return "", fmt.Errorf("NOTIFY_SOCKET=%q is neither an absolute path nor an abstract socket (@name): ignoring it, the daemon runs without NOTIFY_SOCKET", value)
	}
	fi, err := os.Stat(value)
	if err == nil && fi.Mode().Type() != os.ModeSocket {
		err = fmt.Errorf("it is a %s, not a unix socket", fileType(fi.Mode()))
	}
	if err != nil {
		return "", fmt.Errorf("NOTIFY_SOCKET=%s: %v: the daemon cannot notify its service manager (a Type=notify unit will time out); running without NOTIFY_SOCKET", value, err)
	}
	return value, nil
}

// checkNotify refuses a NOTIFY_SOCKET the plan cannot pass on.
//
// In place, a socket file (systemd's /run/systemd/notify) is bound alone
// into the view at views.NotifyTarget. An abstract socket ("@name") is not
// a file: it lives in the network namespace, so it works as it is with
// the host's network, and a new network namespace cannot reach it; with
// no process left to relay, that combination is an error. Supervised, the
// supervisor relays from a socket in the view to either kind (startRelay).
func checkNotify(j *job) error {
	plan := j.Plan
	if plan.Notify == "" {
		return nil
	}
	i := slices.IndexFunc(plan.Ops, func(op views.Op) bool {
		return (op.Kind == views.Socket || op.Kind == views.NotifyRelay) && op.Target == views.NotifyTarget
	})
	if i >= 0 {
		// The socket file is made where the view holds it: inside a bind
		// of a host directory that would be a file on the host.
		for _, op := range plan.Ops {
			if op.Kind == views.Bind && strings.HasPrefix(views.NotifyTarget, strings.TrimSuffix(op.Target, "/")+"/") {
				return failed("NOTIFY_SOCKET is set, and the daemon's notify socket goes to %s, but %s (%s) binds the host's %s there: fsviews would create the socket on the host. Bind only the parts of %s the daemon needs, or leave /run/fsviews out of the bind", views.NotifyTarget, op.Origin, op.Target, op.Source, op.Source)
			}
		}
	}
	if i < 0 && strings.HasPrefix(plan.Notify, "@") && slices.Contains(plan.Unshare, "net") {
		return failed("NOTIFY_SOCKET=%s is an abstract socket, which lives in the host's network namespace and cannot be reached from the jail's (net = %q): use net = \"host\" in [namespaces], pid = true (fsviews then relays notifications), or a service manager with a socket file (systemd's /run/systemd/notify)", plan.Notify, plan.Net)
	}
	return nil
}

// warn tells the caller about something fsviews works around.
func warn(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "fsviews: warning: "+format+"\n", args...)
}

// bindRelay creates the relay's socket file in the view (PID 1 holds the
// socket the supervisor made and passed down).
func bindRelay(root *mounts.Root, op views.Op, relayFD int) error {
	if relayFD < 0 {
		return errors.New("bug: a notify relay without its socket")
	}
	return root.BindSocket(relayFD, op.Target)
}

// relayOp returns the plan's notify-relay op, if any.
func relayOp(plan *views.Plan) (views.Op, bool) {
	for _, op := range plan.Ops {
		if op.Kind == views.NotifyRelay {
			return op, true
		}
	}
	return views.Op{}, false
}

// relay passes the daemon's notifications to the service manager from
// the supervisor, which is the unit's main PID, so that the default
// NotifyAccess=main accepts them. Each datagram goes on as it came, with
// the descriptors it carried (FDSTORE=1, sd_notify_barrier's pipe),
// reduced to the assignments filterNotify knows: the datagram is the
// jail's, hostile input to a root process, and MAINPID= in particular
// would name a PID the daemon sees in the jail (or a host process) where
// the main PID is the supervisor, which ends as the daemon does.
type relay struct {
	in, out int      // the socket in the view; an unbound socket to send from
	file    *os.File // in, for ExtraFiles; held so that no finalizer closes it
	to      string   // the service manager's NOTIFY_SOCKET
	mu      sync.Mutex
	// warnings gets a notification that could not be passed on.
	warnings io.Writer
}

func newRelay(to string, warnings io.Writer) (*relay, error) {
	in, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("notify relay: socket: %w", err)
	}
	out, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		unix.Close(in)
		return nil, fmt.Errorf("notify relay: socket: %w", err)
	}
	return &relay{in: in, out: out, to: to, file: os.NewFile(uintptr(in), "notify-relay"), warnings: warnings}, nil
}

// run relays until the socket fails; it blocks in recvmsg, using no CPU.
func (r *relay) run() {
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4*64))
	for {
		if err := r.one(buf, oob, 0); err != nil && !errors.Is(err, unix.EINTR) {
			return
		}
	}
}

// drain relays what is still queued once the daemon is gone (a
// STOPPING=1 sent right before exiting).
func (r *relay) drain() {
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4*64))
	for r.one(buf, oob, unix.MSG_DONTWAIT) == nil {
	}
}

func (r *relay) one(buf, oob []byte, flags int) error {
	n, oobn, _, _, err := unix.Recvmsg(r.in, buf, oob, flags|unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return err
	}
	var fds []int
	if cmsgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
		for _, c := range cmsgs {
			if got, err := unix.ParseUnixRights(&c); err == nil {
				fds = append(fds, got...)
			}
		}
	}
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	msg, ok := filterNotify(buf[:n])
	if !ok {
		return nil
	}
	var rights []byte
	if len(fds) > 0 {
		rights = unix.UnixRights(fds...)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := unix.Sendmsg(r.out, msg, rights, &unix.SockaddrUnix{Name: r.to}, 0); err != nil {
		warn(r.warnings, "relay a notification to NOTIFY_SOCKET=%s: %v", r.to, err)
	}
	return nil
}
