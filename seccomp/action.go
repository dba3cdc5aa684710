package seccomp

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fsviews/fsviews/internal/suggest"
)

// Action is what the filter does with a syscall. The zero Action is "unset":
// Check reports it, so a rule without an action is an error, never a silent allow.
// It packs the kind in the high 16 bits and an errno (1..4095) in the low 16,
// so that actions are comparable constants.
type Action uint32

func mkAction(k actionKind, errno uint16) Action { return Action(uint32(k)<<16 | uint32(errno)) }

func (a Action) kind() actionKind { return actionKind(a >> 16) }

type actionKind uint32

const (
	kindUnset actionKind = iota
	kindAllow
	kindErrno
	kindKillProcess
	kindKillThread
	kindTrap
	kindLog
)

// SECCOMP_RET_* values from linux/seccomp.h.
const (
	retKillProcess = 0x80000000
	retKillThread  = 0x00000000
	retTrap        = 0x00030000
	retErrno       = 0x00050000
	retLog         = 0x7ffc0000
	retAllow       = 0x7fff0000
	retActionFull  = 0xffff0000
	retData        = 0x0000ffff
)

// maxErrno mirrors the kernel's MAX_ERRNO: larger errno data is clamped.
const maxErrno = 4095

// The actions a filter uses.
const (
	ActionAllow       = Action(kindAllow << 16)
	ActionErrno       = Action(kindErrno<<16 | 1) // EPERM
	ActionENOSYS      = Action(kindErrno<<16 | 38)
	ActionKillProcess = Action(kindKillProcess << 16)
	ActionKillThread  = Action(kindKillThread << 16)
	ActionTrap        = Action(kindTrap << 16)
	ActionLog         = Action(kindLog << 16)
)

// Errno returns the action that fails a syscall with errno n (1..4095).
func Errno(n uint16) (Action, error) {
	if n == 0 || n > maxErrno {
		return 0, fmt.Errorf("errno %d out of range: use 1..%d (errno 0 would fake success without running the syscall)", n, maxErrno)
	}
	return mkAction(kindErrno, n), nil
}

// errnoAliases are names sharing a number, which x/sys lists only once.
var errnoAliases = map[string]string{
	"EOPNOTSUPP":  "ENOTSUP",
	"EWOULDBLOCK": "EAGAIN",
	"EDEADLOCK":   "EDEADLK",
}

// ParseAction parses the profile spelling of an action: "allow", "errno"
// (EPERM), "errno:ENOSYS" or "errno:13", "kill-process", "kill-thread",
// "trap", "log".
func ParseAction(s string) (Action, error) {
	switch s {
	case "allow":
		return ActionAllow, nil
	case "errno":
		return ActionErrno, nil
	case "kill-process":
		return ActionKillProcess, nil
	case "kill-thread":
		return ActionKillThread, nil
	case "trap":
		return ActionTrap, nil
	case "log":
		return ActionLog, nil
	case "":
		return 0, fmt.Errorf("empty action: use allow, errno, errno:ENAME, kill-process, kill-thread, trap or log")
	}
	if e, ok := strings.CutPrefix(s, "errno:"); ok {
		if n, err := strconv.ParseUint(e, 10, 16); err == nil {
			return Errno(uint16(n))
		}
		name := strings.ToUpper(e)
		if a, ok := errnoAliases[name]; ok {
			name = a
		}
		if n, ok := errnoNumbers()[name]; ok {
			return Errno(n)
		}
		return 0, fmt.Errorf("unknown errno %q in action %q: use a name such as EPERM, EACCES, ENOSYS or a number 1..%d", e, s, maxErrno)
	}
	msg := fmt.Sprintf("unknown action %q: use allow, errno, errno:ENAME, kill-process, kill-thread, trap or log", s)
	if c := suggest.Closest(s, []string{"allow", "errno", "kill-process", "kill-thread", "trap", "log"}); c != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", c)
	}
	return 0, fmt.Errorf("%s", msg)
}

// String returns the spelling ParseAction accepts: errno actions other than
// EPERM are written with their name, e.g. "errno:ENOSYS".
func (a Action) String() string {
	switch a.kind() {
	case kindUnset:
		return "unset"
	case kindAllow:
		return "allow"
	case kindErrno:
		if a.Errno() == 1 {
			return "errno"
		}
		for name, n := range errnoNumbers() {
			if n == a.Errno() {
				return "errno:" + name
			}
		}
		return "errno:" + strconv.Itoa(int(a.Errno()))
	case kindKillProcess:
		return "kill-process"
	case kindKillThread:
		return "kill-thread"
	case kindTrap:
		return "trap"
	case kindLog:
		return "log"
	}
	return fmt.Sprintf("action(%#x)", uint32(a))
}

// MarshalText implements encoding.TextMarshaler (TOML, JSON).
func (a Action) MarshalText() ([]byte, error) {
	if !a.valid() {
		return nil, fmt.Errorf("marshal seccomp action: invalid action %s", a)
	}
	return []byte(a.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseAction.
func (a *Action) UnmarshalText(b []byte) error {
	p, err := ParseAction(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}

// IsZero reports whether the action is unset.
func (a Action) IsZero() bool { return a == 0 }

// Errno returns the errno an errno action returns, or 0.
func (a Action) Errno() uint16 {
	if a.kind() != kindErrno {
		return 0
	}
	return uint16(a)
}

func (a Action) valid() bool {
	if a.kind() == kindErrno {
		return a.Errno() >= 1 && a.Errno() <= maxErrno
	}
	return a.kind() > kindUnset && a.kind() <= kindLog && uint16(a) == 0
}

// ret is the filter's SECCOMP_RET_* return value.
func (a Action) ret() uint32 {
	switch a.kind() {
	case kindAllow:
		return retAllow
	case kindErrno:
		return retErrno | uint32(a.Errno())
	case kindKillProcess:
		return retKillProcess
	case kindKillThread:
		return retKillThread
	case kindTrap:
		return retTrap
	case kindLog:
		return retLog
	}
	panic(fmt.Sprintf("seccomp: bug: ret of invalid action %#x", uint32(a)))
}

// severity orders actions as the kernel does when filters disagree
// (kill-process > kill-thread > trap > errno > log > allow): when several rules
// for one syscall match, the most severe wins.
func (a Action) severity() int {
	switch a.kind() {
	case kindKillProcess:
		return 6
	case kindKillThread:
		return 5
	case kindTrap:
		return 4
	case kindErrno:
		return 3
	case kindLog:
		return 2
	case kindAllow:
		return 1
	}
	return 0
}

// actionOfRet decodes a filter return value, for the disassembler and tests.
func actionOfRet(r uint32) (Action, bool) {
	switch r & retActionFull {
	case retKillProcess:
		return ActionKillProcess, true
	case retKillThread:
		return ActionKillThread, true
	case retTrap:
		return ActionTrap, true
	case retErrno:
		n := uint16(min(r&retData, maxErrno))
		return mkAction(kindErrno, n), n != 0
	case retLog:
		return ActionLog, true
	case retAllow:
		return ActionAllow, true
	}
	return 0, false
}
