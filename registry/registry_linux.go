package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/internal/suggest"
)

// Registry is the directory of jail records. The CLI uses
// Registry{Dir: "/run/fsviews/jails"}; tests use a temp dir.
type Registry struct {
	Dir string
	// held is the directory opened by Hold, nil when every call opens it.
	held *os.File
}

// Hold returns the registry with its directory opened now (created if
// missing, and checked as every access checks it): its Add, AddSelf and
// Remove then work through that descriptor, from any mount namespace or
// root. fsviews run holds it before the launch unshares and pivots, and
// registers the jail on the launching thread. Release closes it.
func (r Registry) Hold() (Registry, error) {
	fd, err := openDir(r.Dir, true)
	if err != nil {
		return r, err
	}
	r.held = os.NewFile(uintptr(fd), r.Dir)
	return r, nil
}

// Release closes what Hold opened.
func (r Registry) Release() {
	if r.held != nil {
		r.held.Close()
	}
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
	// Namespaces maps "mnt", "pid", "net", ... to the inode of
	// /proc/PID/ns/X when the jail started. Written before the plan, with
	// the other fields a liveness check needs (readHead).
	Namespaces map[string]uint64 `json:"namespaces,omitempty"`
	// ProfileFiles lists every file the profile was read from (includes
	// first, as profiles.Profile.FilesRead) with its SHA-256, so an
	// auditor can tell whether a profile changed since the jail started.
	ProfileFiles []FileHash `json:"profile_files,omitempty"`
	// Plan is the views.Plan as JSON, kept as is.
	Plan json.RawMessage `json:"plan,omitempty"`
	// StateDirs maps a view path to the host directory behind it.
	StateDirs map[string]string `json:"state_dirs,omitempty"`
	// Sources are the bind, socket and [[file]] sources as fsviews run
	// found them when the jail started: fsviews inspect sets them against
	// the jail's live mounts and what the host has now, to report a
	// source swapped since.
	Sources []Source `json:"sources,omitempty"`
	// Execs are the commands fsviews exec started in the jail, oldest
	// first, the last maxExecs of them (exec_linux.go).
	Execs []Exec `json:"execs,omitempty"`
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

// The health of a record. Liveness is decided by the PID and its start
// time alone; the namespaces only tell Running from Drift. A jail that
// left its namespaces (e.g. `exec unshare -U -m sleep 300` inside) is still
// the jail, holding its state dirs: calling it stale would let Prune drop
// its record and a second jail of its name start beside it.
const (
	// Running: the process is alive, has the recorded start time and
	// sits in the recorded namespaces.
	Running Health = iota + 1
	// Stale: the process is gone, a zombie, or its PID now belongs to
	// another process (another start time); or the record is corrupt.
	Stale
	// Drift: the process is alive with the recorded start time, but no
	// longer in every namespace recorded for it. It is never pruned or
	// replaced; Why names the namespaces it left.
	Drift
)

var healthNames = [...]string{Running: "running", Stale: "stale", Drift: "drift"}

func (h Health) String() string {
	if h >= Running && int(h) < len(healthNames) {
		return healthNames[h]
	}
	return "health(" + strconv.Itoa(int(h)) + ")"
}

// Alive reports whether the record names a live jail (Running or Drift):
// such a record is never pruned or replaced.
func (h Health) Alive() bool { return h == Running || h == Drift }

// MarshalText writes the name String returns.
func (h Health) MarshalText() ([]byte, error) {
	if h < Running || int(h) >= len(healthNames) {
		return nil, fmt.Errorf("marshal health %d: out of range", uint8(h))
	}
	return []byte(healthNames[h]), nil
}

// UnmarshalText accepts the names String returns.
func (h *Health) UnmarshalText(b []byte) error {
	for i, n := range healthNames {
		if n != "" && n == string(b) {
			*h = Health(i)
			return nil
		}
	}
	return fmt.Errorf("unknown health %q", b)
}

// Entry is a record with its health checked against /proc just now.
type Entry struct {
	Record
	Health Health `json:"health"`
	// Why says why the record is stale, or which namespaces a drifting
	// jail left; empty when running.
	Why string `json:"why,omitempty"`
}

// ValidName checks a jail name: its syntax, and that it is not reserved
// (see reservedName).
func ValidName(name string) error {
	if !validName(name) {
		return fmt.Errorf("invalid jail name %q: use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'", name)
	}
	if why := reservedName(name); why != "" {
		return fmt.Errorf("jail name %q is reserved: %s; give the jail another name (run --name)", name, why)
	}
	return nil
}

const recordExt = ".json"

func (r Registry) path(name string) string { return filepath.Join(r.Dir, name+recordExt) }

// check decides whether rec describes a live jail, from /proc only.
// Liveness is the PID and its start time (field 22 of /proc/PID/stat): a
// reused PID has a later one. Namespaces only tell Running from Drift, and
// are read between two reads of the start time, so a PID that was reused
// meanwhile is not taken for the jail in another namespace.
func check(rec Record) (Health, string) {
	if h, why := checkPID(rec); h != Running {
		return h, why
	}
	moved, nsErr := movedNamespaces(rec)
	// The PID may have been reused while its namespaces were read.
	if h, why := checkPID(rec); h != Running {
		return h, why
	}
	if nsErr != nil {
		return Drift, fmt.Sprintf("process %d is alive, but its namespaces cannot be read: %v", rec.PID, nsErr)
	}
	if len(moved) > 0 {
		return Drift, fmt.Sprintf("process %d has left the namespaces fsviews made for it: %s", rec.PID, strings.Join(moved, ", "))
	}
	return Running, ""
}

// checkPID is check without the namespaces: Running or Stale.
func checkPID(rec Record) (Health, string) {
	st, err := readStat(rec.PID)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ESRCH) {
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
	return Running, ""
}

// movedNamespaces lists, as "mnt 4026532300 (was 4026532195)", each
// recorded namespace the process is no longer in. The *_for_children links
// are left out: they are where the process's next children go, not where it
// is. A namespace the kernel no longer lists is not compared.
func movedNamespaces(rec Record) ([]string, error) {
	if len(rec.Namespaces) == 0 {
		return nil, nil
	}
	now, err := Namespaces(rec.PID)
	if err != nil {
		return nil, err
	}
	var moved []string
	for name, want := range rec.Namespaces {
		got, ok := now[name]
		if !ok || got == want || strings.HasSuffix(name, "_for_children") {
			continue
		}
		moved = append(moved, fmt.Sprintf("%s %d (was %d)", name, got, want))
	}
	slices.Sort(moved)
	return moved, nil
}

// lock opens the registry directory (see openDir), creating it first, and
// takes an exclusive flock on it. The caller uses the returned fd for every
// access under the lock and must call unlock, which closes it.
func (r Registry) lock() (dirfd int, unlock func(), err error) {
	if r.held != nil {
		fd := int(r.held.Fd())
		if err := flockEINTR(fd, unix.LOCK_EX); err != nil {
			return -1, nil, &os.PathError{Op: "flock", Path: r.Dir, Err: err}
		}
		return fd, func() { unix.Flock(fd, unix.LOCK_UN) }, nil
	}
	fd, err := openDir(r.Dir, true)
	if err != nil {
		return -1, nil, err
	}
	if err = flockEINTR(fd, unix.LOCK_EX); err != nil {
		unix.Close(fd)
		return -1, nil, &os.PathError{Op: "flock", Path: r.Dir, Err: err}
	}
	// Closing the fd drops the lock.
	return fd, func() { unix.Close(fd) }, nil
}

// flockEINTR takes an flock of kind how on fd, again when interrupted.
func flockEINTR(fd, how int) error {
	for {
		err := unix.Flock(fd, how)
		if err != unix.EINTR {
			return err
		}
	}
}

// Add records a jail. The record must name a live process; StartTime and
// Namespaces are read from /proc when left zero. A live record with the same
// name (Running or Drift) is an error (two jails of one profile need
// distinct names); a stale or corrupt one is replaced, and so is a live one
// for the very same process.
//
// Whether rec is stale already is asked of its PID and start time alone
// (checkPID): add refuses only a Stale record, and check tells Stale
// from the rest by those two, so comparing the namespaces just read with
// themselves again was a dozen readlinks for nothing.
func (r Registry) Add(rec Record) error {
	return r.add(rec, checkPID)
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
	if h, why := alive(rec); h == Stale {
		return fmt.Errorf("register jail %s: the record is stale already: %s", rec.Name, why)
	}
	data, err := rec.AppendJSON(nil)
	if err != nil {
		return fmt.Errorf("register jail %s: %w", rec.Name, err)
	}
	dirfd, unlock, err := r.lock()
	if err != nil {
		return fmt.Errorf("register jail %s: %w", rec.Name, err)
	}
	defer unlock()
	if old, err := r.readHead(dirfd, rec.Name); err == nil {
		same := old.PID == rec.PID && old.StartTime == rec.StartTime
		if h, why := check(old); h.Alive() && !same {
			return &RunningError{Name: rec.Name, PID: old.PID, Profile: old.ProfilePath, Health: h, Why: why}
		}
	}
	if err := writeRecord(dirfd, r.Dir, rec.Name+recordExt, data); err != nil {
		return fmt.Errorf("register jail %s: %w", rec.Name, err)
	}
	return nil
}

// notFound is Get's answer for a name no record has: its message is for
// people ("no jail named ..."), and errors.Is(err, fs.ErrNotExist) holds.
type notFound string

func (e notFound) Error() string { return string(e) }
func (e notFound) Unwrap() error { return fs.ErrNotExist }

// RunningError is Add's refusal of a name a live jail holds.
type RunningError struct {
	Name    string
	PID     int
	Profile string // the live jail's profile, when its record names one
	Health  Health // Running or Drift
	Why     string // for Drift, the namespaces it left
}

func (e *RunningError) Error() string {
	msg := fmt.Sprintf("jail %s is already running as PID %d", e.Name, e.PID)
	if e.Profile != "" {
		msg += fmt.Sprintf(" (profile %s)", e.Profile)
	}
	if e.Health == Drift {
		msg += fmt.Sprintf("; it is alive but drifted: %s (fsviews inspect %s shows it)", e.Why, e.Name)
	}
	return msg + "; give this one another --name, or stop that one first (fsviews ps lists the jails): two jails of one name would share its state dirs"
}

// Remove deletes the record of jail name if it still names pid. A missing
// record, or one naming another PID (a newer jail took the name after this
// one went stale), is left alone without error: fsviews run calls Remove
// as its jail exits and must not delete a successor's record.
func (r Registry) Remove(name string, pid int) error {
	if err := ValidName(name); err != nil {
		return fmt.Errorf("unregister jail: %w", err)
	}
	if _, err := os.Lstat(r.Dir); r.held == nil && errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	dirfd, unlock, err := r.lock()
	if err != nil {
		return fmt.Errorf("unregister jail %s: %w", name, err)
	}
	defer unlock()
	rec, err := r.readRecord(dirfd, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("unregister jail %s: %w", name, err)
	}
	if rec.PID != pid {
		return nil
	}
	if err := unlinkRecord(dirfd, r.Dir, name); err != nil {
		return fmt.Errorf("unregister jail %s: %w", name, err)
	}
	return nil
}

// readRecord reads the record of jail name from the registry directory
// dirfd, never through a symlink (see readFileAt); the name inside must
// match the file's.
func (r Registry) readRecord(dirfd int, name string) (Record, error) {
	data, err := readFileAt(dirfd, r.Dir, name+recordExt)
	if err != nil {
		return Record{}, err
	}
	path := r.path(name)
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return Record{}, fmt.Errorf("record %s is corrupt: %w", path, err)
	}
	if rec.Name != name {
		return Record{}, fmt.Errorf("record %s is corrupt: it names jail %q", path, rec.Name)
	}
	return rec, nil
}

// readHead reads what a liveness check needs of the record of jail name
// (name, PID, start time, profile path, namespaces): the fields written
// first (see Record), so the decoding stops before the plan and the
// sources, which can be hundreds of KiB and are not needed to tell a live
// jail from a stale record. fsviews run checks the record of its name
// twice on its start path. A record that is corrupt after those fields is
// still judged by them; one whose head is corrupt is an error, as with
// readRecord.
func (r Registry) readHead(dirfd int, name string) (Record, error) {
	data, err := readFileAt(dirfd, r.Dir, name+recordExt)
	if err != nil {
		return Record{}, err
	}
	path := r.path(name)
	rec, err := decodeHead(data)
	if err != nil {
		return Record{}, fmt.Errorf("record %s is corrupt: %w", path, err)
	}
	if rec.Name != name {
		return Record{}, fmt.Errorf("record %s is corrupt: it names jail %q", path, rec.Name)
	}
	return rec, nil
}

// decodeHead decodes the head fields of a record (see readHead) and stops
// once it has them; the other fields on the way are skipped (a record of
// an older fsviews wrote the namespaces after the plan).
func decodeHead(data []byte) (Record, error) {
	var rec Record
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil {
		return rec, err
	} else if d, ok := t.(json.Delim); !ok || d != '{' {
		return rec, fmt.Errorf("not a JSON object")
	}
	const all = 1<<4 - 1
	seen := 0
	for seen != all && dec.More() {
		t, err := dec.Token()
		if err != nil {
			return rec, err
		}
		var v any
		switch t {
		case "name":
			v, seen = &rec.Name, seen|1
		case "pid":
			v, seen = &rec.PID, seen|2
		case "start_time":
			v, seen = &rec.StartTime, seen|4
		case "namespaces":
			v, seen = &rec.Namespaces, seen|8
		case "profile_path":
			v = &rec.ProfilePath
		default:
			v = new(json.RawMessage)
		}
		if err := dec.Decode(v); err != nil {
			return rec, err
		}
	}
	return rec, nil
}

// unlinkRecord removes the record file of jail name, whatever it is (a
// planted symlink is removed, not followed); a missing one is no error.
func unlinkRecord(dirfd int, dir, name string) error {
	err := unix.Unlinkat(dirfd, name+recordExt, 0)
	if err != nil && err != unix.ENOENT {
		return &os.PathError{Op: "remove", Path: dir + "/" + name + recordExt, Err: err}
	}
	return nil
}

// entry reads and checks the record of name, under the registry's shared
// lock: writers overwrite a record in place under the exclusive one (see
// writeRecord). dirfd must be one of the reader's own (open), never one
// that holds the exclusive lock, which the shared one would replace. A
// corrupt record is a stale entry saying so, not an error: one bad file
// must not hide the others.
func (r Registry) entry(dirfd int, name string) (Entry, error) {
	if err := flockEINTR(dirfd, unix.LOCK_SH); err != nil {
		return Entry{}, &os.PathError{Op: "flock", Path: r.Dir, Err: err}
	}
	rec, err := r.readRecord(dirfd, name)
	unix.Flock(dirfd, unix.LOCK_UN)
	if errors.Is(err, fs.ErrNotExist) {
		return Entry{}, err
	}
	if err != nil {
		return Entry{Record: Record{Name: name}, Health: Stale, Why: err.Error()}, nil
	}
	h, why := check(rec)
	return Entry{Record: rec, Health: h, Why: why}, nil
}

// open opens the registry directory for reading: ok is false when there
// is none (no jails registered yet).
func (r Registry) open() (dirfd int, ok bool, err error) {
	fd, err := openDir(r.Dir, false)
	if errors.Is(err, fs.ErrNotExist) {
		return -1, false, nil
	}
	if err != nil {
		return -1, false, err
	}
	return fd, true, nil
}

// names lists the record names in the directory dirfd, sorted.
func (r Registry) names(dirfd int) ([]string, error) {
	// A dup, so that closing the os.File leaves dirfd open.
	dup, err := unix.FcntlInt(uintptr(dirfd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "dup", Path: r.Dir, Err: err}
	}
	d := os.NewFile(uintptr(dup), r.Dir)
	defer d.Close()
	des, err := d.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, de := range des {
		name, ok := strings.CutSuffix(de.Name(), recordExt)
		// Not only regular files: a symlink or FIFO planted under a
		// record's name is listed as a stale entry saying what it is, so
		// that ps shows it and Prune removes it.
		if ok && !de.IsDir() && ValidName(name) == nil {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// List returns every record, sorted by name, each checked against /proc.
// No registry directory means no jails.
func (r Registry) List() ([]Entry, error) {
	dirfd, ok, err := r.open()
	if err != nil {
		return nil, fmt.Errorf("list jails in %s: %w", r.Dir, err)
	}
	if !ok {
		return nil, nil
	}
	defer unix.Close(dirfd)
	names, err := r.names(dirfd)
	if err != nil {
		return nil, fmt.Errorf("list jails in %s: %w", r.Dir, err)
	}
	var out []Entry
	for _, name := range names {
		e, err := r.entry(dirfd, name)
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
	dirfd, ok, err := r.open()
	if err != nil {
		return Entry{}, fmt.Errorf("jail %s: %w", name, err)
	}
	if !ok {
		return Entry{}, notFound(fmt.Sprintf("no jail named %q (no jails are registered in %s)", name, r.Dir))
	}
	defer unix.Close(dirfd)
	e, err := r.entry(dirfd, name)
	if errors.Is(err, fs.ErrNotExist) {
		known, _ := r.names(dirfd)
		if len(known) == 0 {
			return Entry{}, notFound(fmt.Sprintf("no jail named %q (no jails are registered in %s)", name, r.Dir))
		}
		msg := fmt.Sprintf("no jail named %q", name)
		if best := suggest.Closest(name, known); best != "" {
			msg += fmt.Sprintf("; did you mean %q?", best)
		}
		return Entry{}, notFound(fmt.Sprintf("%s (known: %s)", msg, strings.Join(known, ", ")))
	}
	if err != nil {
		return Entry{}, fmt.Errorf("jail %s: %w", name, err)
	}
	return e, nil
}
