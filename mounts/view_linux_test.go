package mounts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/internal/nstest"
)

// The view is built for real in a re-executed test binary with a mount
// namespace of its own (internal/nstest): the child builds, checks
// through the root's fd and prints one line per finding.
func TestMain(m *testing.M) { nstest.Main(m, runScenario) }

func runScenario(name, dir string) error {
	if err := MakePrivate(); err != nil {
		return err
	}
	r, err := NewRoot(1<<20, 0o755)
	if err != nil {
		return err
	}
	switch name {
	case "view":
		return viewScenario(r, dir)
	case "hostile":
		return hostileScenario(r)
	}
	return fmt.Errorf("unknown scenario %q", name)
}

// viewScenario builds what a profile asks for most: a read-only bind
// with a submount, a file, a link, a masked dir, then the root read-only.
func viewScenario(r *Root, dir string) error {
	// A submount inside the source, made in this namespace only: Clone
	// must take it along, read-only too.
	if err := unix.Mount("sub", filepath.Join(dir, "src/sub"), "tmpfs", 0, "size=64k"); err != nil {
		return fmt.Errorf("mount the submount: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "src/sub/inner"), []byte("inner\n"), 0o644); err != nil {
		return err
	}
	for _, step := range []func() error{
		func() error {
			t, err := Clone(filepath.Join(dir, "src"), ReadOnly|NoSuid|NoDev)
			if err != nil {
				return err
			}
			return r.Attach(t, "/data", Directory)
		},
		func() error { return r.Mkdir("/etc", 0o755) },
		func() error { return r.WriteFile("/etc/app.conf", "hello\n", nil, 0o640) },
		func() error { return r.Symlink("/bin", "usr/bin") },
		func() error { return r.Symlink("/bin", "usr/bin") }, // an identical link is accepted
		func() error { return r.Mkdir("/secret", 0o700) },
		func() error { return r.WriteFile("/secret/key", "key\n", nil, 0o600) },
		func() error {
			ok, err := r.Mask("/secret")
			if err == nil && !ok {
				err = errors.New("Mask /secret: reported missing")
			}
			return err
		},
		func() error {
			ok, err := r.Mask("/no/such")
			if err == nil && ok {
				err = errors.New("Mask /no/such: reported done")
			}
			return err
		},
		r.SetReadOnly,
	} {
		if err := step(); err != nil {
			return err
		}
	}
	in := func(p string) string { return fmt.Sprintf("/proc/self/fd/%d/%s", r.FD(), p) }
	for _, p := range []string{"data/f", "data/sub/inner", "etc/app.conf", "secret/key"} {
		b, err := os.ReadFile(in(p))
		fmt.Printf("read %s: %q %v\n", p, b, nstest.Errno(err))
	}
	st, err := os.Stat(in("etc/app.conf"))
	if err == nil {
		fmt.Printf("mode etc/app.conf: %o\n", st.Mode().Perm())
	}
	link, err := os.Readlink(in("bin"))
	fmt.Printf("link bin: %s %v\n", link, nstest.Errno(err))
	for _, p := range []string{"data/new", "data/sub/new", "new"} {
		err := os.WriteFile(in(p), []byte("x"), 0o644)
		fmt.Printf("write %s: %v\n", p, nstest.Errno(err))
	}
	return nil
}

// hostileScenario plants what a jail could leave in a state dir or a
// read-write bind (a link, a FIFO) and shows that the builder neither
// follows nor blocks on them (a FIFO opened for writing would wait for a
// reader), and says where and why.
func hostileScenario(r *Root) error {
	if err := r.Symlink("/link", "/"); err != nil {
		return err
	}
	if err := unix.Mknodat(r.FD(), "fifo", unix.S_IFIFO|0o644, 0); err != nil {
		return err
	}
	fmt.Printf("mkdir through a link: %v\n", r.Mkdir("/link/etc", 0o755))
	fmt.Printf("mkdir over a link: %v\n", r.Mkdir("/link", 0o755))
	t, err := NewFS("tmpfs", TmpfsOptions(0, 0o755), NoSuid|NoDev)
	if err != nil {
		return err
	}
	fmt.Printf("attach over a link: %v\n", r.Attach(t, "/link", Directory))
	fmt.Printf("write over a FIFO: %v\n", r.WriteFile("/fifo", "x", nil, 0o644))
	fmt.Printf("write under a FIFO: %v\n", r.WriteFile("/fifo/x", "x", nil, 0o644))
	return nil
}

func TestViewForReal(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "src/sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "src/f"), []byte("f\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := nstest.Run(t, "view", dir)
	want := []string{
		`read data/f: "f\n" ok`,
		`read data/sub/inner: "inner\n" ok`,
		`read etc/app.conf: "hello\n" ok`,
		`read secret/key: "" ENOENT`,
		`mode etc/app.conf: 640`,
		`link bin: usr/bin ok`,
		`write data/new: EROFS`,
		`write data/sub/new: EROFS`,
		`write new: EROFS`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the view from inside:\n got %q\nwant %q", got, want)
	}
	// The submount was the child's: the host's src/sub is still empty.
	if entries, _ := os.ReadDir(filepath.Join(dir, "src/sub")); len(entries) != 0 {
		t.Errorf("the child's submount reached the host: %v", entries)
	}
}

func TestViewRefusesPlantedEntries(t *testing.T) {
	got := nstest.Run(t, "hostile", "")
	nstest.Lines(t, "the builder on planted entries", got, []string{
		"mkdir through a link: open /link/ inside the view: too many levels of symbolic links",
		"mkdir over a link: /link is a symlink inside the view: fsviews never mounts or writes through links",
		"attach over a link: /link is a symlink inside the view",
		"write over a FIFO: create /fifo: no such device or address: it is a FIFO or socket, not a regular file (left in a state dir?); remove it",
		"write under a FIFO: open /fifo/ inside the view: not a directory",
	})
}
