package audit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A checkpoint, or a jail's checkpoint directory, replaced by a symlink (to
// a manifest someone else wrote) or a FIFO is refused, never read through.
func TestStoreRefusesPlantedLinks(t *testing.T) {
	s := Store{Dir: filepath.Join(t.TempDir(), "checkpoints")}
	m := Manifest{Taken: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Roots: []Root{{Name: "/var/lib/x", Kind: "state"}}}
	if err := s.Save("other", "base", m); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("other", filepath.Join(s.Dir, "web")); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(s.Dir, "app"), 0o700)
	if err := os.Symlink("../other/base.json.gz", filepath.Join(s.Dir, "app", "base.json.gz")); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(s.Dir, "app", "fifo.json.gz"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ jail, label, want string }{
		{"web", "base", "a symlink is in the way"},
		{"app", "base", "a symlink is in the way"},
		{"app", "fifo", "not a regular file"},
	} {
		if _, err := s.Load(tc.jail, tc.label); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%s, %s): %v, want %q", tc.jail, tc.label, err, tc.want)
		}
	}
	if _, err := s.List("web"); err == nil || !strings.Contains(err.Error(), "a symlink is in the way") {
		t.Errorf("List through a symlinked jail dir: %v", err)
	}
	if _, err := s.Latest("web"); err == nil {
		t.Error("Latest read through a symlinked jail dir")
	}
	if got, err := s.Load("other", "base"); err != nil || got.Label != "base" {
		t.Errorf("the real checkpoint: %+v %v", got, err)
	}
}
