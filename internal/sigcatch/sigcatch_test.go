package sigcatch

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The signals these tests send themselves: none that the test framework
// or the Go runtime uses.
const (
	sigRT  = syscall.Signal(40) // SIGRTMIN+6
	waitAt = 10 * time.Second
)

func receive(t *testing.T, c <-chan os.Signal, want os.Signal) {
	t.Helper()
	select {
	case got := <-c:
		if got != want {
			t.Fatalf("got signal %v, want %v", got, want)
		}
	case <-time.After(waitAt):
		t.Fatalf("signal %v never came", want)
	}
}

func none(t *testing.T, c <-chan os.Signal) {
	t.Helper()
	select {
	case got := <-c:
		t.Fatalf("got signal %v, want none", got)
	case <-time.After(50 * time.Millisecond):
	}
}

// disposition is the handler the kernel has for sig: 0 is SIG_DFL.
func disposition(t *testing.T, sig syscall.Signal) uint64 {
	t.Helper()
	var old [4]uint64
	if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&old)), 8, 0, 0); e != 0 {
		t.Fatalf("rt_sigaction(%d): %v", sig, e)
	}
	return old[0]
}

// Signals from this process and from another, standard and real-time,
// each delivered once per sending, while the Go runtime collects garbage,
// grows stacks and preempts goroutines (SIGURG) on every thread.
func TestNotifyDelivers(t *testing.T) {
	c := make(chan os.Signal, 4)
	if err := Notify(c, syscall.SIGUSR1, sigRT); err != nil {
		t.Fatal(err)
	}
	defer Stop(c)
	stop := make(chan struct{})
	defer close(stop)
	for range runtime.GOMAXPROCS(0) {
		go func() {
			var keep [][]byte
			for {
				select {
				case <-stop:
					return
				default:
				}
				keep = append(keep, make([]byte, 1<<12))
				if len(keep) > 256 {
					keep = nil
					runtime.GC()
				}
			}
		}()
	}
	for i := range 500 {
		sig := syscall.SIGUSR1
		if i%2 == 1 {
			sig = sigRT
		}
		if err := syscall.Kill(os.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
		receive(t, c, sig)
	}
	// From another process, as systemd or kill(1) send them.
	for _, sig := range []syscall.Signal{syscall.SIGUSR1, sigRT} {
		out, err := exec.Command("kill", "-"+strconv.Itoa(int(sig)), strconv.Itoa(os.Getpid())).CombinedOutput()
		if err != nil {
			t.Fatalf("kill: %v: %s", err, out)
		}
		receive(t, c, sig)
	}
	none(t, c)
}

// A terminating signal, once caught, no longer ends the process: the
// reason the supervisor catches them.
func TestNotifyCatchesTerminating(t *testing.T) {
	if os.Getenv("SIGCATCH_CHILD") == "term" {
		c := make(chan os.Signal, 1)
		if err := Notify(c, syscall.SIGTERM); err != nil {
			os.Exit(2)
		}
		syscall.Kill(os.Getpid(), syscall.SIGTERM)
		if <-c == syscall.SIGTERM {
			os.Exit(7)
		}
		os.Exit(3)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNotifyCatchesTerminating$")
	cmd.Env = append(os.Environ(), "SIGCATCH_CHILD=term")
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 7 {
		t.Fatalf("child ended with %v, want exit status 7 (SIGTERM caught and received)", err)
	}
}

// Every channel that asked for a signal gets it; Stop ends that, and a
// signal nobody wants any more has its default action back.
func TestStop(t *testing.T) {
	a, b := make(chan os.Signal, 1), make(chan os.Signal, 1)
	if err := Notify(a, syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	if err := Notify(b, syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(os.Getpid(), syscall.SIGUSR2)
	receive(t, a, syscall.SIGUSR2)
	receive(t, b, syscall.SIGUSR2)
	Stop(a)
	syscall.Kill(os.Getpid(), syscall.SIGUSR2)
	receive(t, b, syscall.SIGUSR2)
	none(t, a)
	if runtime.GOARCH == "amd64" && disposition(t, syscall.SIGUSR2) == 0 {
		t.Fatal("SIGUSR2 is back to SIG_DFL while a channel still wants it")
	}
	Stop(b)
	if runtime.GOARCH == "amd64" && disposition(t, syscall.SIGUSR2) != 0 {
		t.Fatal("SIGUSR2 still caught after the last Stop, want SIG_DFL")
	}
}

func TestNotifyRefuses(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("os/signal's Notify, which refuses nothing, on " + runtime.GOARCH)
	}
	c := make(chan os.Signal, 1)
	for _, tc := range []struct {
		sig  os.Signal
		want string
	}{
		{syscall.Signal(0), "catch signal signal 0: not a signal number from 1 to 64"},
		{syscall.Signal(65), "not a signal number from 1 to 64"},
		{syscall.SIGKILL, "catch signal 9 (SIGKILL): rt_sigaction: invalid argument"},
		{syscall.SIGSTOP, "catch signal 19 (SIGSTOP): rt_sigaction: invalid argument"},
	} {
		err := Notify(c, tc.sig)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Notify(%v) = %v, want an error with %q", tc.sig, err, tc.want)
		}
	}
	if got := disposition(t, syscall.SIGKILL); got != 0 {
		t.Errorf("SIGKILL's handler is %#x after the refusal, want SIG_DFL", got)
	}
}

// What catching fifty signals costs, the number fsviews' processes catch
// at every start (os/signal: a round trip to the runtime's signal thread
// each, docs/performance.md).
func BenchmarkNotify50(b *testing.B) {
	var sigs []os.Signal
	for _, s := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGUSR1, syscall.SIGUSR2,
		syscall.SIGWINCH, syscall.SIGCONT, syscall.SIGALRM, syscall.SIGABRT, syscall.SIGTSTP, syscall.SIGTTIN,
		syscall.SIGTTOU, syscall.SIGVTALRM, syscall.SIGPROF, syscall.SIGIO, syscall.SIGPWR, syscall.SIGXCPU, syscall.SIGXFSZ} {
		sigs = append(sigs, s)
	}
	for n := 34; n <= 64; n++ {
		sigs = append(sigs, syscall.Signal(n))
	}
	for b.Loop() {
		c := make(chan os.Signal, 1)
		if err := Notify(c, sigs...); err != nil {
			b.Fatal(err)
		}
		Stop(c)
	}
}
