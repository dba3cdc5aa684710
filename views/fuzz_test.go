package views

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"

	"github.com/fsviews/fsviews/profiles"
)

// FuzzCompile compiles whatever profile text the loader accepts. Compile
// must not panic, must give the same plan twice (whose binary form must
// give it back, and whose hand-written JSON must be encoding/json's),
// must put every parent before its children and the read-only remount
// last, and must never plan a directory inside a bind (that would write
// into the host).
//
//	go test ./views -run '^$' -fuzz '^FuzzCompile$' -fuzztime 60s
func FuzzCompile(f *testing.F) {
	lib := fstest.MapFS{}
	err := fs.WalkDir(profiles.Library(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(profiles.Library(), name)
		lib[name] = &fstest.MapFile{Data: data}
		f.Add(data)
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.toml"))
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		files := fstest.MapFS{"fuzz.toml": &fstest.MapFile{Data: data}}
		for name, file := range lib {
			files[name] = file
		}
		p, _ := profiles.Loader{Library: files}.Load("fuzz")
		if p == nil {
			return
		}
		plan := Compile(p, Options{})
		checkParentsFirst(t, plan)
		last := plan.Ops[len(plan.Ops)-1]
		if (last.Kind == RemountRO) == p.Root.Writable {
			t.Errorf("writable=%v but the last op is %v", p.Root.Writable, last)
		}
		if again := Compile(p, Options{}); !reflect.DeepEqual(plan, again) {
			t.Errorf("two compiles differ")
		}
		checkWireRoundTrip(t, plan)
		checkJSONMatches(t, plan)
		binds := map[string]bool{}
		for _, op := range plan.Ops {
			if op.Kind == Bind {
				binds[op.Target] = true
			}
			if op.Kind != Mkdir {
				continue
			}
			for d := parent(op.Target); d != "/"; d = parent(d) {
				if binds[d] {
					t.Errorf("mkdir %s inside the bind %s would write into the host", op.Target, d)
				}
			}
		}
	})
}
