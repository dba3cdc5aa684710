package seccomp

import "testing"

func TestParseLogRecord(t *testing.T) {
	for _, tc := range []struct {
		line      string
		ok        bool
		want      LogRecord
		name, abi string
		known     bool
	}{
		{line: `[  832.873266] audit: type=1326 audit(1796003053.366:29): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=29531 comm="probe" exe="/probe/probe" sig=0 arch=c000003e syscall=83 compat=0 ip=0x4384c7 code=0x7ffc0000`,
			ok: true, want: LogRecord{PID: 29531, Comm: "probe", Exe: "/probe/probe", AuditArch: 0xc000003e, Nr: 83, Action: ActionLog}, name: "mkdir", abi: "x86_64", known: true},
		{line: `audit: type=1326 audit(1.2:31): pid=11029 comm="seccomp.test" exe="/tmp/x" sig=31 arch=c000003e syscall=1073741863 compat=0 ip=0x40ac4e code=0x80000000`,
			ok: true, want: LogRecord{PID: 11029, Comm: "seccomp.test", Exe: "/tmp/x", AuditArch: 0xc000003e, Nr: 0x40000027, Action: ActionKillProcess}, name: "getpid", abi: "x32", known: true},
		{line: `kernel: audit: type=1326 audit(1.2:3): pid=7 comm=6D7920646165 exe="/a b" sig=31 arch=40000003 syscall=310 compat=1 code=0x50001`,
			ok: true, want: LogRecord{PID: 7, Comm: "my dae", Exe: "/a b", AuditArch: 0x40000003, Nr: 310, Action: ActionErrno}, name: "unshare", abi: "i386", known: true},
		{line: `audit: type=1326 pid=8 arch=c00000b7 syscall=40 code=0x7fff0000`,
			ok: true, want: LogRecord{PID: 8, AuditArch: 0xc00000b7, Nr: 40, Action: ActionAllow}, name: "mount", abi: "aarch64", known: true},
		{line: `audit: type=1326 pid=9 arch=c000003e syscall=4000 code=0x7ffc0000`,
			ok: true, want: LogRecord{PID: 9, AuditArch: 0xc000003e, Nr: 4000, Action: ActionLog}, name: "syscall 4000", abi: "x86_64"},
		{line: `audit: type=1300 arch=c000003e syscall=83 success=yes`},
		{line: `audit: type=1326 arch=zz syscall=83`},
		{line: ``},
	} {
		r, ok := ParseLogRecord(tc.line)
		if ok != tc.ok || r != tc.want {
			t.Errorf("ParseLogRecord(%q) = %+v, %v; want %+v, %v", tc.line, r, ok, tc.want, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		if name, abi, known := r.Syscall(); name != tc.name || abi != tc.abi || known != tc.known {
			t.Errorf("%q: Syscall() = %q %q %v, want %q %q %v", tc.line, name, abi, known, tc.name, tc.abi, tc.known)
		}
	}
}

// FuzzParseLogRecord: any line parses or not without panicking, and a
// record always names its syscall.
func FuzzParseLogRecord(f *testing.F) {
	f.Add(`audit: type=1326 audit(1.2:29): pid=29531 comm="probe" exe="/probe/probe" sig=0 arch=c000003e syscall=83 compat=0 ip=0x4384c7 code=0x7ffc0000`)
	f.Add(`audit: type=1326 pid=7 comm=6D7920 exe="/a b" arch=40000003 syscall=310 code=0x50001`)
	f.Add(`type=1326 arch=c000003e syscall=1073741863 code=0x80000000 comm=6`)
	f.Fuzz(func(t *testing.T, line string) {
		r, ok := ParseLogRecord(line)
		if !ok {
			return
		}
		if name, abi, _ := r.Syscall(); name == "" || abi == "" {
			t.Errorf("%q: empty name %q or abi %q", line, name, abi)
		}
	})
}
