package profiles

import (
	"bufio"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

// libraryNames lists the bundled profiles and fragments: "nginx",
// "base/libc", ...
func libraryNames(t *testing.T) []string {
	t.Helper()
	var names []string
	err := fs.WalkDir(Library(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".toml") {
			names = append(names, strings.TrimSuffix(p, ".toml"))
		}
		return err
	})
	if err != nil || len(names) == 0 {
		t.Fatalf("walk the bundled library: %v (%d profiles)", err, len(names))
	}
	return names
}

// Every bundled profile passes `fsviews check --strict`: no error and no
// warning, on its own and on this host. A host without one of the
// daemons skips that profile with the reason, except in CI, which
// installs them all (.ci/run).
func TestLibraryStrict(t *testing.T) {
	lib := Library()
	for _, name := range libraryNames(t) {
		t.Run(name, func(t *testing.T) {
			ref := name
			l := Loader{Library: lib}
			if strings.Contains(name, "/") {
				// A fragment is loaded the way a profile includes it.
				ref = "frag"
				l.Library = withFile(t, lib, "frag.toml", `include = ["`+name+`.toml"]`)
			}
			if p, probs := l.Load(ref); p == nil || len(probs) > 0 {
				t.Fatalf("%s: want no problems, got:\n%v", name, probs)
			}
			l.Host = OSHost{}
			p, probs := l.Load(ref)
			if p != nil && len(probs) == 0 {
				return
			}
			if missing := notInstalled(probs); missing != "" && os.Getenv("CI") == "" {
				t.Skipf("%s: its daemon is not installed here (%s); CI installs it", name, missing)
			}
			t.Errorf("%s on this host: want no problems, got:\n%v", name, probs)
		})
	}
}

// notInstalled returns the message of the problem saying that the
// profile's program is missing from the host.
func notInstalled(probs Problems) string {
	for _, p := range probs {
		if p.Key == "command" && strings.Contains(p.Msg, "is not installed on this host") {
			return p.Msg
		}
	}
	return ""
}

// Every bundled profile starts with the one-line summary `fsviews
// profiles` shows: "# NAME: what it is for." on its first line, and says
// in its header what it allows and how to adapt it.
func TestLibraryHeaders(t *testing.T) {
	for _, name := range libraryNames(t) {
		b, err := fs.ReadFile(Library(), name+".toml")
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		sc.Scan()
		first := sc.Text()
		if !strings.HasPrefix(first, "# "+name+": ") || len(first) > 100 || len(first) < len(name)+20 {
			t.Errorf("%s.toml: first line %q: want \"# %s: <one-line summary>\", at most 100 characters", name, first, name)
		}
		if strings.Contains(name, "/") || name == "demo" || name == "minimal" {
			continue
		}
		var header strings.Builder
		for sc.Scan() && strings.HasPrefix(sc.Text(), "#") {
			header.WriteString(sc.Text() + "\n")
		}
		for _, part := range []string{"Allows:", "read-only", "read-write", "caps", "net", "seccomp", "pid  ", "Adapt"} {
			if !strings.Contains(header.String(), part) {
				t.Errorf("%s.toml: the header comment does not say %q", name, part)
			}
		}
	}
}

// withFile copies lib into memory and adds one file to it.
func withFile(t *testing.T, lib fs.FS, name, text string) fs.FS {
	t.Helper()
	m := fstest.MapFS{name: &fstest.MapFile{Data: []byte(text)}}
	err := fs.WalkDir(lib, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(lib, p)
		m[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
