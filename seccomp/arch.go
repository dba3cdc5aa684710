package seccomp

import (
	"fmt"
	"runtime"
)

// Arch is a kernel syscall ABI that a Program is compiled for. The filter's
// first instructions compare seccomp_data.arch with it: syscall numbers mean
// different things on different ABIs, so a filter that skipped the check could
// be bypassed by entering the kernel through another one (int 0x80 on x86_64).
type Arch uint8

const (
	// AMD64 is x86_64 (AUDIT_ARCH_X86_64). Its compat ABIs are i386
	// (AUDIT_ARCH_I386) and x32 (the x86_64 arch with syscall number bit 30 set).
	AMD64 Arch = iota + 1
	// ARM64 is aarch64 (AUDIT_ARCH_AARCH64). Its 32-bit arm compat ABI is
	// always refused.
	ARM64
)

// Values of seccomp_data.arch, from linux/audit.h:
// EM_* | __AUDIT_ARCH_64BIT (0x80000000) | __AUDIT_ARCH_LE (0x40000000).
const (
	auditArchX8664   = 0xc000003e // EM_X86_64 = 62
	auditArchAArch64 = 0xc00000b7 // EM_AARCH64 = 183
	auditArchI386    = 0x40000003 // EM_386 = 3, 32-bit
)

// x32SyscallBit marks x32 syscalls on the x86_64 arch (__X32_SYSCALL_BIT).
const x32SyscallBit = 0x40000000

// NativeArch is the Arch of the running program's GOARCH, or 0 (invalid) on
// architectures this package has no tables for.
func NativeArch() Arch {
	switch runtime.GOARCH {
	case "amd64":
		return AMD64
	case "arm64":
		return ARM64
	}
	return 0
}

// String returns the Go name of the architecture.
func (a Arch) String() string {
	switch a {
	case AMD64:
		return "amd64"
	case ARM64:
		return "arm64"
	}
	return fmt.Sprintf("arch(%d)", uint8(a))
}

// ParseArch accepts Go and kernel spellings: amd64/x86_64, arm64/aarch64.
func ParseArch(s string) (Arch, error) {
	switch s {
	case "amd64", "x86_64":
		return AMD64, nil
	case "arm64", "aarch64":
		return ARM64, nil
	}
	return 0, fmt.Errorf("unknown architecture %q: use amd64 or arm64", s)
}

func (a Arch) valid() bool { return a == AMD64 || a == ARM64 }

// abi is one syscall table with the seccomp_data.arch value it is entered with.
type abi struct {
	name      string
	auditArch uint32
	nums      func() map[string]uint32 // generated from x/sys; never mutated
}

var (
	abiX8664   = abi{"x86_64", auditArchX8664, sysnumX8664}
	abiAArch64 = abi{"aarch64", auditArchAArch64, sysnumAArch64}
	abiI386    = abi{"i386", auditArchI386, sysnumI386}
)

func (a Arch) native() abi {
	if a == ARM64 {
		return abiAArch64
	}
	return abiX8664
}

// maxNr is the highest syscall number in the table: anything above it is
// newer than this compiler.
func (t abi) maxNr() uint32 {
	var m uint32
	for _, n := range t.nums() {
		m = max(m, n)
	}
	return m
}

// knownAnywhere reports whether name is a syscall on any ABI we have a table
// for. A name known elsewhere but absent from the target ABI (open on aarch64)
// is skipped rather than refused, so one profile serves every architecture.
func knownAnywhere(name string) bool {
	for _, t := range []abi{abiX8664, abiAArch64, abiI386} {
		if _, ok := t.nums()[name]; ok {
			return true
		}
	}
	return false
}
