package launch

import "bytes"

// knownNotifyTag reports whether a jailed daemon may pass the sd_notify(3)
// assignment tag= to the service manager. MAINPID= and MAINPIDFD= would
// make a host process the unit's main PID (systemctl stop then kills
// it), NOTIFYACCESS= would widen who may notify, and a tag not listed
// here is one whose effect nobody reviewed: all are dropped.
func knownNotifyTag(tag string) bool {
	switch tag {
	case "READY", "RELOADING", "STOPPING", "MONOTONIC_USEC", "STATUS", "ERRNO", "BUSERROR",
		"WATCHDOG", "WATCHDOG_USEC", "EXTEND_TIMEOUT_USEC",
		"FDSTORE", "FDSTOREREMOVE", "FDNAME", "FDPOLL", "BARRIER":
		return true
	}
	return false
}

// filterNotify returns the lines of one notification datagram whose tag
// is known (knownNotifyTag), joined by "\n", and false when nothing is
// left to relay. Lines are split on "\n" and "\r", as systemd splits
// them (strv_split_newlines uses NEWLINE, "\n\r"), so "READY=1\rMAINPID=1"
// cannot smuggle a second assignment past a filter that knew only "\n".
// A datagram with a NUL byte is dropped whole: systemd ignores such a
// message too, and a filter and its receiver must never disagree on
// where a line ends.
func filterNotify(msg []byte) ([]byte, bool) {
	if bytes.IndexByte(msg, 0) >= 0 {
		return nil, false
	}
	var out [][]byte
	for _, line := range bytes.FieldsFunc(msg, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if tag, _, ok := bytes.Cut(line, []byte("=")); ok && knownNotifyTag(string(tag)) {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return nil, false
	}
	return bytes.Join(out, []byte("\n")), true
}
