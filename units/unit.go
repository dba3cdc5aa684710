package units

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/fsviews/fsviews/profiles"
	"github.com/fsviews/fsviews/views"
)

// Type is the unit's Type=: how systemd learns that the daemon is up.
type Type string

const (
	// Simple: the unit is up as soon as fsviews has been started.
	Simple Type = "simple"
	// Notify: the unit is up when the daemon sends READY=1 to
	// $NOTIFY_SOCKET (sd_notify(3)).
	Notify Type = "notify"
)

func (t Type) String() string { return string(t) }

// ParseType reads a --type value.
func ParseType(s string) (Type, error) {
	switch Type(s) {
	case Simple, Notify:
		return Type(s), nil
	case "exec":
		return "", fmt.Errorf("type %q: use \"simple\": fsviews execs the daemon in place, so simple and exec behave alike for it", s)
	case "forking", "oneshot", "dbus", "idle":
		return "", fmt.Errorf("type %q is not generated: fsviews runs a daemon in the foreground; use \"simple\", or \"notify\" when the daemon sends READY=1 (a daemon that forks by default has a foreground option, e.g. nginx -g 'daemon off;')", s)
	}
	return "", fmt.Errorf("unknown type %q: use \"simple\" (the default) or \"notify\" (the daemon sends READY=1 when it is ready)", s)
}

// Options are the choices a unit is made from, beside the profile.
type Options struct {
	// Name is the unit's name, "web" or "web.service"; empty means
	// "fsviews-PROFILE.service", which does not clash with the unit a
	// distribution ships for the same daemon.
	Name string
	// Type is Simple when empty.
	Type Type
	// Executable is the absolute path of the fsviews binary.
	Executable string
	// Profile is what ExecStart gives `fsviews run`: the profile's
	// absolute path, or a bundled profile's bare name.
	Profile string
	// StateDir is an absolute --state-dir for `fsviews run`, or empty.
	StateDir string
}

// Unit is a generated service unit.
type Unit struct {
	Name string // file name, e.g. "fsviews-web.service"
	Text string
}

// Generate writes the unit that runs profile p under systemd.
func Generate(p *profiles.Profile, o Options) (Unit, error) {
	if len(p.Command) == 0 {
		return Unit{}, fmt.Errorf("profile %s has no command, and a unit must start a daemon: add command = [\"/path/to/daemon\", ...] to the profile", p.Origin.File)
	}
	name := o.Name
	if name == "" {
		name = "fsviews-" + p.Name
	}
	name, err := ServiceName(name)
	if err != nil {
		if o.Name == "" {
			return Unit{}, fmt.Errorf("the default unit name for profile %q: %w; choose one with --name", p.Name, err)
		}
		return Unit{}, err
	}
	typ := o.Type
	if typ == "" {
		typ = Simple
	}
	if _, err := ParseType(string(typ)); err != nil {
		return Unit{}, err
	}
	for _, f := range []struct{ what, value string }{
		{"the fsviews executable", o.Executable},
		{"the profile", o.Profile},
		{"the state directory", o.StateDir},
	} {
		if err := checkValue(f.what, f.value); err != nil {
			return Unit{}, err
		}
	}
	if !path.IsAbs(o.Executable) {
		return Unit{}, fmt.Errorf("bug: the fsviews executable %q is not an absolute path", o.Executable)
	}
	if o.StateDir != "" && !path.IsAbs(o.StateDir) {
		return Unit{}, fmt.Errorf("bug: the state directory %q is not an absolute path", o.StateDir)
	}

	run := []string{o.Executable, "run"}
	regen := []string{"fsviews", "unit"}
	if o.StateDir != "" {
		run = append(run, "--state-dir", o.StateDir)
		regen = append(regen, "--state-dir", o.StateDir)
	}
	run = append(run, o.Profile)
	if typ != Simple {
		regen = append(regen, "--type", string(typ))
	}
	if o.Name != "" {
		regen = append(regen, "--name", name)
	}
	regen = append(regen, o.Profile)

	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("# %s: runs the daemon of fsviews profile %q in its filesystem view.", name, p.Name)
	line("# Written by `fsviews unit` (docs/systemd.md). Install it with:")
	line("#   %s > /etc/systemd/system/%s", shellWords(regen), shellWords([]string{name}))
	line("#   systemctl daemon-reload && systemctl enable --now %s", shellWords([]string{name}))
	line("")
	line("[Unit]")
	line("Description=%s in an fsviews view (%s)", specifiers(p.Name), specifiers(o.Profile))
	line("After=network.target")
	line("")
	line("[Service]")
	line("Type=%s", typ)
	if typ == Notify {
		if p.Namespaces.PID {
			line("# The main PID is fsviews' supervisor, which relays the daemon's")
			line("# notifications from its PID namespace; no other process may notify.")
		} else {
			line("# fsviews execs the daemon in place: the daemon is the main PID, and")
			line("# no other process may notify.")
		}
		line("NotifyAccess=main")
	}
	line("ExecStart=%s", execLine(run))
	line("ExecReload=/bin/kill -HUP $MAINPID")
	line("# mixed: `systemctl stop` sends SIGTERM to the main process alone, which")
	line("# is the daemon (or fsviews, which passes it on), so the daemon shuts")
	line("# down its own workers in order; whatever is left once it has exited is")
	line("# killed with SIGKILL, so no process of the jail outlives the unit.")
	line("KillMode=mixed")
	line("Restart=on-failure")
	line("# fsviews' own failures: 125 the view could not be built, 126 the command")
	line("# cannot be executed, 127 it is not in the view. A restart cannot fix")
	line("# them: fix the profile (fsviews check) and start the unit again.")
	line("RestartPreventExitStatus=125 126 127")
	line("SyslogIdentifier=%s", specifiers(p.Name))
	cgroupLines(p, line)
	line("")
	line("# Restrictions that act on processes, inherited by fsviews and the daemon")
	line("# alike. Options that build a mount namespace of systemd's own")
	line("# (ProtectSystem=, ProtectHome=, PrivateTmp=, PrivateDevices=, ...) are")
	line("# left out on purpose: the profile alone decides what the daemon sees.")
	line("# So is RestrictSUIDSGID=: its filter fails openat2(2) with ENOSYS, and")
	line("# fsviews resolves every path inside the view with openat2.")
	if p.Security.NoNewPrivs {
		line("NoNewPrivileges=yes")
	}
	line("# What fsviews needs to build the view and drop to the profile's")
	line("# identity, plus the capabilities the profile keeps for the daemon.")
	line("CapabilityBoundingSet=%s", strings.Join(boundingSet(p), " "))
	line("# mnt and the namespaces the profile asks for, no others.")
	line("RestrictNamespaces=%s", strings.Join(views.Namespaces(p.Namespaces), " "))
	line("SystemCallArchitectures=native")
	line("LockPersonality=yes")
	line("RestrictRealtime=yes")
	line("# Safe beside fsviews (no mount namespace of systemd's own): the clock")
	line("# stays the host's, only pseudo devices open (fsviews' [dev] binds those")
	line("# alone), and syscall groups neither fsviews nor a daemon needs are")
	line("# refused for the whole unit.")
	line("ProtectClock=yes")
	if p.Hostname == "" {
		// Its filter refuses sethostname even in the jail's own UTS
		// namespace, which a profile's hostname needs.
		line("ProtectHostname=yes")
	}
	line("DevicePolicy=closed")
	line("SystemCallFilter=~@swap @reboot @module @raw-io @obsolete @cpu-emulation @debug")
	line("")
	line("[Install]")
	line("WantedBy=multi-user.target")
	return Unit{Name: name, Text: b.String()}, nil
}

// boundingSet is what fsviews uses before it execs the daemon, plus the
// daemon's kept capabilities, sorted. A step of fsviews that needs
// another capability must add it here, or it fails under generated units.
func boundingSet(p *profiles.Profile) []string {
	set := []string{
		"CAP_SYS_ADMIN",       // unshare, mounts, pivot_root, sethostname
		"CAP_SETPCAP",         // shrink the bounding set
		"CAP_SETUID",          // become the profile's user
		"CAP_SETGID",          // and group, setgroups
		"CAP_CHOWN",           // hand state dirs to the daemon's user
		"CAP_FOWNER",          // and set their mode
		"CAP_DAC_OVERRIDE",    // reach bind sources and state dirs
		"CAP_DAC_READ_SEARCH", // whatever their permissions
		"CAP_SYS_RESOURCE",    // set rlimits above the current hard limit
	}
	if p.Namespaces.Net == profiles.NetLoopback {
		set = append(set, "CAP_NET_ADMIN") // bring up lo in the new network namespace
	}
	if p.Namespaces.PID {
		set = append(set, "CAP_KILL") // the supervisor signals a daemon running as another user
	}
	for _, c := range p.Security.Caps {
		if !slices.Contains(set, c) {
			set = append(set, c)
		}
	}
	slices.Sort(set)
	return set
}
