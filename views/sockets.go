package views

import (
	"strings"

	"github.com/fsviews/fsviews/profiles"
)

// socketOps binds each host socket [logging] asks for, and nothing else
// of its directory: /dev/log alone, not /dev; journald's two sockets, not
// the rest of /run/systemd (the D-Bus and notify sockets stay out).
// Sockets are bound read-write because connecting to a unix socket needs
// write permission on it; the bind is still nosuid,nodev.
func socketOps(p *profiles.Profile) []Op {
	var ops []Op
	for _, s := range p.Logging.Sockets() {
		// Follow: /dev/log is a link to journald's socket on most hosts,
		// placed by the system in root's /dev, and the path is fsviews'.
		ops = append(ops, Op{Kind: Socket, Target: s, Source: s, Follow: true, Origin: p.Logging.Pos.String()})
	}
	return ops
}

// NotifyTarget is where the view holds systemd's notify socket, and what
// NOTIFY_SOCKET says inside: a fixed path, so that the host's /run (and
// the other sockets beside the notify socket) stays out of the view.
const NotifyTarget = "/run/fsviews/notify"

// notifyOp gives the daemon a notify socket at NotifyTarget. In place, the
// caller's NOTIFY_SOCKET is bound there when it names a socket file; an
// abstract socket ("@name") is not a file but is reached through the
// network namespace, so it passes as it is with net = "host" and launch
// refuses it with a new network namespace. With a PID namespace the
// daemon is not the main PID its service manager expects notifications
// from, so the supervisor (the main PID) relays them, from a socket of
// its own made in the view, to either kind of NOTIFY_SOCKET.
func notifyOp(socket string, supervised bool) (Op, bool) {
	switch {
	case supervised && (strings.HasPrefix(socket, "/") || strings.HasPrefix(socket, "@")):
		return Op{Kind: NotifyRelay, Target: NotifyTarget, Source: socket, Origin: "(NOTIFY_SOCKET)"}, true
	case strings.HasPrefix(socket, "/"):
		return Op{Kind: Socket, Target: NotifyTarget, Source: socket, Origin: "(NOTIFY_SOCKET)"}, true
	}
	return Op{}, false
}

// ProcessModel says in a few words which process the daemon is.
func (p *Plan) ProcessModel() string {
	switch {
	case !p.PID:
		return "in place: the daemon replaces fsviews and keeps its PID"
	case p.AsPID1:
		return "supervised: fsviews stays outside a new PID namespace; the daemon is its PID 1"
	default:
		return "supervised: fsviews stays outside a new PID namespace; fsviews' init is its PID 1, the daemon its child"
	}
}
