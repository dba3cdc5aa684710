package seccomp

import (
	"fmt"
	"regexp"
	"strconv"
	"sync"
)

// LogRecord is one kernel audit record of a seccomp action (type=1326,
// AUDIT_SECCOMP), as dmesg, journalctl -k or auditd print it: the kernel
// writes one when a filter returns SECCOMP_RET_LOG or a kill action, and for
// other actions when the filter was installed with FlagLog.
type LogRecord struct {
	PID       int
	Comm, Exe string
	AuditArch uint32 // seccomp_data.arch, e.g. 0xc000003e for x86_64
	Nr        uint32 // the syscall number as the program passed it
	Action    Action // decoded from code=; 0 when unknown
}

var (
	recordPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`type=1326 .*\barch=([0-9a-fA-F]+) syscall=(\d+)\b`) })
	pidPattern    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\bpid=(\d+)`) })
	commPattern   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\bcomm=("[^"]*"|[0-9A-Fa-f]+)`) })
	exePattern    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\bexe=("[^"]*"|[0-9A-Fa-f]+)`) })
	codePattern   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\bcode=0x([0-9a-fA-F]+)`) })
)

// ParseLogRecord reads one line of the kernel log; ok is false for lines
// that are not seccomp records.
func ParseLogRecord(line string) (r LogRecord, ok bool) {
	m := recordPattern().FindStringSubmatch(line)
	if m == nil {
		return LogRecord{}, false
	}
	arch, err1 := strconv.ParseUint(m[1], 16, 32)
	nr, err2 := strconv.ParseUint(m[2], 10, 32)
	if err1 != nil || err2 != nil {
		return LogRecord{}, false
	}
	r.AuditArch, r.Nr = uint32(arch), uint32(nr)
	if m := pidPattern().FindStringSubmatch(line); m != nil {
		r.PID, _ = strconv.Atoi(m[1])
	}
	r.Comm = auditString(commPattern().FindStringSubmatch(line))
	r.Exe = auditString(exePattern().FindStringSubmatch(line))
	if m := codePattern().FindStringSubmatch(line); m != nil {
		if code, err := strconv.ParseUint(m[1], 16, 32); err == nil {
			r.Action, _ = actionOfRet(uint32(code))
		}
	}
	return r, true
}

// auditString undoes the audit log's quoting: "name", or hex for names
// with spaces or other unusual bytes.
func auditString(m []string) string {
	if m == nil {
		return ""
	}
	s := m[1]
	if len(s) >= 2 && s[0] == '"' {
		return s[1 : len(s)-1]
	}
	b := make([]byte, 0, len(s)/2)
	for i := 0; i+1 < len(s); i += 2 {
		n, err := strconv.ParseUint(s[i:i+2], 16, 8)
		if err != nil {
			return s
		}
		b = append(b, byte(n))
	}
	return string(b)
}

// Syscall names the record's syscall the way a profile writes it, with the
// ABI it was entered through: "mkdir", or "getpid (x32 ABI)",
// "unshare (i386 ABI)" for the compat ABIs, which a profile allows with
// allow_x32 / allow_i386. ok is false for numbers no table knows.
func (r LogRecord) Syscall() (name string, abiName string, ok bool) {
	nr := r.Nr
	var t abi
	switch r.AuditArch {
	case auditArchX8664:
		t = abiX8664
		if nr&x32SyscallBit != 0 {
			t, nr = abi{name: "x32", nums: abiX8664.nums}, nr&^x32SyscallBit
		}
	case auditArchAArch64:
		t = abiAArch64
	case auditArchI386:
		t = abiI386
	default:
		return fmt.Sprintf("syscall %d", r.Nr), fmt.Sprintf("arch %#x", r.AuditArch), false
	}
	for n, v := range t.nums() {
		if v == nr {
			return n, t.name, true
		}
	}
	return fmt.Sprintf("syscall %d", r.Nr), t.name, false
}
