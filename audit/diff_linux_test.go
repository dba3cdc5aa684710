package audit

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The scenario, for real: a jail that writes, deletes, chmods +s,
// creates a device node, swaps a file for a symlink to /etc/shadow and
// touches a file back to its old mtime.
func TestDiffScenario(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	mk(t, dir, "dir etc", "file etc/conf a=1", "exec bin #!/bin/sh", "file victim v",
		"file data AAAA", "file gone bye", "exec tool v1", "file plain p")
	old := Manifest{Roots: []Root{walkT(t, "/state", dir, WalkOptions{})}}

	p := func(n string) string { return filepath.Join(dir, n) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var st unix.Stat_t
	must(unix.Lstat(p("data"), &st))
	mk(t, dir, "file new n", "exec newexe #!/bin/sh", "char null2", "symlink rel ../../x",
		"symlink ok etc/conf")
	must(os.Remove(p("gone")))
	must(unix.Chmod(p("bin"), 0o4755))
	must(unix.Chmod(p("plain"), 0o2644))
	must(os.Remove(p("victim")))
	must(os.Symlink("/etc/shadow", p("victim")))
	must(os.WriteFile(p("tool"), []byte("v2"), 0o755))
	must(os.WriteFile(p("etc/conf"), []byte("a=2"), 0o644))
	// Same size, same mtime: only the hash (and ctime) tell.
	must(os.WriteFile(p("data"), []byte("BBBB"), 0o644))
	mtime := time.Unix(st.Mtim.Sec, st.Mtim.Nsec)
	must(os.Chtimes(p("data"), mtime, mtime))
	new := Manifest{Roots: []Root{walkT(t, "/state", dir, WalkOptions{})}}

	changes := Diff(old, new)
	type want struct {
		kind  ChangeKind
		what  []string
		flags []Flag
	}
	wants := map[string]want{
		"bin":      {Modified, []string{"mode"}, []Flag{FlagSetuidAdded}},
		"data":     {Modified, []string{"content"}, []Flag{FlagContentChangedMtimeKept}},
		"etc/conf": {Modified, []string{"content"}, nil},
		"gone":     {Removed, nil, nil},
		"new":      {Added, nil, nil},
		"newexe":   {Added, nil, []Flag{FlagNewExecutable}},
		"null2":    {Added, nil, []Flag{FlagDeviceNode}},
		"ok":       {Added, nil, nil},
		"plain":    {Modified, []string{"mode"}, []Flag{FlagSetgidAdded}},
		"rel":      {Added, nil, []Flag{FlagSymlinkOutside}},
		"tool":     {Modified, []string{"content"}, []Flag{FlagExecutableChanged}},
		"victim":   {Modified, []string{"type", "mode"}, []Flag{FlagSymlinkOutside, FlagTypeChanged}},
	}
	var got []string
	for _, c := range changes {
		got = append(got, c.Path())
		w, ok := wants[c.Path()]
		if !ok {
			// The root directory's own mtime moves; that is not a change.
			t.Errorf("unexpected change %s %q %v %v", c.Kind, c.Path(), c.What, c.Flags)
			continue
		}
		if c.Kind != w.kind || !slices.Equal(c.What, w.what) || !slices.Equal(c.Flags, w.flags) {
			t.Errorf("%s: got %s %v %v, want %s %v %v", c.Path(), c.Kind, c.What, c.Flags, w.kind, w.what, w.flags)
		}
	}
	if len(got) != len(wants) || !slices.IsSorted(got) {
		t.Errorf("changes %q", got)
	}

	var out bytes.Buffer
	if err := FormatDiff(&out, changes); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, line := range []string{
		"!! setuid added: /state/bin\n",
		"!! setgid added: /state/plain\n",
		"!! symlink outside: /state/victim -> /etc/shadow\n",
		"!! type changed: /state/victim (file -> symlink)\n",
		"!! content changed, mtime kept: /state/data\n",
		"!! device node: /state/null2 (char 1:3)\n",
		"!! new executable: /state/newexe\n",
		"!! executable changed: /state/tool\n",
		"Only in old: /state/gone\n",
		"Only in new: /state/rel (symlink -> ../../x)\n",
		"Files /state/etc/conf differ\n",
		"Changed /state/bin: mode 0755 -> 4755\n",
		"Changed /state/victim: type file -> symlink; mode 0644 -> 0777\n",
	} {
		if !strings.Contains(text, line) {
			t.Errorf("output lacks %q:\n%s", line, text)
		}
	}
	if strings.Index(text, "!!") > strings.Index(text, "Only in") {
		t.Error("flags do not come first")
	}
	if again := Diff(old, new); !reflect.DeepEqual(again, changes) {
		t.Error("Diff is not deterministic")
	}
	if c := Diff(new, new); len(c) != 0 {
		t.Errorf("diff of a manifest with itself: %v", c)
	}
}

func TestSymlinkOutside(t *testing.T) {
	for _, tc := range []struct {
		path, target string
		out          bool
	}{
		{"l", "/etc/shadow", true},
		{"l", "..", true},
		{"l", "../x", true},
		{"l", "x", false},
		{"l", "./x/../y", false},
		{"a/l", "../x", false},
		{"a/l", "../../x", true},
		{"a/b/l", "../../x", false},
		{"a/b/l", "x/../../../../y", true},
		{"l", "d/../../x", true},
		{"l", "", false},
		{"a/l", "..//..", true},
	} {
		if got := SymlinkOutside(tc.path, tc.target); got != tc.out {
			t.Errorf("SymlinkOutside(%q, %q) = %v", tc.path, tc.target, got)
		}
	}
}

func TestFormatDiffQuotesHostileNames(t *testing.T) {
	e := &Entry{Name: "x\n!! all clear: nothing to see", Type: TypeFile}
	b := &Entry{Name: "bad\xff\x1b[2J", Type: TypeSymlink, Link: "/\n"}
	var out bytes.Buffer
	FormatDiff(&out, []Change{
		{Kind: Added, Root: "/s", path: e.Name, New: e},
		{Kind: Added, Root: "/s", path: b.Name, New: b, Flags: []Flag{FlagSymlinkOutside}},
	})
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	want := []string{
		`!! symlink outside: "/s/bad\xff\x1b[2J" -> "/\n"`,
		``,
		`Only in new: "/s/x\n!! all clear: nothing to see"`,
		`Only in new: "/s/bad\xff\x1b[2J" (symlink -> "/\n")`,
	}
	if !slices.Equal(lines, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestDiffRootsAndOrder(t *testing.T) {
	f := func(parent int, name string) Entry {
		return Entry{Parent: parent, Name: name, Type: TypeFile, SHA256: "00"}
	}
	d := func(parent int, name string) Entry { return Entry{Parent: parent, Name: name, Type: TypeDir} }
	old := Manifest{Roots: []Root{
		{Name: "/tmp", Entries: []Entry{d(-1, "."), f(0, "t")}},
		// Children out of name order: a manifest from elsewhere.
		{Name: "/a", Entries: []Entry{d(-1, "."), d(0, "b"), f(1, "c"), f(0, "a-b")}},
	}}
	new := Manifest{Roots: []Root{
		{Name: "/a", Entries: []Entry{d(-1, "."), f(0, "a-b"), d(0, "b"), f(2, "c"), f(2, "d")}},
		{Name: "/new", Entries: []Entry{d(-1, ".")}},
	}}
	var got []string
	for _, c := range Diff(old, new) {
		got = append(got, c.Kind.String()+" "+viewPath(c.Root, c.Path()))
	}
	want := []string{"added /a/b/d", "added /new", "removed /tmp", "removed /tmp/t"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	order := []string{"a-b", "a/b", ".", "a", "-x"}
	slices.SortFunc(order, comparePaths)
	if want := []string{".", "-x", "a", "a/b", "a-b"}; !slices.Equal(order, want) {
		t.Errorf("order %q, want %q", order, want)
	}
}

// Without a hash (the file could not be read), a moved ctime under a kept
// mtime still raises the flag.
func TestDiffCtimeWithoutHash(t *testing.T) {
	dot := Entry{Parent: -1, Name: ".", Type: TypeDir}
	o := Entry{Name: "f", Type: TypeFile, Size: 4, MtimeNs: 10, Ctime: 10, SHA256: "aa"}
	n := o
	n.Ctime, n.SHA256, n.Err = 20, "", "changed during walk: no longer the file listed"
	c := Diff(Manifest{Roots: []Root{{Name: "/s", Entries: []Entry{dot, o}}}},
		Manifest{Roots: []Root{{Name: "/s", Entries: []Entry{dot, n}}}})
	if len(c) != 1 || !slices.Contains(c[0].Flags, FlagUnreadable) {
		t.Fatalf("changes %+v", c)
	}
	n.Err = ""
	c = Diff(Manifest{Roots: []Root{{Name: "/s", Entries: []Entry{dot, o}}}},
		Manifest{Roots: []Root{{Name: "/s", Entries: []Entry{dot, n}}}})
	if len(c) != 1 || !slices.Equal(c[0].Flags, []Flag{FlagContentChangedMtimeKept}) {
		t.Fatalf("changes %+v", c)
	}
}

func TestEnumText(t *testing.T) {
	c := Change{Kind: Modified, Root: "/s", path: "\xff", What: []string{"mode"},
		Flags: []Flag{FlagSetuidAdded, FlagContentChangedMtimeKept},
		Old:   &Entry{Name: "\xff", Type: TypeBlock}, New: &Entry{Name: "\xff", Type: TypeSocket}}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"kind":"modified"`) || !strings.Contains(string(b), `"flags":["setuid-added","content-changed-mtime-kept"]`) {
		t.Errorf("json %s", b)
	}
	var back Change
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, c) {
		t.Errorf("round trip: %+v %v", back, err)
	}
	var ty Type
	if err := ty.UnmarshalText([]byte("nope")); err == nil {
		t.Error("bad type accepted")
	}
}
