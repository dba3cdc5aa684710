package audit

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Store keeps checkpoints as files DIR/JAIL/LABEL.json.gz, each a gzipped
// JSON Manifest. Gzip is there for its CRC-32 and length trailer as much as
// for size: a truncated or bit-flipped checkpoint is detected on Load
// instead of silently diffing against half a tree.
//
// Dir should be root-only and out of every jail's view (the CLI uses
// /var/lib/fsviews/checkpoints). Save creates it and the jail's directory
// with mode 0700.
type Store struct {
	Dir string
}

// Checkpoint describes one stored manifest without reading it.
type Checkpoint struct {
	Jail  string    `json:"jail"`
	Label string    `json:"label"`
	Taken time.Time `json:"taken"` // the file's mtime, which Save sets to Manifest.Taken
	Path  string    `json:"path"`
	Size  int64     `json:"size"`
}

const checkpointExt = ".json.gz"

// validName is what a jail name or a label may be: it becomes a file name,
// so no "/" and no leading "." ("..", and Save's temp files start with ".").
var validName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$`) })

// ValidLabel checks a checkpoint label or jail name.
func ValidLabel(s string) error {
	if !validName().MatchString(s) {
		return fmt.Errorf("invalid name %q: use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'", s)
	}
	return nil
}

// CorruptError reports a checkpoint file that cannot be read back.
type CorruptError struct {
	Jail, Label, Path string
	Err               error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("checkpoint %q of jail %q at %s is corrupt: %v; take a new one with fsviews checkpoint",
		e.Label, e.Jail, e.Path, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

func (s Store) jailDir(jail string) (string, error) {
	if s.Dir == "" {
		return "", errors.New("checkpoint store has no directory")
	}
	if err := ValidLabel(jail); err != nil {
		return "", fmt.Errorf("jail name: %w", err)
	}
	return filepath.Join(s.Dir, jail), nil
}

// mkdirPrivate creates dir with mode 0700 if needed and checks it is a
// directory, not a symlink someone planted.
func mkdirPrivate(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	return nil
}

// Save writes m as checkpoint label of jail, atomically: a temp file (0600)
// in the same directory is written, synced and renamed over the old one,
// then the directory is synced, so a crash leaves the old checkpoint or the
// new one, never a mix. m's Version, Jail and Label are set by Save.
func (s Store) Save(jail, label string, m Manifest) (err error) {
	dir, err := s.jailDir(jail)
	if err != nil {
		return fmt.Errorf("save checkpoint %q: %w", label, err)
	}
	if err := ValidLabel(label); err != nil {
		return fmt.Errorf("save checkpoint of jail %q: label: %w", jail, err)
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("save checkpoint %q of jail %q: %w", label, jail, err)
	}
	if err := mkdirPrivate(dir); err != nil {
		return fmt.Errorf("save checkpoint %q of jail %q: %w", label, jail, err)
	}
	m.Version, m.Jail, m.Label = FormatVersion, jail, label
	if m.Taken.IsZero() {
		m.Taken = time.Now()
	}
	final := filepath.Join(dir, label+checkpointExt)
	tmp, err := os.CreateTemp(dir, "."+label+".tmp-*")
	if err != nil {
		return fmt.Errorf("save checkpoint %q of jail %q: %w", label, jail, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := writeManifest(tmp, &m); err != nil {
		return fmt.Errorf("save checkpoint %q of jail %q: write %s: %w", label, jail, tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("save checkpoint %q of jail %q: %w", label, jail, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save checkpoint %q of jail %q: %w", label, jail, err)
	}
	// List reads the time from the file rather than decompressing it.
	if err := os.Chtimes(tmp.Name(), m.Taken, m.Taken); err != nil {
		return fmt.Errorf("save checkpoint %q of jail %q: %w", label, jail, err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return fmt.Errorf("save checkpoint %q of jail %q: %w", label, jail, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("save checkpoint %q of jail %q: sync %s: %w", label, jail, dir, err)
	}
	return nil
}

func writeManifest(w io.Writer, m *Manifest) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(zw, 64<<10)
	if err := json.NewEncoder(bw).Encode(m); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Load reads checkpoint label of jail. A missing checkpoint is an error
// wrapping fs.ErrNotExist that lists the labels there are; an unreadable
// one is a *CorruptError.
func (s Store) Load(jail, label string) (Manifest, error) {
	dir, err := s.jailDir(jail)
	if err != nil {
		return Manifest{}, fmt.Errorf("load checkpoint %q: %w", label, err)
	}
	if err := ValidLabel(label); err != nil {
		return Manifest{}, fmt.Errorf("load checkpoint of jail %q: label: %w", jail, err)
	}
	p := filepath.Join(dir, label+checkpointExt)
	f, err := openStored(s.Dir, jail+"/"+label+checkpointExt, false)
	if errors.Is(err, fs.ErrNotExist) {
		return Manifest{}, s.notFound(jail, label)
	}
	if err != nil {
		return Manifest{}, fmt.Errorf("load checkpoint %q of jail %q: %w", label, jail, err)
	}
	defer f.Close()
	m, err := readManifest(f)
	if err != nil {
		return Manifest{}, &CorruptError{Jail: jail, Label: label, Path: p, Err: err}
	}
	return m, nil
}

func (s Store) notFound(jail, label string) error {
	cps, _ := s.List(jail)
	if len(cps) == 0 {
		return fmt.Errorf("checkpoint %q of jail %q: %w (jail %q has no checkpoints)", label, jail, fs.ErrNotExist, jail)
	}
	labels := make([]string, len(cps))
	for i, c := range cps {
		labels[i] = c.Label
	}
	return fmt.Errorf("checkpoint %q of jail %q: %w (have: %s)", label, jail, fs.ErrNotExist, strings.Join(labels, ", "))
}

func readManifest(r io.Reader) (Manifest, error) {
	var m Manifest
	zr, err := gzip.NewReader(bufio.NewReaderSize(r, 64<<10))
	if err != nil {
		return m, fmt.Errorf("not a gzip file: %w", err)
	}
	dec := json.NewDecoder(zr)
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("decode: %w", err)
	}
	// Read to the end: the gzip checksum is verified only at EOF, and a
	// truncated stream fails here even when the JSON looked complete.
	if _, err := io.Copy(io.Discard, io.MultiReader(dec.Buffered(), zr)); err != nil {
		return m, fmt.Errorf("read: %w", err)
	}
	if m.Version != 1 && m.Version != FormatVersion {
		return m, fmt.Errorf("format version %d, this fsviews reads versions 1 to %d", m.Version, FormatVersion)
	}
	for i := range m.Roots {
		r := &m.Roots[i]
		if r.Name == "" {
			return m, errors.New("a root has no name")
		}
		check := r.check
		if m.Version == 1 {
			check = r.fromV1
		}
		if err := check(); err != nil {
			return m, err
		}
	}
	return m, nil
}

// List returns the checkpoints of jail, oldest first (ties by label). A
// jail without checkpoints has an empty list, not an error.
func (s Store) List(jail string) ([]Checkpoint, error) {
	dir, err := s.jailDir(jail)
	if err != nil {
		return nil, fmt.Errorf("list checkpoints: %w", err)
	}
	des, err := readDirStored(s.Dir, jail)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list checkpoints of jail %q: %w", jail, err)
	}
	var out []Checkpoint
	for _, de := range des {
		label, ok := strings.CutSuffix(de.Name(), checkpointExt)
		if !ok || !de.Type().IsRegular() || ValidLabel(label) != nil {
			continue // temp files, strays
		}
		fi, err := de.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, Checkpoint{Jail: jail, Label: label, Taken: fi.ModTime(),
			Path: filepath.Join(dir, de.Name()), Size: fi.Size()})
	}
	slices.SortFunc(out, func(a, b Checkpoint) int {
		if c := a.Taken.Compare(b.Taken); c != 0 {
			return c
		}
		return strings.Compare(a.Label, b.Label)
	})
	return out, nil
}

// Jails lists the jails that have a directory in the store, sorted; a
// missing store has none. A symlink or file in their place is skipped:
// fsviews writes neither.
func (s Store) Jails() ([]string, error) {
	des, err := readDirStored(s.Dir, ".")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list the checkpoint store: %w", err)
	}
	var jails []string
	for _, de := range des {
		if de.Type().IsDir() {
			jails = append(jails, de.Name())
		}
	}
	slices.Sort(jails)
	return jails, nil
}

// Latest loads the newest checkpoint of jail.
func (s Store) Latest(jail string) (Manifest, error) {
	cps, err := s.List(jail)
	if err != nil {
		return Manifest{}, err
	}
	if len(cps) == 0 {
		return Manifest{}, fmt.Errorf("latest checkpoint of jail %q: %w (jail %q has no checkpoints)", jail, fs.ErrNotExist, jail)
	}
	return s.Load(jail, cps[len(cps)-1].Label)
}
