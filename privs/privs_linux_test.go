package privs

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The drop is ordered: the bounding set while CAP_SETPCAP is still held,
// KEEPCAPS across the identity change, capset, ambient, no_new_privs last.
func TestPlanOrder(t *testing.T) {
	d, err := Plan(Set{UID: 33, GID: 33, Caps: []string{"net_bind_service"}, NoNewPrivs: true, LastCap: unix.CAP_LAST_CAP})
	if err != nil {
		t.Fatal(err)
	}
	var whats []string
	for _, c := range d.Calls {
		if !strings.HasSuffix(c.What, "from the bounding set") {
			whats = append(whats, c.What)
		}
	}
	want := []string{"prctl PR_SET_KEEPCAPS", "setgroups [33]", "setresgid 33", "setresuid 33", "capset",
		"clear ambient capabilities", "raise ambient CAP_NET_BIND_SERVICE", "prctl PR_SET_KEEPCAPS off", "prctl PR_SET_NO_NEW_PRIVS"}
	if strings.Join(whats, "; ") != strings.Join(want, "; ") {
		t.Errorf("calls after the bounding set:\n got %q\nwant %q", whats, want)
	}
	if drops := len(d.Calls) - len(whats); drops != unix.CAP_LAST_CAP {
		t.Errorf("%d bounding-set drops, want %d (every capability but the kept one)", drops, unix.CAP_LAST_CAP)
	}
	for i, c := range d.Calls[:unix.CAP_LAST_CAP] {
		if !strings.HasSuffix(c.What, "from the bounding set") {
			t.Errorf("call %d (%s) comes before the bounding set is dropped", i, c.What)
		}
	}
	if _, err := Plan(Set{UID: -1, Caps: []string{"CAP_NOPE"}, LastCap: unix.CAP_LAST_CAP}); err == nil || !strings.Contains(err.Error(), "unknown capability") {
		t.Errorf("an unknown capability: %v", err)
	}
}

// applyChild, set in a re-executed test binary, applies one Set to its
// locked thread and prints what /proc/thread-self/status says of it.
const applyChild = "FSVIEWS_PRIVS_TEST_APPLY"

func TestMain(m *testing.M) {
	if os.Getenv(applyChild) != "" {
		runtime.LockOSThread()
		err := Apply(Set{UID: 65534, GID: 65534, Caps: []string{"CAP_NET_BIND_SERVICE"}, NoNewPrivs: true, LastCap: lastCap()})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(3)
		}
		b, _ := os.ReadFile("/proc/thread-self/status")
		fmt.Print(string(b))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func lastCap() int {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return unix.CAP_LAST_CAP
	}
	var n int
	fmt.Sscan(string(b), &n)
	return n
}

// Apply, run for real in a re-executed process (it changes the identity
// of its thread for good): root becomes nobody with only
// CAP_NET_BIND_SERVICE in every set, bounding and ambient included, and
// no_new_privs.
func TestApplyForReal(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("CI runs as root: the privilege drop must be tested for real")
		}
		t.Skip("needs root to drop privileges for real: sudo go test ./privs")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), applyChild+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the re-executed Apply: %v\n%s", err, out)
	}
	status := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			status[k] = strings.Join(strings.Fields(v), " ")
		}
	}
	want := map[string]string{
		"Uid": "65534 65534 65534 65534", "Gid": "65534 65534 65534 65534", "Groups": "65534",
		"CapInh": "0000000000000400", "CapPrm": "0000000000000400", "CapEff": "0000000000000400",
		"CapBnd": "0000000000000400", "CapAmb": "0000000000000400", "NoNewPrivs": "1",
	}
	for k, v := range want {
		if status[k] != v {
			t.Errorf("%s: got %q, want %q", k, status[k], v)
		}
	}
}
