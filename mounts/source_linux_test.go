package mounts

import (
	"errors"
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
		"loop1": "loop2", "loop2": "loop1", "chain": "up", "via": "rel/f",
	} {
		if err := os.Symlink(to, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	literal := Links{Owners: []int{me}}
	last := Links{Last: true, Owners: []int{me}}
	for _, tc := range []struct {
		path  string
		links Links
		name  string // the opened file's name, or
		err   string // part of the error
	}{
		{dir + "/real/sub/f", literal, dir + "/real/sub/f", ""},
		{dir + "/real/./sub//f", literal, dir + "/real/sub/f", ""},
		// Literal: a link anywhere is an error naming it and its target.
		{dir + "/rel/f", literal, "", dir + "/rel is a symlink (to real/sub): fsviews follows no symlink in a source"},
		{dir + "/up", literal, "", dir + "/up is a symlink (to real/sub/../sub/f)"},
		// follow = true: the last component only, and where it leads.
		{dir + "/up", last, dir + "/real/sub/f", ""},
		{dir + "/chain", last, dir + "/real/sub/f", ""},
		{dir + "/abs", last, dir + "/real", ""},
		{dir + "/rel/f", last, "", "follow = true follows only the last component"},
		{dir + "/via", last, "", dir + "/rel is a symlink (to real/sub)"},
		{dir + "/loop1", last, "", "more than 40 symlinks"},
		{dir + "/up", Links{Last: true, Owners: []int{me + 1}}, "", dir + "/up is a symlink that someone other than root could have placed"},
		// Rootless: every link.
		{dir + "/rel/f", Links{All: true}, dir + "/real/sub/f", ""},
		{dir + "/missing", literal, "", "no such file"},
	} {
		f, err := OpenSource(tc.path, unix.O_PATH, tc.links)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("OpenSource(%s, %+v) = %v, want error with %q", tc.path, tc.links, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("OpenSource(%s, %+v) = %v", tc.path, tc.links, err)
		case strings.Contains(tc.err, "symlink (") && !errors.Is(err, ErrSourceLink):
			t.Errorf("OpenSource(%s): %v does not wrap ErrSourceLink", tc.path, err)
		case tc.err == "" && f.Name() != tc.name:
			t.Errorf("OpenSource(%s) opened %s, want %s", tc.path, f.Name(), tc.name)
		}
		if f != nil {
			f.Close()
		}
		// OpenBindSource: the same file, or the same error, and the
		// type the fd has.
		src, err2 := OpenBindSource(tc.path, tc.links)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Errorf("OpenBindSource(%s) = %v, OpenSource = %v", tc.path, err2, err)
		}
		if err2 == nil {
			var st unix.Stat_t
			unix.Fstat(src.fd, &st)
			if src.Name() != tc.name || st.Ino != src.Stat().Ino || (src.Kind() == Directory) != (st.Mode&unix.S_IFMT == unix.S_IFDIR) {
				t.Errorf("OpenBindSource(%s) = %s (ino %d, kind %d), want %s (ino %d)", tc.path, src.Name(), src.Stat().Ino, src.Kind(), tc.name, st.Ino)
			}
			src.Close()
		}
	}
	for _, p := range []string{dir + "/real", dir + "/real/sub/f", dir + "/real/sub/../sub/f", "/"} {
		src, err := OpenBindSource(p, literal)
		if err != nil {
			t.Errorf("OpenBindSource(%s): %v", p, err)
			continue
		}
		if want := filepath.Clean(p); src.Name() != want {
			t.Errorf("OpenBindSource(%s) named %s, want %s", p, src.Name(), want)
		}
		src.Close()
	}
	// The last component is opened with the flags asked for, readable.
	f, err := OpenSource(dir+"/up", unix.O_RDONLY, last)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if b := make([]byte, 4); func() int { n, _ := f.Read(b); return n }() != 1 {
		t.Error("the source is not readable")
	}
}
