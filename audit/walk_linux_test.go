package audit

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestWalkEveryType(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	mk(t, dir, "dir d", "file d/f hello", "exec x #!/bin/sh", "symlink l d/f",
		"fifo p", "char c", "block b", "sock s")
	if err := unix.Chmod(filepath.Join(dir, "x"), 0o4755); err != nil {
		t.Fatal(err)
	}
	r := walkT(t, "/state", dir, WalkOptions{})
	if r.Name != "/state" || r.HostPath != dir {
		t.Errorf("root = %q %q", r.Name, r.HostPath)
	}
	var paths []string
	for i := range r.Entries {
		paths = append(paths, r.Path(i))
	}
	want := []string{".", "b", "c", "d", "d/f", "l", "p", "s", "x"}
	if !reflect.DeepEqual(paths, want) {
		t.Fatalf("paths = %q, want %q", paths, want)
	}
	m := entryMap(r)
	for p, typ := range map[string]Type{".": TypeDir, "b": TypeBlock, "c": TypeChar, "d": TypeDir,
		"d/f": TypeFile, "l": TypeSymlink, "p": TypeFIFO, "s": TypeSocket, "x": TypeFile} {
		if m[p].Type != typ {
			t.Errorf("%s: type %v, want %v", p, m[p].Type, typ)
		}
		if m[p].Err != "" {
			t.Errorf("%s: err %q", p, m[p].Err)
		}
	}
	if got := m["d/f"].SHA256; got != sha("hello") {
		t.Errorf("d/f hash %s", got)
	}
	if m["d/f"].Size != 5 || m["d/f"].Inode == 0 || m["d/f"].MtimeNs == 0 || m["d/f"].Ctime == 0 {
		t.Errorf("d/f stat %+v", m["d/f"])
	}
	if m["x"].Mode != 0o4755 {
		t.Errorf("x mode %o", m["x"].Mode)
	}
	if m["l"].Link != "d/f" || m["l"].SHA256 != "" {
		t.Errorf("l = %+v", m["l"])
	}
	if m["c"].Rdev != unix.Mkdev(1, 3) || m["b"].Rdev != unix.Mkdev(7, 0) {
		t.Errorf("rdev c=%x b=%x", m["c"].Rdev, m["b"].Rdev)
	}
	for _, p := range []string{"p", "s", "c", "b"} {
		if m[p].SHA256 != "" {
			t.Errorf("%s hashed", p)
		}
	}
}

// A FIFO with no writer would block an open for reading forever, and a
// reader on a FIFO would hang the walk: walkT's deadline fails the test if so.
func TestWalkFIFODoesNotBlock(t *testing.T) {
	dir := t.TempDir()
	mk(t, dir, "fifo p", "file after x")
	m := entryMap(walkT(t, "/s", dir, WalkOptions{}))
	if m["p"].Type != TypeFIFO || m["after"].SHA256 != sha("x") {
		t.Errorf("entries %+v", m)
	}
}

func TestWalkNeverFollowsSymlinks(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	mk(t, outside, "file secret s3cret")
	mk(t, dir, "symlink shadow /etc/shadow", "symlink loop1 loop2", "symlink loop2 loop1",
		"symlink self self", "symlink out "+outside, "symlink up ../../..")
	r := walkT(t, "/s", dir, WalkOptions{})
	if len(r.Entries) != 7 {
		t.Fatalf("entries: %+v", r.Entries)
	}
	for i, e := range r.Entries[1:] {
		if e.Type != TypeSymlink || e.SHA256 != "" || e.Err != "" {
			t.Errorf("%s: %+v", r.Path(i+1), e)
		}
	}
	if l := entryMap(r)["shadow"].Link; l != "/etc/shadow" {
		t.Errorf("shadow link %q", l)
	}

	// The root itself must not be a symlink either.
	link := filepath.Join(t.TempDir(), "root")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	if _, err := Walk(context.Background(), "/s", link, WalkOptions{}); !errors.Is(err, unix.ELOOP) && !errors.Is(err, unix.ENOTDIR) {
		t.Errorf("walk of a symlink root: %v", err)
	}
}

// The jail swaps a directory for a symlink between the walker's lstat and
// its open: the symlink is not followed and nothing beyond it is read.
func TestWalkDirSwappedForSymlink(t *testing.T) {
	dir := t.TempDir()
	mk(t, dir, "dir d", "file d/f x")
	opt := WalkOptions{beforeDescend: func(rel string) {
		if rel != "d" {
			return
		}
		if err := os.Rename(filepath.Join(dir, "d"), filepath.Join(dir, "moved")); err != nil {
			t.Error(err)
		}
		if err := os.Symlink("/etc", filepath.Join(dir, "d")); err != nil {
			t.Error(err)
		}
	}}
	r := walkT(t, "/s", dir, opt)
	for i := range r.Entries {
		if p := r.Path(i); strings.HasPrefix(p, "d/") {
			t.Errorf("walked beyond the swapped symlink: %q", p)
		}
	}
	d := entryMap(r)["d"]
	if !strings.Contains(d.Err, "changed during walk") {
		t.Errorf("d = %+v, want a changed-during-walk error", d)
	}
	// The next walk sees the symlink for what it is.
	if e := entryMap(walkT(t, "/s", dir, WalkOptions{}))["d"]; e.Type != TypeSymlink || e.Link != "/etc" {
		t.Errorf("second walk: d = %+v", e)
	}
}

// A file swapped between listing and hashing is recorded, not hashed, and a
// FIFO or device swapped in is never opened for reading.
func TestHashOneRefusesSwappedFile(t *testing.T) {
	dir := t.TempDir()
	mk(t, dir, "file f x", "fifo p")
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(dir, "f"), &st); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name string }{{"p"}, {"f"}} {
		fd, err := unix.Open(filepath.Join(dir, tc.name), unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		e := &Entry{Name: tc.name, Type: TypeFile, Inode: st.Ino + 1} // not the inode listed
		h := &hasher{ctx: context.Background()}
		h.budget.Store(1 << 20)
		h.hashOne(hashJob{pathFd: fd, dev: st.Dev, e: e}, make([]byte, 64), sha256.New())
		unix.Close(fd)
		if e.SHA256 != "" || !strings.Contains(e.Err, "changed during walk") {
			t.Errorf("%s: %+v", tc.name, e)
		}
	}
}

func TestWalkHostileNames(t *testing.T) {
	dir := t.TempDir()
	newline := "a\nb"
	invalid := "bad\xff\xfe"
	mk(t, dir, "file "+newline+" one", "file "+invalid+" two", "symlink link\x01 "+invalid)
	// 300 levels of 20-byte names: a 6300-byte path, beyond PATH_MAX.
	long := strings.Repeat("L", 20)
	fd := mkdirChain(t, dir, long, 300)
	if err := os.WriteFile("/proc/self/fd/"+strconv.Itoa(fd)+"/deep", []byte("deep"), 0o644); err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)

	r := walkT(t, "/s", dir, WalkOptions{MaxDepth: -1})
	m := entryMap(r)
	if m[newline].SHA256 != sha("one") || m[invalid].SHA256 != sha("two") || m["link\x01"].Link != invalid {
		t.Errorf("hostile names: %+v", m)
	}
	deep := strings.TrimSuffix(strings.Repeat(long+"/", 300), "/") + "/deep"
	if len(deep) <= 4096 {
		t.Fatalf("test path too short: %d", len(deep))
	}
	if m[deep].SHA256 != sha("deep") {
		t.Errorf("deep file missing or wrong: %+v", m[deep])
	}
	if len(r.Entries) != 1+3+300+1 {
		t.Errorf("%d entries", len(r.Entries))
	}

	// JSON must give back the very same bytes.
	b, err := json.Marshal(Manifest{Version: FormatVersion, Roots: []Root{r}})
	if err != nil {
		t.Fatal(err)
	}
	var back Manifest
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Roots[0].Entries, r.Entries) {
		t.Error("JSON round trip changed the entries")
	}
	if !strings.Contains(string(b), `"name":"a\nb"`) || !strings.Contains(string(b), `"name_b64":"YmFk//4="`) {
		t.Errorf("unexpected encoding: %.300s", b)
	}
}

// 10,000 levels: the walk must not recurse (stack) nor hold an fd per level.
func TestWalkDeepTree(t *testing.T) {
	dir := t.TempDir()
	const depth = 10000
	fd := mkdirChain(t, dir, "d", depth)
	unix.Close(fd)
	before := openFds(t)
	peak := 0
	n := 0
	opt := WalkOptions{MaxOpenDirs: 16, Workers: 2, MaxDepth: -1, beforeDescend: func(string) {
		if n++; n%500 == 0 {
			peak = max(peak, openFds(t)-before)
		}
	}}
	r := walkT(t, "/s", dir, opt)
	if len(r.Entries) != depth+1 {
		t.Errorf("%d entries, want %d", len(r.Entries), depth+1)
	}
	// 16 directories, the root dup, the /proc/self/fd listing, slack.
	if peak > 24 {
		t.Errorf("walk held %d fds at once", peak)
	}
	if after := openFds(t); after != before {
		t.Errorf("fd leak: %d open before, %d after", before, after)
	}
}

// When a closed ancestor is reopened through "..", it must still be the
// directory recorded on the way down.
func TestWalkDetectsMovedAncestor(t *testing.T) {
	dir := t.TempDir()
	fd := mkdirChain(t, filepath.Join(dir), "a", 4)
	unix.Close(fd)
	opt := WalkOptions{MaxOpenDirs: 2, beforeDescend: func(rel string) {
		if rel == "a/a/a/a" {
			// Move a/a/a up to the root: its ".." is now the root, not a/a.
			if err := os.Rename(filepath.Join(dir, "a/a/a"), filepath.Join(dir, "moved")); err != nil {
				t.Error(err)
			}
		}
	}}
	_, err := Walk(context.Background(), "/s", dir, opt)
	if err == nil || !strings.Contains(err.Error(), "moved during the walk") {
		t.Errorf("err = %v", err)
	}
}

func TestWalkCancelled(t *testing.T) {
	dir := t.TempDir()
	for i := range 600 {
		mk(t, dir, "file f"+strconv.Itoa(i)+" x")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := openFds(t)
	if _, err := Walk(ctx, "/s", dir, WalkOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	if after := openFds(t); after != before {
		t.Errorf("fd leak: %d open before, %d after", before, after)
	}
}

func TestProcRootPath(t *testing.T) {
	for _, tc := range []struct {
		in   string
		pid  int
		view string
		ok   bool
	}{
		{"/proc/12/root/tmp", 12, "/tmp", true},
		{"/proc/12/root", 12, "/", true},
		{"/proc/12/root/", 12, "/", true},
		{"/proc/self/root/tmp", 0, "", false},
		{"/proc/12/rootfs", 0, "", false},
		{"/proc/12/cwd/tmp", 0, "", false},
		{"/var/lib/x", 0, "", false},
	} {
		pid, view, ok := procRootPath(tc.in)
		if pid != tc.pid || view != tc.view || ok != tc.ok {
			t.Errorf("%q: %d %q %v", tc.in, pid, view, ok)
		}
	}
}
