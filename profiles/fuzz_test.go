package profiles

import (
	"io/fs"
	"path"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// FuzzLoad loads arbitrary bytes as a profile that may include the
// bundled library. Load must not panic, must say where and what every
// problem is, must give the same answer twice, and what it accepts must
// hold only absolute, clean view paths.
//
//	go test ./profiles -run '^$' -fuzz '^FuzzLoad$' -fuzztime 60s
func FuzzLoad(f *testing.F) {
	lib := fstest.MapFS{}
	err := fs.WalkDir(Library(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(Library(), name)
		lib[name] = &fstest.MapFile{Data: data}
		f.Add(data)
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(full))
	for _, tc := range append(append(problemCases, confineCases...), cgroupCases...) {
		f.Add([]byte(tc.text))
	}
	host := testHost()
	f.Fuzz(func(t *testing.T, data []byte) {
		files := fstest.MapFS{"fuzz.toml": &fstest.MapFile{Data: data}}
		for name, file := range lib {
			files[name] = file
		}
		l := Loader{Library: files, Host: host}
		p, probs := l.Load("fuzz")
		for _, pr := range probs {
			if pr.Msg == "" || pr.Pos.File == "" {
				t.Errorf("problem without message or file: %#v", pr)
			}
		}
		p2, probs2 := l.Load("fuzz")
		if !reflect.DeepEqual(probs, probs2) || !reflect.DeepEqual(p, p2) {
			t.Errorf("two loads differ:\n%v\n---\n%v", probs, probs2)
		}
		if p == nil {
			if probs.Errors() == nil {
				t.Errorf("Load returned no profile and no error; problems: %v", probs)
			}
			return
		}
		if probs.Errors() != nil {
			t.Errorf("Load returned a profile and errors: %v", probs.Errors())
		}
		targets := []string{p.Workdir}
		for _, e := range p.entries() {
			targets = append(targets, e.target)
		}
		for _, target := range targets {
			if !strings.HasPrefix(target, "/") || path.Clean(target) != target || strings.Contains(target, "..") && containsDotDot(target) {
				t.Errorf("accepted a bad view path %q", target)
			}
		}
		for _, b := range p.Binds {
			if !strings.HasPrefix(b.Source, "/") || path.Clean(b.Source) != b.Source {
				t.Errorf("accepted a bad host path %q", b.Source)
			}
		}
		if len(p.Command) > 0 && p.Command[0] == "" {
			t.Errorf("accepted an empty program: %q", p.Command)
		}
	})
}

func containsDotDot(p string) bool {
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}
