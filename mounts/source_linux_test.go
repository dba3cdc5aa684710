package mounts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestOpenSource(t *testing.T) {
	me := os.Getuid()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "real", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "real", "sub", "f"), []byte("x"), 0o644)
	for link, to := range map[string]string{
		"rel": "real/sub", "abs": filepath.Join(dir, "real"), "up": "real/sub/../sub/f",
		"loop1": "loop2", "loop2": "loop1",
	} {
		if err := os.Symlink(to, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		path   string
		owners []int
		name   string // the opened file's name, or
		err    string // part of the error
	}{
		{dir + "/real/sub/f", []int{me}, dir + "/real/sub/f", ""},
		{dir + "/rel/f", []int{me}, dir + "/real/sub/f", ""},
		{dir + "/abs/./sub//f", []int{me}, dir + "/real/sub/f", ""},
		{dir + "/up", []int{me}, dir + "/real/sub/f", ""},
		{dir + "/loop1", []int{me}, "", "more than 40 symlinks"},
		{dir + "/rel/f", []int{me + 1}, "", dir + "/rel is a symlink that someone other than root could have placed"},
		{dir + "/rel/f", nil, dir + "/real/sub/f", ""},
		{dir + "/missing", []int{me}, "", "no such file"},
	} {
		f, err := OpenSource(tc.path, unix.O_PATH, tc.owners...)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("OpenSource(%s, %v) = %v, want error with %q", tc.path, tc.owners, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("OpenSource(%s, %v) = %v", tc.path, tc.owners, err)
		case tc.err == "" && f.Name() != tc.name:
			t.Errorf("OpenSource(%s) opened %s, want %s", tc.path, f.Name(), tc.name)
		}
		if f != nil {
			f.Close()
		}
	}
	// The last component is opened with the flags asked for, readable.
	f, err := OpenSource(dir+"/rel/f", unix.O_RDONLY, me)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if b := make([]byte, 4); func() int { n, _ := f.Read(b); return n }() != 1 {
		t.Error("the source is not readable")
	}
}
