package launch

import (
	"bytes"
	"testing"
)

func TestFilterNotify(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"READY=1", "READY=1", true},
		{"READY=1\nMAINPID=42", "READY=1", true},
		// systemd splits on \r too: the attack of issue 14.
		{"READY=1\rMAINPID=42", "READY=1", true},
		{"MAINPIDFD=1\r\nREADY=1\r\nSTATUS=x MAINPID=1", "READY=1\nSTATUS=x MAINPID=1", true},
		{"NOTIFYACCESS=all\nREADY=1", "READY=1", true},
		{"READY=1\x00\nMAINPID=42", "", false},
		{"X_UNKNOWN=1\nnot an assignment", "", false},
		{"MAINPID=1", "", false},
		{"", "", false},
		{"FDSTORE=1\nFDNAME=sock\nWATCHDOG=1\nEXTEND_TIMEOUT_USEC=5\nRELOADING=1\nMONOTONIC_USEC=9\nSTOPPING=1\nERRNO=2\nBUSERROR=x\nBARRIER=1",
			"FDSTORE=1\nFDNAME=sock\nWATCHDOG=1\nEXTEND_TIMEOUT_USEC=5\nRELOADING=1\nMONOTONIC_USEC=9\nSTOPPING=1\nERRNO=2\nBUSERROR=x\nBARRIER=1", true},
	} {
		got, ok := filterNotify([]byte(tc.in))
		if string(got) != tc.want || ok != tc.ok {
			t.Errorf("filterNotify(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// What passes is only known assignments, with no NUL, no \r, and no
// MAINPID of any spelling.
func FuzzFilterNotify(f *testing.F) {
	f.Add([]byte("READY=1\nMAINPID=42\nSTATUS=ok"))
	f.Add([]byte("READY=1\rMAINPID=42"))
	f.Add([]byte("MAINPID=\n\n\x00"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		got, ok := filterNotify(msg)
		if !ok {
			if got != nil {
				t.Fatalf("dropped %q but returned %q", msg, got)
			}
			return
		}
		if bytes.ContainsAny(got, "\x00\r") {
			t.Fatalf("filterNotify(%q) = %q: NUL or CR passed", msg, got)
		}
		for _, line := range bytes.Split(got, []byte("\n")) {
			tag, _, found := bytes.Cut(line, []byte("="))
			if !found || !knownNotifyTag(string(tag)) {
				t.Fatalf("filterNotify(%q) passed %q", msg, line)
			}
		}
	})
}
