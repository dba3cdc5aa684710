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
		ops = append(ops, Op{Kind: Socket, Target: s, Source: s, Origin: p.Logging.Pos.String()})
	}
	return ops
}

// NotifyTarget is where the view holds systemd's notify socket, and what
// NOTIFY_SOCKET says inside: a fixed path, so that the host's /run (and
// the other sockets beside the notify socket) stays out of the view.
const NotifyTarget = "/run/fsviews/notify"

// notifyOp binds the caller's NOTIFY_SOCKET into the view when it names a
// socket file. An abstract socket ("@name") is not a file: it is reached
// through the network namespace, so it passes as it is with net = "host"
// and launch refuses it with a new network namespace.
func notifyOp(socket string) (Op, bool) {
	if !strings.HasPrefix(socket, "/") {
		return Op{}, false
	}
	return Op{Kind: Socket, Target: NotifyTarget, Source: socket, Origin: "(NOTIFY_SOCKET)"}, true
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
