package profiles

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFiles writes name -> text under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// 30 files each including the next twice took 2^30 reads before each file
// was read once; now it loads at once, with one copy of every key.
func TestIncludeDoublingChainIsLinear(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for i := 0; i < 30; i++ {
		next := fmt.Sprintf("f%d.toml", i+1)
		files[fmt.Sprintf("f%d.toml", i)] = fmt.Sprintf("include = [%q, %q]\n", next, next)
	}
	files["f30.toml"] = lines(`[[tmpfs]]`, `target = "/tmp"`)
	files["p.toml"] = lines(`command = ["/bin/sh"]`, `include = ["f0.toml"]`)
	writeFiles(t, dir, files)
	p, probs := Loader{}.Load(filepath.Join(dir, "p.toml"))
	if p == nil {
		t.Fatalf("does not load: %v", probs)
	}
	if len(p.Tmpfs) != 1 {
		t.Errorf("want the included [[tmpfs]] once, got %d", len(p.Tmpfs))
	}
}

// A directory symlink back to itself gave every include a new name
// (d/x.toml, d/d/x.toml, ...): files are known by device and inode, so
// the loop is a cycle, reported with the names it was reached by.
func TestIncludeSymlinkLoopIsACycle(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink(".", filepath.Join(dir, "d")); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{
		"x.toml": lines(`command = ["/bin/sh"]`, `include = ["d/x.toml", "d/x.toml"]`),
	})
	x := filepath.Join(dir, "x.toml")
	p, probs := Loader{}.Load(x)
	if p != nil || len(probs) == 0 {
		t.Fatalf("want an include cycle error, got %v", probs)
	}
	want := fmt.Sprintf("%s:2: include: include cycle: %s -> %s; remove one of these includes", x, x, filepath.Join(dir, "d/x.toml"))
	if got := probs[0].String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// A wide tree of distinct files stops at maxIncludes with an error at the
// include that went past it.
func TestIncludeCap(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	var names []string
	for i := 0; i < maxIncludes+5; i++ {
		n := fmt.Sprintf("w%d.toml", i)
		files[n] = "# empty\n"
		names = append(names, fmt.Sprintf("%q", n))
	}
	files["p.toml"] = lines(`command = ["/bin/sh"]`, "include = ["+strings.Join(names, ", ")+"]")
	writeFiles(t, dir, files)
	p, probs := Loader{}.Load(filepath.Join(dir, "p.toml"))
	if p != nil {
		t.Fatal("a profile past the include cap loaded")
	}
	if !strings.Contains(probs.Error(), fmt.Sprintf("more than %d files included", maxIncludes)) {
		t.Errorf("want the include cap error, got %v", probs)
	}
}
