package views

import "github.com/fsviews/fsviews/profiles"

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
