package seccomp

import (
	"fmt"
	"strconv"
)

// Op compares a syscall argument with a value. All comparisons are unsigned
// 64-bit (a negative int in a profile must be written as its two's complement,
// and a signed "< 0" test is not expressible), except on the arguments the
// kernel declares as 32-bit ints (see int32Args), where only the low 32 bits
// are compared because the kernel ignores the rest.
type Op uint8

// The zero Op is unset: Check reports it.
const (
	OpEq Op = iota + 1
	OpNe
	OpLt
	OpLe
	OpGt
	OpGe
	OpMaskedEq // (arg & Mask) == Value
)

var opNames = [...]string{OpEq: "==", OpNe: "!=", OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">=", OpMaskedEq: "&=="}

// ParseOp parses one of == != < <= > >= &==.
func ParseOp(s string) (Op, error) {
	for op, name := range opNames {
		if name != "" && name == s {
			return Op(op), nil
		}
	}
	return 0, fmt.Errorf("unknown op %q: use one of == != < <= > >= &== (&== tests (arg & mask) == value)", s)
}

func (o Op) valid() bool { return o >= OpEq && o <= OpMaskedEq }

// String returns the profile spelling.
func (o Op) String() string {
	if !o.valid() {
		return fmt.Sprintf("op(%d)", uint8(o))
	}
	return opNames[o]
}

// MarshalText implements encoding.TextMarshaler.
func (o Op) MarshalText() ([]byte, error) {
	if !o.valid() {
		return nil, fmt.Errorf("marshal seccomp op: invalid op %d", uint8(o))
	}
	return []byte(o.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseOp.
func (o *Op) UnmarshalText(b []byte) error {
	p, err := ParseOp(string(b))
	if err != nil {
		return err
	}
	*o = p
	return nil
}

// Cond is one condition on a syscall argument: args[Index] Op Value, or for
// OpMaskedEq (args[Index] & Mask) == Value.
type Cond struct {
	Index int // 0..5
	Op    Op
	Value uint64
	Mask  uint64 // only with OpMaskedEq, and then non-zero
}

// String renders the condition as "arg1 &0xff == 0x12".
func (c Cond) String() string {
	// Concatenated, not fmt: the compiler notes every condition of a
	// filter with it at each start.
	hex := func(v uint64) string {
		if v == 0 {
			return "0x0"
		}
		return "0x" + strconv.FormatUint(v, 16)
	}
	arg := "arg" + strconv.Itoa(c.Index)
	if c.Op == OpMaskedEq {
		return arg + " & " + hex(c.Mask) + " == " + hex(c.Value)
	}
	return arg + " " + c.Op.String() + " " + hex(c.Value)
}

// Rule applies Action to Syscall when all Args hold. With no Args it applies
// always. When several rules for one syscall hold, the most severe action
// wins (kill-process > kill-thread > trap > errno > log > allow); when none
// holds, the syscall gets what the preset and the allow/deny lists give it.
type Rule struct {
	Syscall string
	Action  Action
	Args    []Cond
}

// int32Args lists syscall arguments the kernel declares as int or unsigned
// int. The register is 64 bits wide, seccomp sees all of it, but the kernel's
// syscall wrappers truncate it to 32 bits: a rule comparing all 64 bits of
// such an argument can be bypassed by setting the upper half (a deny of ioctl
// TIOCSTI matched on 64 bits let flatpak sandboxes inject terminal input,
// CVE-2019-10063). libseccomp and flatpak therefore mask ioctl's request with
// 0xffffffff; we compare the low word only, for these arguments and for both
// allow and deny rules. Every other argument is compared on all 64 bits.
// The list names arguments whose prototype is stable across x86_64 and aarch64.
var int32Args = map[string][]int{
	"ioctl":       {0, 1}, // unsigned int fd, unsigned int cmd
	"fcntl":       {0, 1}, // unsigned int fd, unsigned int cmd
	"personality": {0},    // unsigned int personality
	"socket":      {0, 1, 2},
	"socketpair":  {0, 1, 2},
	"prctl":       {0},       // int option
	"open":        {1},       // int flags
	"openat":      {0, 2},    // int dfd, int flags
	"kill":        {0, 1},    // pid_t, int sig
	"setns":       {0, 1},    // int fd, int nstype
	"setsockopt":  {0, 1, 2}, // int fd, int level, int optname
	"getsockopt":  {0, 1, 2},
}

// isInt32Arg reports whether argument i of syscall name is a 32-bit int.
func isInt32Arg(name string, i int) bool {
	for _, j := range int32Args[name] {
		if i == j {
			return true
		}
	}
	return false
}
