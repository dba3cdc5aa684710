package pivot

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/internal/nstest"
	"github.com/fsviews/fsviews/mounts"
)

// Into runs for real in a re-executed test binary with a mount namespace
// of its own (internal/nstest): it changes the process's root for good,
// which no test process could undo.
func TestMain(m *testing.M) { nstest.Main(m, runScenario) }

func runScenario(name, hostFile string) error {
	switch name {
	case "into":
		r, err := mounts.NewRoot(1<<20, 0o755)
		if err != nil {
			return err
		}
		if err := r.WriteFile("/marker", "view\n", nil, 0o644); err != nil {
			return err
		}
		proc, err := mounts.NewFS("proc", nil, mounts.NoSuid|mounts.NoDev|mounts.NoExec)
		if err != nil {
			return err
		}
		if err := r.Attach(proc, "/proc", mounts.Directory); err != nil {
			return err
		}
		if err := Into(r.FD()); err != nil {
			return err
		}
		fmt.Println("after Into")
		cwd, _ := os.Getwd()
		fmt.Printf("cwd: %s\n", cwd)
		b, err := os.ReadFile("/marker")
		fmt.Printf("marker: %q %s\n", b, nstest.Errno(err))
		_, err = os.Stat(hostFile)
		fmt.Printf("host file: %s\n", nstest.Errno(err))
		// ".." of the root is the root: no way up to the old one.
		var root, up unix.Stat_t
		unix.Stat("/", &root)
		unix.Stat("/../..", &up)
		fmt.Printf("up is root: %v\n", root.Ino == up.Ino && root.Dev == up.Dev)
		// Exactly the view's two mounts: the old root is detached.
		info, err := os.ReadFile("/proc/self/mountinfo")
		if err != nil {
			return err
		}
		for _, line := range strings.Split(strings.TrimSpace(string(info)), "\n") {
			f := strings.Fields(line)
			fmt.Printf("mount: %s %s\n", f[4], f[len(f)-3])
		}
	case "bad":
		// Not a mount: pivot_root refuses it, and the root stays the host's.
		dir, err := os.MkdirTemp("", "fsviews-pivot-")
		if err != nil {
			return err
		}
		defer os.Remove(dir)
		fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		fmt.Printf("a plain directory: %v\n", Into(fd))
		fmt.Printf("a closed fd: %v\n", Into(fd+1000))
		_, err = os.Stat(hostFile)
		fmt.Printf("host file: %s\n", nstest.Errno(err))
	default:
		return fmt.Errorf("unknown scenario %q", name)
	}
	return nil
}

func hostFile(t *testing.T) string {
	t.Helper()
	f, err := os.CreateTemp("", "fsviews-pivot-host-")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	t.Cleanup(func() { os.Remove(f.Name()) })
	return f.Name()
}

// After Into the process sees the view and only the view: its files, its
// two mounts, no host path, no way up.
func TestIntoForReal(t *testing.T) {
	got := nstest.Run(t, "into", hostFile(t))
	want := []string{
		"after Into",
		"cwd: /",
		`marker: "view\n" ok`,
		"host file: ENOENT",
		"up is root: true",
		"mount: / tmpfs",
		"mount: /proc proc",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the process after Into:\n got %q\nwant %q", got, want)
	}
}

// Into refuses a root that is not a mount, or no fd at all, saying which
// call failed, and leaves the process's root the host's.
func TestIntoRefuses(t *testing.T) {
	got := nstest.Run(t, "bad", hostFile(t))
	// The errno for a plain directory depends on the kernel (EINVAL,
	// or EBUSY when it checks that "." is a mount later): the call is
	// what the message must name.
	want := []string{
		"a plain directory: pivot_root .: ",
		"a closed fd: fchdir new root: bad file descriptor",
		"host file: ok",
	}
	nstest.Lines(t, "Into with bad roots", got, want)
}
