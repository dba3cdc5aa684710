package launch

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/views"
)

// Landlock is enforced with the three raw syscalls on the calling thread
// only, like the seccomp filter: landlock_restrict_self puts this thread,
// and nothing else, in the new domain, and execve keeps only this thread.
// No library that restricts every thread (go-landlock's RestrictPaths and
// its psx package): built with cgo, psx needs /proc/PID/task, which a view
// without [proc] does not have, and the Go runtime's other threads die at
// execve anyway. See docs/security.md.

// landlockABI asks the kernel for its Landlock ABI version: 0 when it has
// no Landlock (not built in, or not in the lsm= boot parameter).
func landlockABI() (int, error) {
	v, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION)
	if errno == unix.ENOSYS || errno == unix.EOPNOTSUPP {
		return 0, nil
	}
	if errno != 0 {
		return 0, errno
	}
	return int(v), nil
}

// restrictLandlock puts the calling thread in a Landlock domain that
// handles every filesystem right landlockHandled gives for abi and grants
// what rules say. The thread must run with no_new_privs (the kernel
// refuses otherwise, as fsviews has dropped CAP_SYS_ADMIN by now), and
// must be locked: the domain is the thread's, not the process's. Paths are
// opened as they are when it runs, that is, inside the view.
func restrictLandlock(rules []views.LandlockRule, abi int) error {
	ruleset, err := landlockRuleset(rules, abi)
	if err != nil {
		return err
	}
	defer unix.Close(ruleset)
	if _, _, errno := unix.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, uintptr(ruleset), 0, 0); errno != 0 {
		return fmt.Errorf("landlock_restrict_self: %w", errno)
	}
	return nil
}

// landlockRuleset makes the ruleset restrictLandlock enforces and
// returns its descriptor (close-on-exec). Paths are opened as they are
// when it runs: inside the view.
func landlockRuleset(rules []views.LandlockRule, abi int) (int, error) {
	handled := landlockHandled(abi)
	attr := unix.LandlockRulesetAttr{Handled_access_fs: handled}
	// The struct is larger than what older kernels know; the kernel
	// accepts that as long as the fields it does not know are zero.
	r, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr), 0)
	if errno != 0 {
		return -1, fmt.Errorf("landlock_create_ruleset (ABI %d, handled rights %#x): %w", abi, handled, errno)
	}
	ruleset := int(r) // the kernel sets O_CLOEXEC on it
	for _, rule := range rules {
		if err := addLandlockRule(ruleset, rule, handled); err != nil {
			unix.Close(ruleset)
			return -1, fmt.Errorf("rule for %s (%s): %w", rule.Path, rule.Origin, err)
		}
	}
	return ruleset, nil
}

// addLandlockRule adds one path-beneath rule. The path is opened O_PATH
// and checked through that descriptor, so what it names cannot change
// between the check and the rule.
func addLandlockRule(ruleset int, rule views.LandlockRule, handled uint64) error {
	fd, err := unix.Open(rule.Path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) && rule.Optional {
		return nil // an optional bind that was absent
	}
	if errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("%w: the path must exist inside the view: bind or create it there, or remove the rule", &os.PathError{Op: "open", Path: rule.Path, Err: err})
	}
	if err != nil {
		return &os.PathError{Op: "open", Path: rule.Path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "fstat", Path: rule.Path, Err: err}
	}
	attr := unix.LandlockPathBeneathAttr{
		Allowed_access: landlockAllowed(rule.Access, st.Mode&unix.S_IFMT == unix.S_IFDIR, handled),
		Parent_fd:      int32(fd),
	}
	if _, _, errno := unix.Syscall6(unix.SYS_LANDLOCK_ADD_RULE, uintptr(ruleset), unix.LANDLOCK_RULE_PATH_BENEATH, uintptr(unsafe.Pointer(&attr)), 0, 0, 0); errno != 0 {
		return fmt.Errorf("landlock_add_rule %s with rights %#x: %w", rule.Path, attr.Allowed_access, errno)
	}
	return nil
}
