package audit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// needRoot skips a test that creates device nodes or mounts.
func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI runs as root; this test needs root")
		}
		t.Skip("needs root: run `sudo go test ./audit/`")
	}
}

// mk creates one tree object under root from a tiny spec:
//
//	"dir a/b", "file a/f CONTENT", "exec a/x CONTENT", "symlink a/l TARGET",
//	"fifo a/p", "char a/c", "sock a/s"
//
// Parent directories must exist.
func mk(t testing.TB, root string, specs ...string) {
	t.Helper()
	for _, s := range specs {
		kind, rest, _ := strings.Cut(s, " ")
		name, arg, _ := strings.Cut(rest, " ")
		p := filepath.Join(root, name)
		var err error
		switch kind {
		case "dir":
			err = os.Mkdir(p, 0o755)
		case "file":
			err = os.WriteFile(p, []byte(arg), 0o644)
		case "exec":
			err = os.WriteFile(p, []byte(arg), 0o755)
		case "symlink":
			err = os.Symlink(arg, p)
		case "fifo":
			err = unix.Mkfifo(p, 0o644)
		case "char":
			err = unix.Mknod(p, unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3)))
		case "block":
			err = unix.Mknod(p, unix.S_IFBLK|0o600, int(unix.Mkdev(7, 0)))
		case "sock":
			var fd int
			fd, err = unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
			if err == nil {
				err = unix.Bind(fd, &unix.SockaddrUnix{Name: p})
				unix.Close(fd)
			}
		default:
			t.Fatalf("mk: bad spec %q", s)
		}
		if err != nil {
			t.Fatalf("mk %q: %v", s, err)
		}
	}
}

// walkT walks dir with a deadline, so a walk that blocks (on a FIFO, say)
// fails the test instead of hanging it.
func walkT(t testing.TB, name, dir string, opt WalkOptions) Root {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := Walk(ctx, name, dir, opt)
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return r
}

func entryMap(r Root) map[string]Entry {
	m := make(map[string]Entry, len(r.Entries))
	for i, e := range r.Entries {
		m[r.Path(i)] = e
	}
	return m
}

// openFds counts this process's open fds.
func openFds(t testing.TB) int {
	t.Helper()
	des, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(des)
}

// mkdirChain creates depth nested directories named name under root with
// mkdirat on fds: the path soon exceeds PATH_MAX, which os.MkdirAll cannot
// handle. It returns the deepest directory's fd, open.
func mkdirChain(t testing.TB, root, name string, depth int) int {
	t.Helper()
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < depth; i++ {
		if err := unix.Mkdirat(fd, name, 0o755); err != nil {
			t.Fatalf("mkdirat level %d: %v", i, err)
		}
		nfd, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatalf("openat level %d: %v", i, err)
		}
		unix.Close(fd)
		fd = nfd
	}
	return fd
}
