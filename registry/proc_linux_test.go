package registry

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseStat(t *testing.T) {
	tail := " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 424242 20 21"
	for _, tc := range []struct {
		in    string
		start uint64
		ok    bool
	}{
		{"1 (sleep)" + tail, 424242, true},
		{"1 (a) (b)" + tail, 424242, true},
		{"1 (x) S 1 2 3 ) ()" + tail, 424242, true},
		{"1 (x)) 9" + tail[2:], 0, false},
		{"1 ( ) ( ) ()" + tail, 424242, true},
		{"1 (sleep) S 1 2", 0, false},
		{"1 sleep" + tail, 0, false},
		{"1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 -5", 0, false},
	} {
		st, err := parseStat([]byte(tc.in))
		if (err == nil) != tc.ok || st.StartTime != tc.start {
			t.Errorf("%q: %+v %v", tc.in, st, err)
		}
		if tc.ok && st.State != 'S' {
			t.Errorf("%q: state %c", tc.in, st.State)
		}
	}
}

// A process may pick a comm that looks like the end of the field; the
// parser must count from the last ')'.
func TestProcStartTimeHostileComm(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("sleep(1) not found")
	}
	bin := filepath.Join(t.TempDir(), "x) (y) S 9 9")
	data, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	pid := cmd.Process.Pid
	comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if !strings.Contains(string(comm), ") (") {
		t.Fatalf("comm %q", comm)
	}
	got, err := ProcStartTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	self, err := ProcStartTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Started after this test process, before now (uptime in ticks).
	up, _ := os.ReadFile("/proc/uptime")
	secs, _ := strconv.ParseFloat(strings.Fields(string(up))[0], 64)
	if got < self || float64(got) > secs*100*10 {
		t.Errorf("start time %d (self %d, uptime %.0fs)", got, self, secs)
	}
	if _, err := ProcStartTime(-1); err == nil {
		t.Error("pid -1 accepted")
	}
}

func TestNamespaces(t *testing.T) {
	ns, err := Namespaces(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"mnt", "pid", "net", "uts", "ipc"} {
		if ns[k] == 0 {
			t.Errorf("%s missing: %v", k, ns)
		}
	}
	// The inode in the link text is the nsfs inode stat reports.
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/ns/mnt", &st); err != nil {
		t.Fatal(err)
	}
	if ns["mnt"] != st.Ino {
		t.Errorf("mnt %d, stat says %d", ns["mnt"], st.Ino)
	}
	if _, err := Namespaces(0); err == nil {
		t.Error("pid 0 accepted")
	}
}
