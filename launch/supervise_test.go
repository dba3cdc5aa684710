package launch

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// outcome prefers what PID 1 reported over how PID 1 itself ended.
func TestOutcome(t *testing.T) {
	for _, tc := range []struct {
		report string
		ws     unix.WaitStatus // as wait4 encodes it
		want   string
	}{
		{"exit 3\n", 3 << 8, "the daemon exited with status 3"},
		{"signal 15\n", 143 << 8, "the daemon was killed by signal 15 (SIGTERM)"},
		{"error 127 command /x not found inside the view\n", 127 << 8, "command /x not found inside the view"},
		{"", 9, "the daemon was killed by signal 9 (SIGKILL)"},   // PID 1 killed: no report
		{"", 42 << 8, "the daemon exited with status 42"},        // as_pid_1 exited
		{"garbage\n", 1 << 8, "the daemon exited with status 1"}, // unknown lines are ignored
	} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		w.WriteString(tc.report)
		w.Close()
		err = outcome(tc.ws, r)
		if err == nil || err.Error() != tc.want {
			t.Errorf("report %q status %#x: got %v, want %q", tc.report, int(tc.ws), err, tc.want)
		}
		var le *Error
		if strings.HasPrefix(tc.report, "error") && (!errors.As(err, &le) || le.Code != 127) {
			t.Errorf("an error report must become *Error with its code, got %#v", err)
		}
	}
}

// LISTEN_* variables: what passes, and the warnings and errors.
func TestListenFDs(t *testing.T) {
	self := os.Getpid()
	pid := "LISTEN_PID=" + strconv.Itoa(self)
	for _, tc := range []struct {
		env     []string
		n       int
		warning bool
		err     bool
	}{
		{nil, 0, false, false},
		{[]string{pid, "LISTEN_FDS=0"}, 0, false, false},
		{[]string{"LISTEN_PID=1", "LISTEN_FDS=1"}, 0, true, false},
		{[]string{"LISTEN_FDS=1"}, 0, true, false},
		{[]string{pid, "LISTEN_FDS=-1"}, 0, false, true},
		{[]string{pid, "LISTEN_FDS=99999"}, 0, false, true},
		{[]string{pid, "LISTEN_FDS=1000"}, 0, false, true}, // fd 3.. are not all inherited
	} {
		got, err := listenFDs(tc.env, self)
		if (err != nil) != tc.err || got.n != tc.n || (len(got.warnings) > 0) != tc.warning {
			t.Errorf("%q: n=%d warnings=%q err=%v", tc.env, got.n, got.warnings, err)
		}
	}
}
