package audit

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Type is the kind of a file system object.
type Type uint8

// The file types a manifest records. TypeUnknown only appears for a zero
// Entry; the walk maps every st_mode format to one of the others.
const (
	TypeUnknown Type = iota
	TypeFile
	TypeDir
	TypeSymlink
	TypeChar
	TypeBlock
	TypeFIFO
	TypeSocket
)

var typeNames = [...]string{
	TypeUnknown: "unknown",
	TypeFile:    "file",
	TypeDir:     "dir",
	TypeSymlink: "symlink",
	TypeChar:    "char",
	TypeBlock:   "block",
	TypeFIFO:    "fifo",
	TypeSocket:  "socket",
}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// MarshalText writes the name String returns.
func (t Type) MarshalText() ([]byte, error) {
	if int(t) >= len(typeNames) {
		return nil, fmt.Errorf("marshal file type %d: out of range", uint8(t))
	}
	return []byte(typeNames[t]), nil
}

// UnmarshalText accepts the names String returns.
func (t *Type) UnmarshalText(b []byte) error {
	for i, n := range typeNames {
		if n == string(b) {
			*t = Type(i)
			return nil
		}
	}
	return fmt.Errorf("unknown file type %q", b)
}

// Entry is one file system object under a root, as lstat saw it.
type Entry struct {
	// Path is relative to the root, "/"-separated, "." for the root itself.
	// It holds the raw bytes of the names: see "Names in JSON" in the
	// package doc for how it is written when it is not valid UTF-8.
	Path string
	Type Type
	// Mode holds the permission bits with setuid, setgid and sticky
	// (st_mode & 07777).
	Mode     uint32
	UID, GID uint32
	Size     int64
	MtimeNs  int64
	// Ctime is st_ctime in ns. The jail can reset mtime (touch -d) but not
	// ctime, so a content change under a kept mtime still shows here.
	Ctime int64
	Inode uint64
	Rdev  uint64 // char and block devices only
	// Link is a symlink's target as stored; it is never followed.
	Link string
	// SHA256 is the hex digest of a regular file's content; empty for other
	// types and when Err is set.
	SHA256 string
	// MountBoundary marks a directory (or a file mounted over) on another
	// file system than the root; it was not walked or hashed (see
	// WalkOptions.CrossMounts).
	MountBoundary bool
	// Err says why a regular file was not hashed or a directory not
	// descended, e.g. when the jail swapped it during the walk.
	Err string
}

// entryJSON is the stored form of an Entry; see MarshalJSON.
type entryJSON struct {
	Path          string `json:"path,omitempty"`
	PathB64       []byte `json:"path_b64,omitempty"`
	Type          Type   `json:"type"`
	Mode          uint32 `json:"mode"`
	UID           uint32 `json:"uid"`
	GID           uint32 `json:"gid"`
	Size          int64  `json:"size"`
	MtimeNs       int64  `json:"mtime_ns"`
	Ctime         int64  `json:"ctime_ns"`
	Inode         uint64 `json:"inode"`
	Rdev          uint64 `json:"rdev,omitempty"`
	Link          string `json:"link,omitempty"`
	LinkB64       []byte `json:"link_b64,omitempty"`
	SHA256        string `json:"sha256,omitempty"`
	MountBoundary bool   `json:"mount_boundary,omitempty"`
	Err           string `json:"error,omitempty"`
}

// splitRaw returns s as a JSON string when it is valid UTF-8, else as bytes
// (which encoding/json writes as base64). Going through a plain string would
// replace invalid bytes with U+FFFD and lose the name.
func splitRaw(s string) (string, []byte) {
	if utf8.ValidString(s) {
		return s, nil
	}
	return "", []byte(s)
}

// MarshalJSON writes "path"/"link" for valid UTF-8 and "path_b64"/"link_b64"
// otherwise, so that raw names round-trip exactly.
func (e Entry) MarshalJSON() ([]byte, error) {
	j := entryJSON{
		Type: e.Type, Mode: e.Mode, UID: e.UID, GID: e.GID, Size: e.Size,
		MtimeNs: e.MtimeNs, Ctime: e.Ctime, Inode: e.Inode, Rdev: e.Rdev,
		SHA256: e.SHA256, MountBoundary: e.MountBoundary, Err: e.Err,
	}
	j.Path, j.PathB64 = splitRaw(e.Path)
	j.Link, j.LinkB64 = splitRaw(e.Link)
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (e *Entry) UnmarshalJSON(b []byte) error {
	var j entryJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.Path != "" && j.PathB64 != nil {
		return fmt.Errorf("entry has both path and path_b64")
	}
	*e = Entry{
		Path: j.Path, Type: j.Type, Mode: j.Mode, UID: j.UID, GID: j.GID,
		Size: j.Size, MtimeNs: j.MtimeNs, Ctime: j.Ctime, Inode: j.Inode,
		Rdev: j.Rdev, Link: j.Link, SHA256: j.SHA256,
		MountBoundary: j.MountBoundary, Err: j.Err,
	}
	if j.PathB64 != nil {
		e.Path = string(j.PathB64)
	}
	if j.LinkB64 != nil {
		e.Link = string(j.LinkB64)
	}
	if e.Path == "" {
		return fmt.Errorf("entry has no path")
	}
	return nil
}

// Root is one walked tree: a view path and where it was read from.
type Root struct {
	// Name is the path inside the view, e.g. "/var/lib/nginx". Diff matches
	// roots of two manifests by Name.
	Name string `json:"name"`
	// Kind says what the view mounts there: "state", "bind" or "tmpfs".
	// Walk leaves it empty; the caller sets it. It is informational.
	Kind string `json:"kind,omitempty"`
	// HostPath is where the tree was read from, e.g.
	// "/var/lib/fsviews/state/nginx/var/lib/nginx" or "/proc/1234/root/tmp".
	HostPath string `json:"host_path"`
	// Entries are sorted by path, component by component, the root itself
	// first as ".".
	Entries []Entry `json:"entries"`
	// Limited says which walk limit (WalkOptions) cut the walk short; ""
	// when the tree was read whole. A limited root may hide changes.
	Limited string `json:"limited,omitempty"`
}

// FormatVersion is the manifest format this package writes and reads.
const FormatVersion = 1

// Manifest is a checkpoint of a jail's writable state.
type Manifest struct {
	Version int       `json:"version"`
	Jail    string    `json:"jail,omitempty"`
	Label   string    `json:"label,omitempty"`
	Taken   time.Time `json:"taken"`
	// Stopped marks a manifest read from the host side only, with the
	// jail not running (a baseline before the first start, or a stopped
	// jail): its tmpfs roots could not be read and are absent, not empty.
	Stopped bool   `json:"stopped,omitempty"`
	Roots   []Root `json:"roots"`
}

// Root returns the root named name, or nil.
func (m *Manifest) Root(name string) *Root {
	for i := range m.Roots {
		if m.Roots[i].Name == name {
			return &m.Roots[i]
		}
	}
	return nil
}

// comparePaths orders paths by component, so that a directory's contents
// follow it directly ("a", "a/b", "a-b"), as diff -r and find print them.
func comparePaths(a, b string) int {
	// The root itself comes first whatever its children are called
	// ("-x" < "." bytewise).
	switch {
	case a == b:
		return 0
	case a == ".":
		return -1
	case b == ".":
		return 1
	}
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		ca, cb := a[i], b[i]
		if ca == cb {
			continue
		}
		// '/' sorts before every other byte.
		switch {
		case ca == '/':
			return -1
		case cb == '/':
			return 1
		case ca < cb:
			return -1
		default:
			return 1
		}
	}
	return len(a) - len(b)
}

// viewPath joins a root name and an entry path for display.
func viewPath(root, p string) string {
	if p == "." {
		return root
	}
	return strings.TrimSuffix(root, "/") + "/" + p
}
