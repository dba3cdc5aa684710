package profiles

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTrusted(t *testing.T) {
	me := os.Getuid()
	dir := t.TempDir()
	mk := func(rel string, mode os.FileMode) string {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("name = \"x\"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := mk("good/p.toml", 0o644)
	wide := mk("wide/p.toml", 0o666)
	groupw := mk("groupw/p.toml", 0o664)
	inOpen := mk("open/p.toml", 0o644)
	if err := os.Chmod(filepath.Dir(inOpen), 0o777); err != nil {
		t.Fatal(err)
	}
	sticky := mk("sticky/p.toml", 0o644)
	if err := os.Chmod(filepath.Dir(sticky), os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "good", "link.toml")
	if err := os.Symlink(inOpen, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		owners     []int
		want       string
	}{
		{"owned, not writable by others", good, []int{me}, ""},
		{"world-writable file", wide, []int{me}, "file " + wide + " is writable by group or others (mode 0666): whoever can write it decides what fsviews runs as root; chmod go-w " + wide},
		{"group-writable file", groupw, []int{me}, "(mode 0664)"},
		{"world-writable directory", inOpen, []int{me}, "directory " + filepath.Dir(inOpen) + " is writable by group or others (mode 0777)"},
		{"symlink into a world-writable directory", link, []int{me}, "directory " + filepath.Dir(inOpen) + " is writable by group or others"},
		{"foreign owner", good, []int{me + 1}, "is owned by uid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Trusted(tc.path, tc.owners...)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Trusted(%s) = %v, want nil", tc.path, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Trusted(%s) = %v, want %q", tc.path, err, tc.want)
			}
		})
	}
	// A sticky directory anyone may write is fine when root owns it
	// (/tmp), not when a user does: that user may replace its files.
	err := Trusted(sticky, me)
	if me == 0 && err != nil {
		t.Errorf("sticky root-owned directory refused: %v", err)
	}
	if me != 0 && (err == nil || !strings.Contains(err.Error(), "mode 1777")) {
		t.Errorf("sticky directory owned by uid %d accepted: %v", me, err)
	}
}
