package seccomp

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The kernel tests install real filters. A filter cannot be removed, so each
// runs in a re-executed copy of the test binary: the parent starts
// `TESTBIN -test.run=^TestX$` with childEnv set, the child installs the filter
// and reports through its exit status and output.
const childEnv = "FSVIEWS_SECCOMP_TEST_CHILD"

func requireKernelTest(t *testing.T) {
	t.Helper()
	if os.Getenv(childEnv) != "" {
		return
	}
	if os.Geteuid() != 0 {
		// Filters work unprivileged, but the assertions need root: as root,
		// mount and unshare succeed without the filter, so EPERM proves it.
		if os.Getenv("CI") == "true" {
			t.Fatal("kernel seccomp tests must run as root in CI")
		}
		t.Skip("kernel seccomp tests need root: run `sudo go test ./seccomp/ -run Kernel`")
	}
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skipf("no syscall tables for %s", runtime.GOARCH)
	}
	if err := Available(); err != nil {
		t.Fatalf("seccomp not available: %v", err)
	}
}

// inChild runs body in a re-executed test process and returns its output
// and exit state; in the child itself it runs body and exits.
func inChild(t *testing.T, body func() error, stdin []byte) ([]byte, *os.ProcessState) {
	t.Helper()
	if os.Getenv(childEnv) == t.Name() {
		if err := body(); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+t.Name())
	cmd.Stdin = bytes.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run child: %v", err)
	}
	return out.Bytes(), cmd.ProcessState
}

// installOnThread locks the goroutine to its thread, sets no_new_privs and
// installs spec there, as the launcher does right before execve.
func installOnThread(spec Spec, flags InstallFlags) error {
	runtime.LockOSThread()
	p, err := spec.Compile(NativeArch())
	if err != nil {
		return err
	}
	if err := p.Install(); err == nil || !strings.Contains(err.Error(), "no_new_privs is not set") {
		return fmt.Errorf("install without no_new_privs: got %v, want an error naming no_new_privs", err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("set no_new_privs: %w", err)
	}
	return p.InstallWith(flags)
}

func wantErrno(what string, err error, want unix.Errno) error {
	if !errors.Is(err, want) {
		return fmt.Errorf("%s: got %v, want %v", what, err, want)
	}
	return nil
}

func TestKernelDefaultPreset(t *testing.T) {
	requireKernelTest(t)
	out, st := inChild(t, func() error {
		if err := installOnThread(Spec{Preset: "default"}, FlagTSync); err != nil {
			return err
		}
		var errs []error
		errs = append(errs, wantErrno("unshare(CLONE_NEWNS)", unix.Unshare(unix.CLONE_NEWNS), unix.EPERM))
		errs = append(errs, wantErrno("unshare(CLONE_NEWUSER)", unix.Unshare(unix.CLONE_NEWUSER), unix.EPERM))
		// Without the filter root gets ENOENT for the missing target.
		errs = append(errs, wantErrno("mount", unix.Mount("none", "/nonexistent-fsviews", "tmpfs", 0, ""), unix.EPERM))
		errs = append(errs, wantErrno("umount2", unix.Unmount("/nonexistent-fsviews", unix.MNT_DETACH), unix.EPERM))
		fs := []byte("tmpfs\x00")
		_, _, e := unix.Syscall(unix.SYS_FSOPEN, uintptr(unsafe.Pointer(&fs[0])), 0, 0)
		errs = append(errs, wantErrno("fsopen", e, unix.EPERM))
		_, _, e = unix.Syscall(unix.SYS_PTRACE, unix.PTRACE_PEEKUSR, 1, 0)
		errs = append(errs, wantErrno("ptrace", e, unix.EPERM))
		_, _, e = unix.Syscall(unix.SYS_BPF, ^uintptr(0), 0, 0)
		errs = append(errs, wantErrno("bpf", e, unix.EPERM))
		_, _, e = unix.Syscall(unix.SYS_CLONE3, 0, 0, 0)
		errs = append(errs, wantErrno("clone3", e, unix.ENOSYS))
		// TIOCSTI with garbage in the high word: the kernel would still see TIOCSTI.
		c := byte('x')
		_, _, e = unix.Syscall(unix.SYS_IOCTL, 0, 0x1_0000_5412, uintptr(unsafe.Pointer(&c)))
		errs = append(errs, wantErrno("ioctl(TIOCSTI)", e, unix.EPERM))
		_, _, e = unix.Syscall(unix.SYS_PERSONALITY, 0x0400000, 0, 0) // READ_IMPLIES_EXEC
		errs = append(errs, wantErrno("personality(READ_IMPLIES_EXEC)", e, unix.EPERM))
		if _, _, e := unix.Syscall(unix.SYS_PERSONALITY, 0xffffffff, 0, 0); e != 0 {
			errs = append(errs, fmt.Errorf("personality query: %v", e))
		}
		if unix.Getpid() != os.Getpid() || unix.Getpid() <= 0 {
			errs = append(errs, errors.New("getpid does not work"))
		}
		// Threads and fork still work: clone without namespace flags.
		if out, err := exec.Command("/bin/true").CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("fork+exec /bin/true: %v %s", err, out))
		}
		return errors.Join(errs...)
	}, nil)
	if !st.Success() {
		t.Fatalf("child failed (%v):\n%s", st, out)
	}
}

func TestKernelForeignABIKills(t *testing.T) {
	requireKernelTest(t)
	if runtime.GOARCH != "amd64" {
		t.Skip("x32 exists on x86_64 only")
	}
	out, st := inChild(t, func() error {
		if err := installOnThread(Spec{Preset: "default"}, 0); err != nil {
			return err
		}
		// getpid through the x32 ABI: the filter must kill the process
		// before the kernel looks at the number.
		unix.RawSyscall(x32SyscallBit|unix.SYS_GETPID, 0, 0, 0)
		return errors.New("x32 getpid returned")
	}, nil)
	ws := st.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGSYS {
		t.Fatalf("child was not killed by SIGSYS (%v):\n%s", st, out)
	}
}

// execUnder installs spec on a locked thread and execs argv from it: the
// filter of the exec'ing thread becomes the new program's.
func execUnder(spec Spec, argv ...string) error {
	if err := installOnThread(spec, 0); err != nil {
		return err
	}
	return syscall.Exec(argv[0], argv, os.Environ())
}

func TestKernelStdioRunsCatAndGzip(t *testing.T) {
	requireKernelTest(t)
	t.Run("cat", func(t *testing.T) {
		out, st := inChild(t, func() error { return execUnder(Spec{Preset: "stdio"}, "/bin/cat") }, []byte("hello, filter\n"))
		if !st.Success() || string(out) != "hello, filter\n" {
			t.Fatalf("cat under stdio: %v, output %q", st, out)
		}
	})
	t.Run("gzip", func(t *testing.T) {
		var z bytes.Buffer
		w := gzip.NewWriter(&z)
		w.Write([]byte("compressed payload\n"))
		w.Close()
		out, st := inChild(t, func() error { return execUnder(Spec{Preset: "stdio"}, "/bin/gzip", "-d", "-c") }, z.Bytes())
		if !st.Success() || string(out) != "compressed payload\n" {
			t.Fatalf("gzip -d under stdio: %v, output %q", st, out)
		}
	})
	t.Run("no file creation", func(t *testing.T) {
		target := filepath.Join(os.TempDir(), "fsviews-seccomp-stdio-test")
		os.Remove(target)
		out, st := inChild(t, func() error { return execUnder(Spec{Preset: "stdio"}, "/usr/bin/touch", target) }, nil)
		if st.Success() {
			t.Fatalf("touch under stdio succeeded: %s", out)
		}
		if _, err := os.Stat(target); err == nil {
			os.Remove(target)
			t.Fatal("touch under stdio created the file")
		}
		if !strings.Contains(string(out), "Operation not permitted") {
			t.Errorf("touch failed for another reason: %s", out)
		}
	})
}

func TestKernelDaemonRunsHTTPServer(t *testing.T) {
	requireKernelTest(t)
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	// One process: an http.server on a thread, fetched from the main thread.
	script := `
import http.server, threading, urllib.request, os
srv = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
threading.Thread(target=srv.serve_forever, daemon=True).start()
with urllib.request.urlopen("http://127.0.0.1:%d/" % srv.server_address[1]) as r:
    print("status", r.status)
srv.shutdown()
`
	out, st := inChild(t, func() error { return execUnder(Spec{Preset: "daemon"}, python, "-c", script) }, nil)
	if !st.Success() || !strings.Contains(string(out), "status 200") {
		t.Fatalf("python http.server under daemon: %v\n%s", st, out)
	}
}

func TestKernelStrictRunsStaticProgram(t *testing.T) {
	requireKernelTest(t)
	dir := os.Getenv("FSVIEWS_SECCOMP_STATIC_DIR")
	if os.Getenv(childEnv) == "" {
		cc, err := exec.LookPath("cc")
		if err != nil {
			t.Skip("no C compiler for the static test program")
		}
		dir = t.TempDir()
		src := filepath.Join(dir, "echo.c")
		prog := "#include <unistd.h>\nint main(void){char b[4096];ssize_t n;while((n=read(0,b,sizeof b))>0)if(write(1,b,n)!=n)return 1;return n<0;}\n"
		if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(cc, "-static", "-O2", "-o", filepath.Join(dir, "echo"), src).CombinedOutput(); err != nil {
			t.Skipf("cannot build a static program (no static libc?): %v\n%s", err, out)
		}
		t.Setenv("FSVIEWS_SECCOMP_STATIC_DIR", dir)
	}
	out, st := inChild(t, func() error { return execUnder(Spec{Preset: "strict"}, filepath.Join(dir, "echo")) }, []byte("strict\n"))
	if !st.Success() || string(out) != "strict\n" {
		t.Fatalf("static program under strict: %v, output %q", st, out)
	}
}
