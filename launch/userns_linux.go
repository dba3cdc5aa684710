package launch

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/caps"
	"github.com/fsviews/fsviews/views"
)

// useUserNS sets up the clone of a rootless jail (docs/rootless.md): a new
// user namespace in which the caller's uid and gid are mapped to
// themselves, one line each, with setgroups denied — all an unprivileged
// writer of uid_map and gid_map may do (user_namespaces(7)). exec.Cmd
// writes the maps from the parent while the child waits, before the child
// executes fsviews' jail stage.
//
// The caller's own ids inside, rather than root: the daemon runs as who
// started it, files keep their owners, and what it writes into state dirs
// is the caller's on the host too. A process that is not uid 0 loses its
// capabilities at execve, so the stage's (all of them, in the new user
// namespace) pass through the ambient set: only those the stages use,
// plus the ones the profile keeps for the daemon, which privs.Apply needs
// in the permitted set to raise them as ambient again.
func useUserNS(attr *syscall.SysProcAttr, plan *views.Plan) error {
	uid, gid := os.Getuid(), os.Getgid()
	attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}}
	attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}}
	attr.GidMappingsEnableSetgroups = false
	ambient, err := jailCaps(plan.Caps)
	if err != nil {
		return err
	}
	attr.AmbientCaps = ambient
	return nil
}

// jailCaps are the capabilities the jail's stages keep across execve in a
// user namespace: CAP_SYS_ADMIN to mount, pivot_root and set the
// hostname; CAP_SYS_CHROOT, which some kernels' pivot_root paths and
// chroot need; CAP_NET_ADMIN to bring up the
// loopback; CAP_SETPCAP to shrink the bounding set; CAP_KILL, which
// fsviews' init keeps; and the daemon's own.
func jailCaps(kept []string) ([]uintptr, error) {
	set := []uintptr{unix.CAP_KILL, unix.CAP_SETPCAP, unix.CAP_NET_ADMIN, unix.CAP_SYS_CHROOT, unix.CAP_SYS_ADMIN}
	for _, name := range kept {
		n, _, err := caps.Parse(name)
		if err != nil {
			return nil, err
		}
		set = append(set, uintptr(n))
	}
	return set, nil
}

// checkUserNS checks, on the host, what a rootless jail needs: the host
// allows unprivileged user namespaces, and the plan runs the daemon as
// the caller, whose ids are the ones useUserNS maps.
func checkUserNS(plan *views.Plan) error {
	privileged := os.Geteuid() == 0
	if err := userNSBlocked(os.ReadFile, privileged); err != nil {
		return failed("%w", err)
	}
	// views.Compile planned the daemon and its state dirs as the
	// caller's, the only ids the user namespace maps; a plan that names
	// others did not come from it.
	uid, gid := os.Getuid(), os.Getgid()
	if plan.UID >= 0 && plan.UID != uid || plan.GID >= 0 && plan.GID != gid {
		return failed("profile %s runs the daemon as uid %d gid %d, but a rootless jail maps only your own ids (uid %d gid %d): remove [security] user and group, or run fsviews as root (fsviews check says so too)", plan.Profile, plan.UID, plan.GID, uid, gid)
	}
	return nil
}

// notSetuid refuses a setuid or setgid installation of fsviews: it would
// build views with the file owner's privilege on behalf of any user, and
// the history of setuid sandbox helpers is a list of privilege
// escalations. Rootless jails need no privilege at all.
func notSetuid(uid, euid, gid, egid int) error {
	if uid == euid && gid == egid {
		return nil
	}
	return failed("fsviews is running setuid or setgid (uid %d euid %d, gid %d egid %d), which is not supported: remove the bit (chmod u-s,g-s %s); unprivileged users get rootless jails without it (docs/rootless.md)", uid, euid, gid, egid, selfPath())
}

func selfPath() string {
	if p, err := os.Executable(); err == nil {
		return p
	}
	return "the fsviews binary"
}

// userNSKnob is one host setting that stops user namespaces.
type userNSKnob struct {
	path    string // under /proc/sys
	blocked func(value string) bool
	// unprivileged: the knob stops only callers without CAP_SYS_ADMIN.
	unprivileged bool
	why, fix     string
}

func userNSKnobs() []userNSKnob {
	return []userNSKnob{
		{"/proc/sys/user/max_user_namespaces", func(v string) bool { return v == "0" }, false,
			"user.max_user_namespaces = 0 allows no user namespace at all",
			"an admin can raise it (sysctl -w user.max_user_namespaces=15000), or run fsviews as root without --userns"},
		{"/proc/sys/kernel/unprivileged_userns_clone", func(v string) bool { return v == "0" }, true,
			"kernel.unprivileged_userns_clone = 0 (a Debian kernel setting) disables user namespaces for unprivileged users",
			"an admin can enable them (sysctl -w kernel.unprivileged_userns_clone=1), or run fsviews as root"},
		{"/proc/sys/kernel/apparmor_restrict_unprivileged_userns", func(v string) bool { return v == "1" }, true,
			"kernel.apparmor_restrict_unprivileged_userns = 1 (AppArmor, Ubuntu 23.10 and later) refuses user namespaces to unconfined unprivileged programs",
			"an admin can give fsviews an AppArmor profile with a \"userns,\" rule (docs/rootless.md), or run fsviews as root"},
	}
}

// userNSBlocked reads the host settings that stop user namespaces and
// returns an error naming the one that is set, nil when none is (a
// setting the kernel does not have is not set). read reads a /proc/sys
// file; tests pass a table.
func userNSBlocked(read func(string) ([]byte, error), privileged bool) error {
	for _, k := range userNSKnobs() {
		if k.unprivileged && privileged {
			continue
		}
		b, err := read(k.path)
		if err != nil {
			continue
		}
		if k.blocked(strings.TrimSpace(string(b))) {
			return fmt.Errorf("this host does not allow a rootless jail: %s (%s); %s", k.why, k.path, k.fix)
		}
	}
	return nil
}

// cloneUserNSError explains a failed clone of a rootless jail.
func cloneUserNSError(err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.EINVAL) {
		if why := userNSBlocked(os.ReadFile, os.Geteuid() == 0); why != nil {
			return fmt.Errorf("%w: %w", err, why)
		}
		return fmt.Errorf("%w: the kernel refused a new user namespace (a seccomp filter of your container or session, a security module, or user.max_user_namespaces reached); run fsviews as root instead", err)
	}
	return err
}
