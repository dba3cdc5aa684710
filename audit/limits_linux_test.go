package audit

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestWalkDepthLimit(t *testing.T) {
	dir := t.TempDir()
	fd := mkdirChain(t, dir, "d", 10)
	unix.Close(fd)
	mk(t, dir, "dir e", "dir e/f", "dir e/f/empty")
	r := walkT(t, "/s", dir, WalkOptions{MaxDepth: 3})
	m := entryMap(r)
	if _, ok := m["d/d/d"]; !ok {
		t.Fatalf("depth 3 not recorded: %v", keys(m))
	}
	if _, ok := m["d/d/d/d"]; ok {
		t.Errorf("walked below the depth limit")
	}
	if m["d/d/d"].Limit != LimitDepth {
		t.Errorf("d/d/d limit = %v, want depth", m["d/d/d"].Limit)
	}
	// An empty directory at the limit hides nothing: not flagged.
	if e := m["e/f/empty"]; e.Limit != LimitNone || e.Type != TypeDir {
		t.Errorf("e/f/empty = %+v", e)
	}
	hits, total := (&Manifest{Roots: []Root{r}}).Limits(0)
	if total != 1 || len(hits) != 1 || hits[0] != (LimitHit{Root: "/s", Path: "d/d/d", Limit: LimitDepth}) {
		t.Errorf("limits %+v %d", hits, total)
	}
	// No limit: the whole chain.
	if n := len(walkT(t, "/s", dir, WalkOptions{MaxDepth: -1}).Entries); n != 1+10+3 {
		t.Errorf("unlimited walk: %d entries", n)
	}
}

func TestWalkEntryLimit(t *testing.T) {
	dir := t.TempDir()
	mk(t, dir, "dir sub")
	for i := range 30 {
		mk(t, dir, "file f"+strconv.Itoa(i)+" x", "file sub/g"+strconv.Itoa(i)+" y")
	}
	// 62 entries in all.
	for _, tc := range []struct {
		max, want int
		limited   bool
	}{{62, 62, false}, {61, 61, true}, {20, 20, true}, {1, 1, true}} {
		r := walkT(t, "/s", dir, WalkOptions{MaxEntries: tc.max})
		if len(r.Entries) != tc.want {
			t.Errorf("max %d: %d entries, want %d", tc.max, len(r.Entries), tc.want)
		}
		hits, total := (&Manifest{Roots: []Root{r}}).Limits(0)
		if (total > 0) != tc.limited {
			t.Errorf("max %d: limits %+v", tc.max, hits)
		}
		for _, h := range hits {
			if h.Limit != LimitEntries {
				t.Errorf("max %d: %+v", tc.max, h)
			}
			if e := entryMap(r)[h.Path]; e.Type != TypeDir {
				t.Errorf("max %d: limit on %+v", tc.max, e)
			}
		}
		if err := r.check(); err != nil {
			t.Errorf("max %d: %v", tc.max, err)
		}
	}
}

func TestWalkHashByteLimit(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("z", 1<<20)
	mk(t, dir, "file a "+big, "file b "+big, "file c "+big, "file small s")
	r := walkT(t, "/s", dir, WalkOptions{Workers: 1, MaxHashBytes: 3 << 19})
	m := entryMap(r)
	if m["a"].SHA256 != sha(big) || m["a"].Limit != LimitNone {
		t.Errorf("a = %+v", m["a"])
	}
	// b overshoots the budget; once spent it stays spent.
	for _, p := range []string{"b", "c", "small"} {
		if m[p].SHA256 != "" || m[p].Limit != LimitHashBytes || m[p].Err != "" {
			t.Errorf("%s = %+v", p, m[p])
		}
	}
	var out bytes.Buffer
	hits, total := (&Manifest{Roots: []Root{r}}).Limits(2)
	FormatLimits(&out, hits, total, " in checkpoint x")
	want := "!! hash byte limit: /s/b (file not hashed) in checkpoint x\n" +
		"!! hash byte limit: /s/c (file not hashed) in checkpoint x\n" +
		"!! and 1 more entries where a walk limit was reached in checkpoint x\n"
	if out.String() != want {
		t.Errorf("FormatLimits:\n%s\nwant\n%s", out.String(), want)
	}
}

// writeAt writes s at off in the file p, creating it.
func writeAt(t *testing.T, p string, off int64, s string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte(s), off); err != nil {
		t.Fatal(err)
	}
}

// hugeSize truncates p to the largest size its file system takes: 8 EiB
// on tmpfs, 16 TiB on ext4 with 4k blocks.
func hugeSize(t *testing.T, p string) int64 {
	t.Helper()
	for _, size := range []int64{math.MaxInt64, 1 << 60, 1 << 50, 16<<40 - 4096, 1 << 40} {
		if err := os.Truncate(p, size); err == nil {
			return size
		}
	}
	t.Fatalf("cannot make %s sparse and huge", p)
	return 0
}

// sparseDigest is the documented digest of a sparse file, computed apart.
func sparseDigest(size int64, extents ...any) string {
	h := sha256.New()
	var b [8]byte
	for i := 0; i < len(extents); i += 2 {
		off, data := extents[i].(int64), extents[i+1].(string)
		binary.BigEndian.PutUint64(b[:], uint64(off))
		h.Write(b[:])
		binary.BigEndian.PutUint64(b[:], uint64(len(data)))
		h.Write(b[:])
		h.Write([]byte(data))
	}
	binary.BigEndian.PutUint64(b[:], uint64(size))
	h.Write(b[:])
	return hex.EncodeToString(h.Sum(nil))
}

// A huge sparse file is hashed by its data extents: with a 1 MiB budget,
// far below its size, it is still hashed, so its holes were not read.
func TestHashSparseHugeFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "huge")
	block := strings.Repeat("D", 4096)
	writeAt(t, p, 0, block)
	size := hugeSize(t, p)
	writeAt(t, p, 1<<30, block) // a second extent, 1 GiB in
	same := filepath.Join(dir, "same")
	writeAt(t, same, 0, block)
	os.Truncate(same, size)
	writeAt(t, same, 1<<30, block)
	empty := filepath.Join(dir, "holes-only")
	writeAt(t, empty, 0, "")
	hugeSize(t, empty)
	other := filepath.Join(dir, "other")
	writeAt(t, other, 0, block)
	os.Truncate(other, size)
	writeAt(t, other, 1<<30, strings.Repeat("E", 4096))

	r := walkT(t, "/s", dir, WalkOptions{MaxHashBytes: 1 << 20})
	m := entryMap(r)
	h := m["huge"]
	if h.Limit != LimitNone || h.Err != "" || !h.Sparse {
		t.Fatalf("huge = %+v", h)
	}
	if want := sparseDigest(size, int64(0), block, int64(1<<30), block); h.SHA256 != want {
		t.Errorf("huge: digest %s, want %s", h.SHA256, want)
	}
	if m["same"].SHA256 != h.SHA256 {
		t.Errorf("same content and layout, another digest")
	}
	if m["other"].SHA256 == h.SHA256 {
		t.Errorf("other data, same digest")
	}
	if e := m["holes-only"]; !e.Sparse || e.SHA256 != sparseDigest(e.Size) {
		t.Errorf("holes-only = %+v", e)
	}
}

// A file without holes keeps the plain SHA-256 of its bytes (as manifest
// version 1 has it); the same bytes with a hole in them are sparse, and
// Diff tells the two apart.
func TestHashSparseVersusDense(t *testing.T) {
	dir := t.TempDir()
	data := "head" + strings.Repeat("\x00", 1<<20) + "tail"
	mk(t, dir, "file dense "+data)
	sparse := filepath.Join(dir, "sparse")
	writeAt(t, sparse, 0, "head")
	writeAt(t, sparse, int64(len(data))-4, "tail")
	r := walkT(t, "/s", dir, WalkOptions{})
	m := entryMap(r)
	if d := m["dense"]; d.Sparse || d.SHA256 != sha(data) {
		t.Errorf("dense = %+v, want the plain digest", d)
	}
	s := m["sparse"]
	if !s.Sparse || s.SHA256 == "" || s.SHA256 == sha(data) {
		t.Fatalf("sparse = %+v", s)
	}
	// The jail fills the hole with zeros: same bytes, new layout.
	if err := os.WriteFile(sparse, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	after := walkT(t, "/s", dir, WalkOptions{})
	changes := Diff(Manifest{Roots: []Root{r}}, Manifest{Roots: []Root{after}})
	if len(changes) != 1 || changes[0].Path() != "sparse" || changes[0].What[0] != "content" {
		t.Errorf("changes %+v", changes)
	}
}

// The tree: thousands of nested directories with 255-byte names.
// Stored as full paths it took depth² × 255 bytes (500 MB here); as names
// it takes depth × 255.
func TestWalkDeepLongNamesMemory(t *testing.T) {
	dir := t.TempDir()
	const depth = 2000
	name := strings.Repeat("n", 255)
	unix.Close(mkdirChain(t, dir, name, depth))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := walkT(t, "/s", dir, WalkOptions{MaxDepth: -1, MaxOpenDirs: 16})
	m := Manifest{Roots: []Root{r}}
	changes := Diff(Manifest{}, m)
	runtime.GC()
	runtime.ReadMemStats(&after)
	if len(r.Entries) != depth+1 || len(changes) != depth+1 {
		t.Fatalf("%d entries, %d changes", len(r.Entries), len(changes))
	}
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 32<<20 {
		t.Errorf("walk and diff of %d levels hold %d MiB", depth, grew>>20)
	}
	if p := changes[depth].Path(); len(p) != depth*256-1 {
		t.Errorf("deepest path is %d bytes", len(p))
	}
	runtime.KeepAlive(changes)
}

// Checkpoints of format version 1 hold full paths; they load as trees.
func TestStoreReadsVersion1(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	if err := os.Mkdir(filepath.Join(s.Dir, "web"), 0o700); err != nil {
		t.Fatal(err)
	}
	v1 := `{"version":1,"taken":"2025-01-02T03:04:05Z","roots":[{"name":"/s","host_path":"/x","entries":[
{"path":".","type":"dir","mode":493,"uid":0,"gid":0,"size":0,"mtime_ns":0,"ctime_ns":0,"inode":1},
{"path":"a","type":"dir","mode":493,"uid":0,"gid":0,"size":0,"mtime_ns":0,"ctime_ns":0,"inode":2},
{"path":"a/b","type":"file","mode":420,"uid":0,"gid":0,"size":1,"mtime_ns":0,"ctime_ns":0,"inode":3,"sha256":"00"},
{"path_b64":"YS//","type":"file","mode":420,"uid":0,"gid":0,"size":1,"mtime_ns":0,"ctime_ns":0,"inode":4,"sha256":"00"},
{"path":"a-b","type":"file","mode":420,"uid":0,"gid":0,"size":1,"mtime_ns":0,"ctime_ns":0,"inode":5,"sha256":"00"}]}]}`
	write := func(label, text string) {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(text))
		zw.Close()
		if err := os.WriteFile(filepath.Join(s.Dir, "web", label+".json.gz"), b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("v1", v1)
	m, err := s.Load("web", "v1")
	if err != nil {
		t.Fatal(err)
	}
	r := m.Roots[0]
	var paths []string
	for i := range r.Entries {
		paths = append(paths, r.Path(i))
	}
	if want := []string{".", "a", "a/b", "a/\xff", "a-b"}; strings.Join(paths, "|") != strings.Join(want, "|") {
		t.Errorf("paths %q, want %q", paths, want)
	}
	// An orphan (no parent directory) is corrupt, not a loop.
	write("orphan", strings.Replace(v1, `"path":"a","type":"dir"`, `"path":"z","type":"dir"`, 1))
	if _, err := s.Load("web", "orphan"); err == nil || !strings.Contains(err.Error(), "has no parent directory") {
		t.Errorf("orphan: %v", err)
	}
	// A version 2 entry whose parent comes after it is corrupt too.
	write("cycle", `{"version":2,"taken":"2025-01-02T03:04:05Z","roots":[{"name":"/s","host_path":"/x","entries":[
{"parent":-1,"name":".","type":"dir","mode":493,"uid":0,"gid":0,"size":0,"mtime_ns":0,"ctime_ns":0,"inode":1},
{"parent":1,"name":"a","type":"dir","mode":493,"uid":0,"gid":0,"size":0,"mtime_ns":0,"ctime_ns":0,"inode":2}]}]}`)
	if _, err := s.Load("web", "cycle"); err == nil || !strings.Contains(err.Error(), "not an earlier entry") {
		t.Errorf("cycle: %v", err)
	}
}

func keys(m map[string]Entry) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
