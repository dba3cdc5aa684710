package launch

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// testSpawn makes a spawnJob the way prepareSpawn does, with calls of the
// test's own between the pipes and the go byte, for a command that runs
// with LISTEN_PID set by the child.
func testSpawn(t *testing.T, path string, argv []string, calls ...rawCall) *spawnJob {
	t.Helper()
	s := &spawnJob{}
	p := make([]int, 2)
	if err := unix.Pipe2(p, unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	s.errRead, s.errPipe = p[0], p[1]
	if err := unix.Pipe2(p, unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	s.goRead, s.goWrite = p[0], p[1]
	s.calls = append(s.calls,
		rawCall{trap: unix.SYS_CLOSE, a1: uintptr(s.errRead), what: "close the report pipe"},
		rawCall{trap: unix.SYS_CLOSE, a1: uintptr(s.goWrite), what: "close the go pipe"})
	s.calls = append(s.calls, calls...)
	// prepareSpawn's StepSignals: the list cloneDaemon's child resets.
	var err error
	if _, s.caught, err = signalDispositions(); err != nil {
		t.Fatal(err)
	}
	s.calls = append(s.calls, rawCall{trap: unix.SYS_READ, a1: uintptr(s.goRead), a2: uintptr(unsafe.Pointer(&s.goByte[0])), a3: 1, what: "wait for the go byte", one: true})
	if s.path, err = unix.BytePtrFromString(path); err != nil {
		t.Fatal(err)
	}
	if s.argv, err = syscall.SlicePtrFromStrings(argv); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len("LISTEN_PID=")+21)
	copy(buf, "LISTEN_PID=")
	s.pidSlots = []pidSlot{{buf: buf, at: len("LISTEN_PID=")}}
	s.envv = []*byte{&buf[0], nil}
	t.Cleanup(func() {
		if !s.errPipeClosed {
			unix.Close(s.errPipe)
		}
		for _, fd := range []int{s.errRead, s.goRead, s.goWrite} {
			if fd >= 0 {
				unix.Close(fd)
			}
		}
		if s.stack != nil {
			unix.Munmap(s.stack)
		}
	})
	return s
}

// startWith starts s's child with start, as spawn does, and lets it go.
func startWith(t *testing.T, start func(*spawnJob) (int, syscall.Errno), s *spawnJob) (int, error) {
	t.Helper()
	syscall.ForkLock.Lock()
	pid, errno := start(s)
	syscall.ForkLock.Unlock()
	if errno != 0 {
		t.Fatalf("start the child: %v", errno)
	}
	unix.Close(s.errPipe)
	s.errPipeClosed = true
	// The parent's Go runtime goes on while the child gets ready: a
	// collection and fresh allocations must leave the child's data alone.
	runtime.GC()
	garbage := make([][]byte, 0, 64)
	for i := 0; i < 64; i++ {
		garbage = append(garbage, make([]byte, 4096))
	}
	runtime.KeepAlive(garbage)
	return pid, started(s, pid)
}

// Both ways of starting the daemon run the same child: it writes its PID
// into the environment, runs the calls, waits for the go byte, execs, and
// reports the step that failed. cloneDaemon's child shares this test's
// memory while the Go runtime collects beside it.
func TestSpawnChild(t *testing.T) {
	ways := map[string]func(*spawnJob) (int, syscall.Errno){"fork": forkDaemon, "clone": cloneDaemon}
	for name, start := range ways {
		t.Run(name, func(t *testing.T) {
			for round := 0; round < 20; round++ {
				out, err := os.CreateTemp(t.TempDir(), "out")
				if err != nil {
					t.Fatal(err)
				}
				s := testSpawn(t, "/bin/sh", []string{"sh", "-c", "echo $$ $LISTEN_PID >" + out.Name() + "; exit 3"})
				pid, err := startWith(t, start, s)
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				var ws unix.WaitStatus
				if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil || ws.ExitStatus() != 3 {
					t.Fatalf("round %d: the daemon ended with %v (%v), want exit 3", round, ws, err)
				}
				b, err := os.ReadFile(out.Name())
				if err != nil {
					t.Fatal(err)
				}
				want := strconv.Itoa(pid) + " " + strconv.Itoa(pid) + "\n"
				if string(b) != want {
					t.Fatalf("round %d: the daemon said %q, want its PID as $$ and LISTEN_PID: %q", round, b, want)
				}
			}
		})
		t.Run(name+"/signal mask", func(t *testing.T) {
			// The daemon starts with the signal mask of the thread that
			// started it (this test's, locked), not with every signal
			// blocked as the child itself starts; read from outside, as a
			// shell would reset its own.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			want := statusField(t, "/proc/thread-self/status", "SigBlk")
			s := testSpawn(t, "/bin/sleep", []string{"sleep", "10"})
			pid, err := startWith(t, start, s)
			if err != nil {
				t.Fatal(err)
			}
			got := statusField(t, "/proc/"+strconv.Itoa(pid)+"/status", "SigBlk")
			abandon(pid)
			if got != want {
				t.Fatalf("the daemon's SigBlk is %s, want %s", got, want)
			}
		})
		t.Run(name+"/failed step", func(t *testing.T) {
			s := testSpawn(t, "/bin/true", []string{"true"},
				rawCall{trap: unix.SYS_CLOSE, a1: 1 << 20, what: "close a descriptor that is not open"})
			_, err := startWith(t, start, s)
			if err == nil || !errors.Is(err, unix.EBADF) || !strings.Contains(err.Error(), "close a descriptor that is not open") {
				t.Fatalf("got %v, want the failed step named with EBADF", err)
			}
		})
		t.Run(name+"/failed exec", func(t *testing.T) {
			s := testSpawn(t, "/nonexistent/daemon", []string{"daemon"})
			_, err := startWith(t, start, s)
			var e *Error
			if !errors.As(err, &e) || e.Code != 127 || !errors.Is(err, unix.ENOENT) {
				t.Fatalf("got %v, want exit code 127 and ENOENT", err)
			}
		})
	}
}

// statusField is a field of a /proc status file.
func statusField(t *testing.T, path, name string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+":\t"); ok {
			return v
		}
	}
	t.Fatalf("no %s in %s", name, path)
	return ""
}
