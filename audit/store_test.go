package audit

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func testManifest(taken time.Time) Manifest {
	return Manifest{Taken: taken, Roots: []Root{{
		Name: "/var/lib/x", Kind: "state", HostPath: "/srv/state/x",
		Entries: []Entry{
			{Parent: -1, Name: ".", Type: TypeDir, Mode: 0o755},
			{Name: "bad\xff\nname", Type: TypeFile, Mode: 0o4755, SHA256: sha("x"), Size: 1},
			{Name: "l", Type: TypeSymlink, Link: "\xfe/etc"},
		},
	}}}
}

func TestStoreRoundTrip(t *testing.T) {
	s := Store{Dir: filepath.Join(t.TempDir(), "checkpoints")}
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	m := testManifest(t0)
	if err := s.Save("web", "base", m); err != nil {
		t.Fatal(err)
	}
	if err := s.Save("web", "after", testManifest(t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load("web", "base")
	if err != nil {
		t.Fatal(err)
	}
	m.Version, m.Jail, m.Label = FormatVersion, "web", "base"
	if !got.Taken.Equal(m.Taken) {
		t.Errorf("taken %v", got.Taken)
	}
	got.Taken = m.Taken
	if !reflect.DeepEqual(got, m) {
		t.Errorf("round trip:\n%+v\n%+v", got, m)
	}
	cps, err := s.List("web")
	if err != nil || len(cps) != 2 || cps[0].Label != "base" || cps[1].Label != "after" {
		t.Fatalf("list %+v %v", cps, err)
	}
	if latest, err := s.Latest("web"); err != nil || latest.Label != "after" {
		t.Errorf("latest %q %v", latest.Label, err)
	}
	// Root-only files, no temp files left behind.
	for p, mode := range map[string]fs.FileMode{s.Dir: 0o700, filepath.Join(s.Dir, "web"): 0o700,
		cps[0].Path: 0o600} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: %v %v", p, fi.Mode(), err)
		}
	}
	des, _ := os.ReadDir(filepath.Join(s.Dir, "web"))
	if len(des) != 2 {
		t.Errorf("files %v", des)
	}
	if cps, err := s.List("other"); err != nil || len(cps) != 0 {
		t.Errorf("list of unknown jail: %v %v", cps, err)
	}
}

func TestStoreBadNames(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	for _, bad := range []string{"", ".", "..", ".hidden", "a/b", "a b", strings.Repeat("x", 65), "é"} {
		if err := s.Save("web", bad, testManifest(time.Now())); err == nil {
			t.Errorf("label %q accepted", bad)
		}
		if err := s.Save(bad, "ok", testManifest(time.Now())); err == nil {
			t.Errorf("jail %q accepted", bad)
		}
		if _, err := s.Load(bad, "ok"); err == nil {
			t.Errorf("load of jail %q accepted", bad)
		}
	}
	for _, good := range []string{"a", "v1.2_x-3", strings.Repeat("x", 64), "-x"} {
		if err := ValidLabel(good); err != nil {
			t.Errorf("%q refused: %v", good, err)
		}
	}
}

func TestStoreMissing(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	_, err := s.Load("web", "nope")
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "no checkpoints") {
		t.Errorf("err = %v", err)
	}
	if _, err := s.Latest("web"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("latest: %v", err)
	}
	if err := s.Save("web", "one", testManifest(time.Now())); err != nil {
		t.Fatal(err)
	}
	_, err = s.Load("web", "nope")
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "(have: one)") {
		t.Errorf("err = %v", err)
	}
}

func TestStoreCorrupt(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	if err := s.Save("web", "good", testManifest(time.Now())); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(s.Dir, "web", "good.json.gz")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.Bytes()
	}
	flipped := bytes.Clone(data)
	flipped[len(flipped)-12] ^= 0xff // in the deflate stream or its CRC
	for name, content := range map[string][]byte{
		"empty":      nil,
		"truncated":  data[:len(data)/2],
		"no-trailer": data[:len(data)-4],
		"flipped":    flipped,
		"garbage":    []byte("not a checkpoint"),
		"bad-json":   gz(`{"version":1,"roots":[{"name":"/x","entries":[{"path":`),
		"version":    gz(`{"version":99,"roots":[]}`),
		"no-path":    gz(`{"version":1,"roots":[{"name":"/x","entries":[{"type":"file"}]}]}`),
		"bad-type":   gz(`{"version":1,"roots":[{"name":"/x","entries":[{"path":"a","type":"pipe"}]}]}`),
	} {
		if err := os.WriteFile(filepath.Join(s.Dir, "web", name+".json.gz"), content, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := s.Load("web", name)
		var ce *CorruptError
		if !errors.As(err, &ce) {
			t.Errorf("%s: err = %v", name, err)
			continue
		}
		want := `checkpoint "` + name + `" of jail "web" at ` + filepath.Join(s.Dir, "web", name+".json.gz") + " is corrupt: "
		if !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "; take a new one with fsviews checkpoint") {
			t.Errorf("%s: message %q", name, err)
		}
	}
	// A failed Save leaves the old checkpoint in place and no temp file.
	m := testManifest(time.Now())
	m.Roots[0].Entries[0].Type = Type(200) // cannot be marshalled
	if err := s.Save("web", "good", m); err == nil {
		t.Fatal("save of a bad manifest succeeded")
	}
	if now, _ := os.ReadFile(p); !bytes.Equal(now, data) {
		t.Error("failed save changed the old checkpoint")
	}
	des, _ := os.ReadDir(filepath.Join(s.Dir, "web"))
	for _, de := range des {
		if strings.HasPrefix(de.Name(), ".") {
			t.Errorf("temp file left: %s", de.Name())
		}
	}
}
