package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Registry is the directory of jail records. The CLI uses
// Registry{Dir: "/run/fsviews/jails"}; tests use a temp dir.
type Registry struct {
	Dir string
}

// Record is what fsviews run writes about a jail it started.
type Record struct {
	Name string `json:"name"`
	PID  int    `json:"pid"`
	// StartTime is field 22 of /proc/PID/stat (clock ticks after boot):
	// with the PID it tells the jail from a later process given its PID.
	StartTime     uint64    `json:"start_time"`
	Started       time.Time `json:"started"`
	ProfilePath   string    `json:"profile_path,omitempty"`
	ProfileSHA256 string    `json:"profile_sha256,omitempty"`
	// ProfileFiles lists every file the profile was read from (includes
	// first, as profiles.Profile.FilesRead) with its SHA-256, so an
	// auditor can tell whether a profile changed since the jail started.
	ProfileFiles []FileHash `json:"profile_files,omitempty"`
	// Plan is the views.Plan as JSON, kept as is.
	Plan json.RawMessage `json:"plan,omitempty"`
	// StateDirs maps a view path to the host directory behind it.
	StateDirs map[string]string `json:"state_dirs,omitempty"`
	// Namespaces maps "mnt", "pid", "net", ... to the inode of
	// /proc/PID/ns/X when the jail started.
	Namespaces map[string]uint64 `json:"namespaces,omitempty"`
	// Sources are the bind, socket and [[file]] sources as fsviews run
	// found them when the jail started: fsviews inspect sets them against
	// the jail's live mounts and what the host has now, to report a
	// source swapped since.
	Sources []Source `json:"sources,omitempty"`
}

// Source is one host source of a jail, by device and inode.
type Source struct {
	// Target is the view path the source is bound or copied to.
	Target string `json:"target"`
	// Path is the source as the profile wrote it; Resolved the file it
	// led to, through the links fsviews follows (mounts.OpenSource).
	Path     string `json:"path"`
	Resolved string `json:"resolved"`
	Dev      uint64 `json:"dev"`
	Ino      uint64 `json:"ino"`
}

// FileHash is a file and the hex SHA-256 of its content.
type FileHash struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Health says whether a record still describes a live jail.
type Health uint8

// The health of a record.
const (
	Running Health = iota + 1
	Stale
)

func (h Health) String() string {
	switch h {
	case Running:
		return "running"
	case Stale:
		return "stale"
	}
	return "health(" + strconv.Itoa(int(h)) + ")"
}

// MarshalText writes the name String returns.
func (h Health) MarshalText() ([]byte, error) {
	if h != Running && h != Stale {
		return nil, fmt.Errorf("marshal health %d: out of range", uint8(h))
	}
	return []byte(h.String()), nil
}

// UnmarshalText accepts the names String returns.
func (h *Health) UnmarshalText(b []byte) error {
	switch string(b) {
	case "running":
		*h = Running
	case "stale":
		*h = Stale
	default:
		return fmt.Errorf("unknown health %q", b)
	}
	return nil
}

// Entry is a record with its health checked against /proc just now.
type Entry struct {
	Record
	Health Health `json:"health"`
	// Why says why the record is stale; empty when running.
	Why string `json:"why,omitempty"`
}

// ValidName checks a jail name.
func ValidName(name string) error {
	if !validName(name) {
		return fmt.Errorf("invalid jail name %q: use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'", name)
	}
	return nil
}

const recordExt = ".json"

func (r Registry) path(name string) string { return filepath.Join(r.Dir, name+recordExt) }

// check decides whether rec describes a live jail, from /proc only.
func check(rec Record) (Health, string) {
	st, err := readStat(rec.PID)
	if errors.Is(err, fs.ErrNotExist) {
		return Stale, fmt.Sprintf("process %d is gone", rec.PID)
	}
	if err != nil {
		return Stale, fmt.Sprintf("cannot read process %d: %v", rec.PID, err)
	}
	if st.StartTime != rec.StartTime {
		return Stale, fmt.Sprintf("PID %d now belongs to another process (started at tick %d, the jail at %d)",
			rec.PID, st.StartTime, rec.StartTime)
	}
	if st.State == 'Z' || st.State == 'X' {
		return Stale, fmt.Sprintf("process %d has exited", rec.PID)
	}
	if want, ok := rec.Namespaces["mnt"]; ok {
		got, err := nsInode("/proc/" + strconv.Itoa(rec.PID) + "/ns/mnt")
		if err != nil {
			return Stale, fmt.Sprintf("cannot read the mount namespace of process %d: %v", rec.PID, err)
		}
		if got != want {
			return Stale, fmt.Sprintf("process %d is in mount namespace %d, the jail's was %d", rec.PID, got, want)
		}
	}
	return Running, ""
}

// lock takes an exclusive flock on the registry directory, creating it
// (mode 0700) first. The caller must call the returned unlock.
func (r Registry) lock() (unlock func(), err error) {
	if r.Dir == "" {
		return nil, errors.New("registry has no directory")
	}
	if err := os.MkdirAll(r.Dir, 0o700); err != nil {
		return nil, err
	}
	fd, err := unix.Open(r.Dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: r.Dir, Err: err}
	}
	for {
		err = unix.Flock(fd, unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "flock", Path: r.Dir, Err: err}
	}
	// Closing the fd drops the lock.
	return func() { unix.Close(fd) }, nil
}

// Add records a jail. The record must name a live process; StartTime and
// Namespaces are read from /proc when left zero. A live record with the same
// name is an error (two jails of one profile need distinct names); a stale
// or corrupt one is replaced, and so is a live one for the very same process.
func (r Registry) Add(rec Record) error {
	return r.add(rec, check)
}

// add validates rec, fills StartTime and Namespaces from /proc when zero,
// checks it with alive, and writes it unless a live record of another
// process holds the name.
func (r Registry) add(rec Record, alive func(Record) (Health, string)) error {
	if err := ValidName(rec.Name); err != nil {
		return fmt.Errorf("register jail: %w", err)
	}
	if rec.PID <= 0 {
		return fmt.Errorf("register jail %s: invalid pid %d", rec.Name, rec.PID)
	}
	var err error
	if rec.StartTime == 0 {
		if rec.StartTime, err = ProcStartTime(rec.PID); err != nil {
			return fmt.Errorf("register jail %s: %w", rec.Name, err)
		}
	}
	if rec.Namespaces == nil {
		if rec.Namespaces, err = Namespaces(rec.PID); err != nil {
			return fmt.Errorf("register jail %s: %w", rec.Name, err)
		}
	}
	if h, why := alive(rec); h != Running {
		return fmt.Errorf("register jail %s: the record is stale already: %s", rec.Name, why)
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("register jail %s: %w", rec.Name, err)
	}
	unlock, err := r.lock()
	if err != nil {
		return fmt.Errorf("register jail %s: %w", rec.Name, err)
	}
	defer unlock()
	if old, err := readRecord(r.path(rec.Name), rec.Name); err == nil {
		same := old.PID == rec.PID && old.StartTime == rec.StartTime
		if h, _ := check(old); h == Running && !same {
			return fmt.Errorf("jail %s is already running as PID %d; pick another --name", rec.Name, old.PID)
		}
	}
	if err := writeAtomic(r.Dir, r.path(rec.Name), data); err != nil {
		return fmt.Errorf("register jail %s: %w", rec.Name, err)
	}
	return nil
}

// writeAtomic writes data to final through a temp file (0600) in dir and
// a rename, so a reader sees the old record or the new one, never half of
// one. Nothing is fsync'ed: a record describes a running process, and
// after a crash that could lose it (a power cut, a kernel panic) the
// process is gone too, so the record would only be stale; the default
// registry is on /run, a tmpfs, where fsync does nothing anyway. Raw
// descriptors, not os.File: fsviews run writes the record on its start
// path, and an os.File registers with the runtime's poller (epoll_ctl)
// for nothing.
func writeAtomic(dir, final string, data []byte) error {
	// Callers hold the registry's lock, so the PID names the temp file
	// well enough; one left by a crashed process of the same PID goes.
	tmp := fmt.Sprintf("%s/.%s.tmp-%d", dir, filepath.Base(final), os.Getpid())
	unix.Unlink(tmp)
	fd, err := unix.Open(tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return &os.PathError{Op: "create", Path: tmp, Err: err}
	}
	for len(data) > 0 && err == nil {
		var n int
		n, err = unix.Write(fd, data)
		data = data[n:]
	}
	if closeErr := unix.Close(fd); err == nil {
		err = closeErr
	}
	if err == nil {
		err = unix.Rename(tmp, final)
	}
	if err != nil {
		unix.Unlink(tmp)
		return &os.PathError{Op: "write", Path: final, Err: err}
	}
	return nil
}

// Remove deletes the record of jail name if it still names pid. A missing
// record, or one naming another PID (a newer jail took the name after this
// one went stale), is left alone without error: fsviews run calls Remove
// as its jail exits and must not delete a successor's record.
func (r Registry) Remove(name string, pid int) error {
	if err := ValidName(name); err != nil {
		return fmt.Errorf("unregister jail: %w", err)
	}
	if _, err := os.Lstat(r.Dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	unlock, err := r.lock()
	if err != nil {
		return fmt.Errorf("unregister jail %s: %w", name, err)
	}
	defer unlock()
	rec, err := readRecord(r.path(name), name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("unregister jail %s: %w", name, err)
	}
	if rec.PID != pid {
		return nil
	}
	if err := os.Remove(r.path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("unregister jail %s: %w", name, err)
	}
	return nil
}

// readRecord reads one record file; the name inside must match the file's.
func readRecord(path, name string) (Record, error) {
	// O_NOFOLLOW: records are written by rename; a symlink was planted.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return Record{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return Record{}, err
	}
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return Record{}, fmt.Errorf("record %s is corrupt: %w", path, err)
	}
	if rec.Name != name {
		return Record{}, fmt.Errorf("record %s is corrupt: it names jail %q", path, rec.Name)
	}
	return rec, nil
}

// entry reads and checks the record of name. A corrupt record is a stale
// entry saying so, not an error: one bad file must not hide the others.
func (r Registry) entry(name string) (Entry, error) {
	rec, err := readRecord(r.path(name), name)
	if errors.Is(err, fs.ErrNotExist) {
		return Entry{}, err
	}
	if err != nil {
		return Entry{Record: Record{Name: name}, Health: Stale, Why: err.Error()}, nil
	}
	h, why := check(rec)
	return Entry{Record: rec, Health: h, Why: why}, nil
}

// names lists the record names in the directory, sorted.
func (r Registry) names() ([]string, error) {
	des, err := os.ReadDir(r.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, de := range des {
		name, ok := strings.CutSuffix(de.Name(), recordExt)
		if ok && de.Type().IsRegular() && ValidName(name) == nil {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// List returns every record, sorted by name, each checked against /proc.
// No registry directory means no jails.
func (r Registry) List() ([]Entry, error) {
	names, err := r.names()
	if err != nil {
		return nil, fmt.Errorf("list jails in %s: %w", r.Dir, err)
	}
	var out []Entry
	for _, name := range names {
		e, err := r.entry(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the listing
		}
		if err != nil {
			return nil, fmt.Errorf("list jails in %s: %w", r.Dir, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Get returns the record of jail name, checked against /proc. An unknown
// name is an error wrapping fs.ErrNotExist that lists the known names.
func (r Registry) Get(name string) (Entry, error) {
	if err := ValidName(name); err != nil {
		return Entry{}, err
	}
	e, err := r.entry(name)
	if errors.Is(err, fs.ErrNotExist) {
		known, _ := r.names()
		if len(known) == 0 {
			return Entry{}, fmt.Errorf("no jail named %q: %w (no jails are registered in %s)", name, fs.ErrNotExist, r.Dir)
		}
		return Entry{}, fmt.Errorf("no jail named %q: %w (known: %s)", name, fs.ErrNotExist, strings.Join(known, ", "))
	}
	if err != nil {
		return Entry{}, fmt.Errorf("jail %s: %w", name, err)
	}
	return e, nil
}
