package cgroups

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Under systemd with Delegate=yes on cgroup v2, fsviews is the one process
// of its unit's cgroup, where the kernel refuses to enable a controller for
// a child (no internal processes): delegate moves fsviews into a leaf of
// its own and enables it. With another process there it moves nothing and
// says why. Runs on a cgroup2 mount of the test's own, in a private mount
// namespace, with a controller the unified hierarchy has.
func TestDelegateMovesSupervisorToLeaf(t *testing.T) {
	requireRoot(t)
	skip := make(chan string, 1)
	go func() {
		defer close(skip)
		// This thread's mount namespace is private and it never returns
		// to the pool: the runtime ends a thread left locked.
		runtime.LockOSThread()
		if why := delegateOnPrivateCgroup2(t); why != "" {
			skip <- why
		}
	}()
	if why := <-skip; why != "" {
		t.Skip(why)
	}
}

// delegateOnPrivateCgroup2 is the test, on a locked thread; it returns why
// it cannot run, or "".
func delegateOnPrivateCgroup2(t *testing.T) string {
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		t.Errorf("unshare the mount namespace: %v", err)
		return ""
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		t.Errorf("make / private: %v", err)
		return ""
	}
	mnt := t.TempDir()
	if err := unix.Mount("cgroup2", mnt, "cgroup2", 0, ""); err != nil {
		t.Errorf("mount cgroup2: %v", err)
		return ""
	}
	defer unix.Unmount(mnt, unix.MNT_DETACH)
	self := strconv.Itoa(os.Getpid())
	origin := v2Path(t)
	if origin == "" {
		return ""
	}
	own := filepath.Join(mnt, "fsviews-leaf-test-"+self)
	if err := os.Mkdir(own, 0o755); err != nil {
		t.Errorf("%v", err)
		return ""
	}
	leaf := filepath.Join(own, "fsviews-supervisor-"+self)
	rootCtl, enabled := filepath.Join(mnt, "cgroup.subtree_control"), ""
	// In this order: the test back where it was, the cgroups gone, then
	// the root as it was (a controller in use below cannot be disabled).
	defer func() {
		os.WriteFile(filepath.Join(mnt, origin, "cgroup.procs"), []byte(self), 0)
		unix.Rmdir(leaf)
		unix.Rmdir(own)
		if enabled != "" {
			if err := os.WriteFile(rootCtl, []byte("-"+enabled), 0); err != nil {
				t.Errorf("disable %s again in the root cgroup: %v", enabled, err)
			}
		}
	}()
	c := firstController(filepath.Join(own, "cgroup.controllers"))
	if c == "" {
		// On a hybrid host the unified hierarchy has only what no v1
		// hierarchy took, and its root enables nothing by default.
		for _, try := range []string{"hugetlb", "misc", "rdma"} {
			if os.WriteFile(rootCtl, []byte("+"+try), 0) == nil {
				c, enabled = try, try
				break
			}
		}
	}
	if c == "" {
		b, _ := os.ReadFile(filepath.Join(mnt, "cgroup.controllers"))
		return fmt.Sprintf("the unified hierarchy offers no controller to enable (cgroup.controllers: %q)", b)
	}
	if err := os.WriteFile(filepath.Join(own, "cgroup.procs"), []byte(self), 0); err != nil {
		t.Errorf("move the test into %s: %v", own, err)
		return ""
	}

	// Another process in own: nothing moves, the error says why.
	other := exec.Command("sleep", "60")
	if err := other.Start(); err != nil {
		t.Errorf("%v", err)
		return ""
	}
	err := os.WriteFile(filepath.Join(own, "cgroup.procs"), []byte(strconv.Itoa(other.Process.Pid)), 0)
	if err == nil {
		err = delegate(own, c)
		if err == nil || !strings.Contains(err.Error(), "which holds other processes than fsviews") {
			t.Errorf("delegate beside another process: %v, want the no-internal-processes refusal", err)
		}
		if _, statErr := os.Stat(leaf); statErr == nil {
			t.Errorf("delegate made %s though another process stays in %s", leaf, own)
		}
	} else {
		t.Errorf("move sleep into %s: %v", own, err)
	}
	other.Process.Kill()
	other.Wait()

	// Alone: fsviews moves into its leaf and the controller is enabled.
	if err := delegate(own, c); err != nil {
		t.Errorf("delegate alone in its cgroup: %v", err)
		return ""
	}
	if !available(filepath.Join(own, "cgroup.subtree_control"), c) {
		t.Errorf("%s is not enabled in %s/cgroup.subtree_control", c, own)
	}
	if got := v2Path(t); got != "/fsviews-leaf-test-"+self+"/fsviews-supervisor-"+self {
		t.Errorf("the test process is in %q, want its leaf", got)
	}
	return ""
}

// v2Path is the calling process's cgroup on the unified hierarchy.
func v2Path(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Error(err)
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			return p
		}
	}
	t.Errorf("/proc/self/cgroup has no unified line:\n%s", b)
	return ""
}

// firstController is the first controller file f lists.
func firstController(f string) string {
	b, _ := os.ReadFile(f)
	if fs := strings.Fields(string(b)); len(fs) > 0 {
		return fs[0]
	}
	return ""
}
