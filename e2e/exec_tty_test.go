package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// callerTerminal is a pseudo-terminal the test holds the master of, to be
// fsviews exec's controlling terminal, stdin and stdout as an admin's
// would be; what fsviews exec writes there is collected.
type callerTerminal struct {
	master, tty *os.File
	mu          sync.Mutex
	seen        bytes.Buffer
}

func newCallerTerminal(t *testing.T, rows, cols uint16) *callerTerminal {
	t.Helper()
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	peer, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(m), unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
	if errno != 0 {
		t.Fatal(errno)
	}
	c := &callerTerminal{master: os.NewFile(uintptr(m), "ptmx"), tty: os.NewFile(peer, "tty")}
	t.Cleanup(func() { c.master.Close(); c.tty.Close() })
	c.resize(t, rows, cols)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := c.master.Read(buf)
			c.mu.Lock()
			c.seen.Write(buf[:n])
			c.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return c
}

func (c *callerTerminal) resize(t *testing.T, rows, cols uint16) {
	t.Helper()
	if err := unix.IoctlSetWinsize(int(c.master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols}); err != nil {
		t.Fatal(err)
	}
}

func (c *callerTerminal) termios(t *testing.T) unix.Termios {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(c.tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return *tio
}

// await waits until the terminal has shown what matches re.
func (c *callerTerminal) await(t *testing.T, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		c.mu.Lock()
		m := rx.FindStringSubmatch(c.seen.String())
		c.mu.Unlock()
		if m != nil {
			return m
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t.Fatalf("the terminal never showed %q:\n%q", re, c.seen.String())
	return nil
}

// start runs fsviews args with the terminal as its controlling one and
// stdio, in a session of its own, as a shell would start it.
func (c *callerTerminal) start(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(fsviews(t), args...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.tty, c.tty, c.tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// fsviews exec --tty: the command gets a terminal of the jail's own
// devpts, sized as the caller's and resized with it; the caller's
// terminal never enters the jail, is raw while the relay runs (Ctrl-C is
// a character the jail's terminal turns into SIGINT) and gets its modes
// back after.
func TestExecTTY(t *testing.T) {
	requireRoot(t)
	a := newAuditEnv(t)
	profile := writeProfile(t, hostDir(t), "exectty", base+"[namespaces]\nnet = \"none\"\n")
	a.start(t, "run", profile, "--", "/bin/sh", "-c", "echo ready; exec sleep 600")

	c := newCallerTerminal(t, 40, 120)
	before := c.termios(t)
	script := `stty size; tty; ls -l /proc/$$/fd | sed -n 's/.* \([0-9]*\) -> \(.*\)/fd \1 \2/p';` +
		` echo "devpts $(stat -L -c %d /proc/self/fd/0) $(stat -c %d /dev/pts)"; echo waiting;` +
		` while [ "$(stty size)" != "50 130" ]; do sleep 0.05; done; echo resized; read line; echo "got $line"; exit 3`
	cmd := c.start(t, a.environ(), "exec", "--tty", "exectty", "--", "/bin/sh", "-c", script)
	c.await(t, "waiting")
	if raw := c.termios(t); raw.Lflag&(unix.ICANON|unix.ECHO|unix.ISIG) != 0 {
		t.Errorf("the caller's terminal is not raw while the relay runs: lflag %#x", raw.Lflag)
	}
	c.resize(t, 50, 130)
	c.await(t, "resized")
	c.master.Write([]byte("hello\r"))
	c.await(t, "got hello")
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("want exec's status 3, the command's, got %v", err)
	}
	c.mu.Lock()
	out := strings.ReplaceAll(c.seen.String(), "\r", "")
	c.mu.Unlock()
	if !strings.Contains(out, "40 120\n") {
		t.Errorf("the jail's terminal did not start at the caller's size 40x120:\n%s", out)
	}
	m := regexp.MustCompile(`(?m)^(/dev/pts/\d+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("tty printed no /dev/pts path:\n%s", out)
	}
	for fd := 0; fd <= 2; fd++ {
		if want := "fd " + string(rune('0'+fd)) + " " + m[1] + "\n"; !strings.Contains(out, want) {
			t.Errorf("fd %d of the command is not its terminal %s:\n%s", fd, m[1], out)
		}
	}
	// The terminal is one of the jail's devpts, not the caller's.
	if d := regexp.MustCompile(`devpts (\d+) (\d+)`).FindStringSubmatch(out); d == nil || d[1] != d[2] {
		t.Errorf("the command's terminal is not on the jail's devpts:\n%s", out)
	}
	if n := strings.Count(out, "\nfd "); n > 4 { // 0, 1, 2 and ls's own directory
		t.Errorf("the command holds more descriptors than its terminal:\n%s", out)
	}
	if after := c.termios(t); after != before {
		t.Errorf("the caller's terminal modes were not restored:\nbefore %+v\nafter  %+v", before, after)
	}

	// --user: the terminal is the command's user's, as a login's is.
	c3 := newCallerTerminal(t, 24, 80)
	cmd = c3.start(t, a.environ(), "exec", "--tty", "--user", "65534:65534", "exectty", "--", "/bin/sh", "-c", "echo owner $(stat -L -c %u:%g /proc/self/fd/0) uid $(id -u)")
	c3.await(t, `owner \S+ uid \d+`)
	cmd.Wait()
	if m := c3.await(t, `owner (\S+) uid (\d+)`); m[1] != "65534:65534" || m[2] != "65534" {
		t.Errorf("--tty --user 65534: the terminal belongs to %s, the command runs as %s", m[1], m[2])
	}

	// Ctrl-C at the caller's terminal ends the command by SIGINT, through
	// the jail's terminal: fsviews exec ends as it did.
	c2 := newCallerTerminal(t, 24, 80)
	cmd = c2.start(t, a.environ(), "exec", "--tty", "exectty", "--", "/bin/sh", "-c", "echo sleeping; exec sleep 30")
	c2.await(t, "sleeping")
	start := time.Now()
	c2.master.Write([]byte{3})
	err = cmd.Wait()
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGINT || time.Since(start) > 10*time.Second {
		t.Errorf("Ctrl-C: want exec ended by SIGINT at once, got %v after %v", err, time.Since(start))
	}
}

// --tty into a jail without [dev] has no terminal to give: refused, and
// the jail goes on.
func TestExecTTYWithoutDev(t *testing.T) {
	requireRoot(t)
	a := newAuditEnv(t)
	profile := writeProfile(t, hostDir(t), "nodevtty", `include = ["base/libc.toml"]
[namespaces]
net = "none"
`)
	a.start(t, "run", profile, "--", "/bin/sh", "-c", "echo ready; exec sleep 600")
	r := a.run(t, "exec", "--tty", "nodevtty", "--", "/bin/echo", "RAN")
	if r.code != 125 || strings.Contains(r.stdout, "RAN") || !strings.Contains(r.stderr, "jail nodevtty has no /dev/pts/ptmx: --tty needs the private pseudo-terminals of a [dev] table in the jail's profile") {
		t.Errorf("--tty without [dev]: want refused with the reason, got %v", r)
	}
	// Refused from the jail's plan, before anything started: no exec is
	// recorded.
	if r := a.run(t, "ps", "--json"); r.code != 0 || strings.Contains(r.stdout, `"execs"`) {
		t.Errorf("the refused --tty exec was recorded: %v", r)
	}
	if r := a.run(t, "exec", "nodevtty", "--", "/bin/echo", "RAN"); r.code != 0 || r.stdout != "RAN\n" {
		t.Errorf("exec without --tty after the refusal: %v", r)
	}
}

// A jail whose root keeps CAP_SYS_ADMIN owns its /dev/pts as well: it can
// mount over it and plant a FIFO (which a blocking open would wait on for
// ever) or a link to another device as ptmx. exec --tty then gives the
// command no terminal and says why, without hanging or following the
// link.
func TestExecTTYRefusesAPlantedPtmx(t *testing.T) {
	requireRoot(t)
	for _, c := range []struct{ plant, why string }{
		{"mkfifo /dev/pts/ptmx", "/dev/pts/ptmx is not on a devpts file system"},
		{"ln -s ../null /dev/pts/ptmx", "open /dev/pts/ptmx: too many levels of symbolic links"},
	} {
		t.Run(c.plant, func(t *testing.T) {
			a := newAuditEnv(t)
			profile := writeProfile(t, hostDir(t), "execplant", base+`[security]
capabilities = ["CAP_SYS_ADMIN"]
[seccomp]
preset = "none"
[namespaces]
net = "none"
`)
			a.start(t, "run", profile, "--", "/bin/sh", "-c", "mount -t tmpfs planted /dev/pts && "+c.plant+" && echo ready; exec sleep 600")
			done := make(chan result, 1)
			go func() { done <- a.run(t, "exec", "--tty", "execplant", "--", "/bin/sh", "-c", "echo RAN") }()
			select {
			case r := <-done:
				if r.code != 125 || strings.Contains(r.stdout, "RAN") || !strings.Contains(r.stderr, c.why) {
					t.Errorf("exec --tty with %q planted: want 125 and %q, got %v", c.plant, c.why, r)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("exec --tty with %q planted: still waiting after 30s", c.plant)
			}
		})
	}
}
