package audit

import (
	"encoding/json"
	"fmt"
	"slices"
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
//
// An entry holds its own name and the index of its parent directory in
// Root.Entries, never its full path: a path is as long as the tree is deep,
// and a jail can nest thousands of directories with 255-byte names, so
// storing every path costs depth² × name length (gigabytes for a few
// megabytes on disk). Root.Path builds a path when it is printed.
type Entry struct {
	// Parent is the index in Root.Entries of the directory holding the
	// entry, always lower than the entry's own index; -1 for the root.
	Parent int
	// Name is the entry's own name, raw bytes, "." for the root. See
	// "Names in JSON" in the package doc for how it is written when it is
	// not valid UTF-8.
	Name string
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
	// types and when Err or Limit is set. For a sparse file (Sparse set) it
	// is the digest of its data extents, see hashSparse.
	SHA256 string
	// Sparse marks a regular file with holes, hashed extent by extent
	// rather than byte by byte.
	Sparse bool
	// MountBoundary marks a directory (or a file mounted over) on another
	// file system than the root; it was not walked or hashed (see
	// WalkOptions.CrossMounts).
	MountBoundary bool
	// Limit says which walk limit stopped at this entry: a directory not
	// descended (LimitDepth) or listed only in part (LimitEntries), a file
	// not hashed (LimitHashBytes). The manifest is then incomplete there.
	Limit Limit
	// Err says why a regular file was not hashed or a directory not
	// descended, e.g. when the jail swapped it during the walk.
	Err string

	// v1Path is the full path a version 1 manifest stored; fromV1 turns
	// it into Parent and Name.
	v1Path string
}

// Limit names a walk limit; see WalkOptions.
type Limit uint8

// The limits a walk can reach.
const (
	LimitNone Limit = iota
	// LimitDepth: the directory is WalkOptions.MaxDepth levels deep and
	// holds entries that were not read.
	LimitDepth
	// LimitEntries: the walk had recorded WalkOptions.MaxEntries entries;
	// this directory's listing was cut short or not read.
	LimitEntries
	// LimitHashBytes: the walk had read WalkOptions.MaxHashBytes bytes of
	// file content; this file was not hashed (or not to the end).
	LimitHashBytes
)

var limitNames = [...]string{
	LimitNone:      "",
	LimitDepth:     "depth",
	LimitEntries:   "entries",
	LimitHashBytes: "hash-bytes",
}

func (l Limit) String() string {
	if int(l) < len(limitNames) {
		return limitNames[l]
	}
	return fmt.Sprintf("limit(%d)", uint8(l))
}

// MarshalText writes the name String returns.
func (l Limit) MarshalText() ([]byte, error) {
	if int(l) >= len(limitNames) {
		return nil, fmt.Errorf("marshal limit %d: out of range", uint8(l))
	}
	return []byte(limitNames[l]), nil
}

// UnmarshalText accepts the names String returns.
func (l *Limit) UnmarshalText(b []byte) error {
	for i, n := range limitNames {
		if n == string(b) {
			*l = Limit(i)
			return nil
		}
	}
	return fmt.Errorf("unknown walk limit %q", b)
}

// entryJSON is the stored form of an Entry; see MarshalJSON. Path and
// PathB64 are only read, from version 1 manifests.
type entryJSON struct {
	Parent        *int   `json:"parent,omitempty"`
	Name          string `json:"name,omitempty"`
	NameB64       []byte `json:"name_b64,omitempty"`
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
	Sparse        bool   `json:"sparse,omitempty"`
	MountBoundary bool   `json:"mount_boundary,omitempty"`
	Limit         Limit  `json:"limit,omitempty"`
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

// MarshalJSON writes "name"/"link" for valid UTF-8 and "name_b64"/"link_b64"
// otherwise, so that raw names round-trip exactly.
func (e Entry) MarshalJSON() ([]byte, error) {
	parent := e.Parent
	j := entryJSON{
		Parent: &parent, Type: e.Type, Mode: e.Mode, UID: e.UID, GID: e.GID, Size: e.Size,
		MtimeNs: e.MtimeNs, Ctime: e.Ctime, Inode: e.Inode, Rdev: e.Rdev,
		SHA256: e.SHA256, Sparse: e.Sparse, MountBoundary: e.MountBoundary, Limit: e.Limit, Err: e.Err,
	}
	j.Name, j.NameB64 = splitRaw(e.Name)
	j.Link, j.LinkB64 = splitRaw(e.Link)
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes, and the "path" of a version
// 1 manifest (see fromV1).
func (e *Entry) UnmarshalJSON(b []byte) error {
	var j entryJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if (j.Name != "" && j.NameB64 != nil) || (j.Path != "" && j.PathB64 != nil) {
		return fmt.Errorf("entry has both a name and its base64 form")
	}
	*e = Entry{
		Name: j.Name, Type: j.Type, Mode: j.Mode, UID: j.UID, GID: j.GID,
		Size: j.Size, MtimeNs: j.MtimeNs, Ctime: j.Ctime, Inode: j.Inode,
		Rdev: j.Rdev, Link: j.Link, SHA256: j.SHA256, Sparse: j.Sparse,
		MountBoundary: j.MountBoundary, Limit: j.Limit, Err: j.Err, v1Path: j.Path,
	}
	if j.NameB64 != nil {
		e.Name = string(j.NameB64)
	}
	if j.PathB64 != nil {
		e.v1Path = string(j.PathB64)
	}
	if j.LinkB64 != nil {
		e.Link = string(j.LinkB64)
	}
	switch {
	case j.Parent != nil && e.Name != "":
		e.Parent = *j.Parent
	case j.Parent == nil && e.v1Path != "":
		e.Parent = -2 // set by fromV1
	default:
		return fmt.Errorf("entry has no name, or no parent")
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
	// Entries hold the tree in depth-first order, the root itself first
	// (Parent -1, Name "."), every directory before its contents. The
	// walk lists each directory's children sorted by name, so the entries
	// come sorted by path, component by component; Diff does not rely on
	// it.
	Entries []Entry `json:"entries"`
}

// Path returns the path of Entries[i] relative to the root, "/"-separated,
// "." for the root itself. It costs the depth of the entry: build paths
// only to print them.
func (r *Root) Path(i int) string {
	if i < 0 || i >= len(r.Entries) {
		return "."
	}
	return buildPath(i, func(j int) *Entry { return &r.Entries[j] })
}

// buildPath joins the names from entry i up to the root, entry 0. A
// parent always comes before its child; a hand-made entry that breaks
// the rule ends the path there rather than loop.
func buildPath(i int, at func(int) *Entry) string {
	if i <= 0 {
		return "."
	}
	up := func(j int) int {
		if p := at(j).Parent; p < j {
			return p
		}
		return -1
	}
	n := 0
	for j := i; j > 0; j = up(j) {
		n += len(at(j).Name) + 1
	}
	b := make([]byte, n-1)
	for j := i; j > 0; j = up(j) {
		name := at(j).Name
		n -= len(name) + 1
		copy(b[n:], name)
		if n > 0 {
			b[n-1] = '/'
		}
	}
	return string(b)
}

// Depth returns how many levels below the root Entries[i] is.
func (r *Root) Depth(i int) int {
	d := 0
	for j := i; j > 0 && j < len(r.Entries) && r.Entries[j].Parent < j; j = r.Entries[j].Parent {
		d++
	}
	return d
}

// check verifies that the entries form a tree as Entries documents, so
// that Path and Diff terminate: a corrupt checkpoint is an error, not a
// loop.
func (r *Root) check() error {
	for i, e := range r.Entries {
		switch {
		case i == 0 && (e.Parent != -1 || e.Name != "."):
			return fmt.Errorf("root %q: the first entry is not the root itself", r.Name)
		case i == 0:
		case e.Parent < 0 || e.Parent >= i:
			return fmt.Errorf("root %q: entry %d has parent %d, not an earlier entry", r.Name, i, e.Parent)
		case r.Entries[e.Parent].Type != TypeDir:
			return fmt.Errorf("root %q: the parent of entry %d is not a directory", r.Name, i)
		case e.Name == "" || e.Name == "." || e.Name == ".." || strings.IndexByte(e.Name, '/') >= 0:
			return fmt.Errorf("root %q: entry %d has invalid name %q", r.Name, i, e.Name)
		}
	}
	return nil
}

// fromV1 turns the full paths of a version 1 manifest into Parent and
// Name. Version 1 stored every entry's path, sorted by comparePaths, so
// every directory comes before its contents.
func (r *Root) fromV1() error {
	slices.SortStableFunc(r.Entries, func(a, b Entry) int { return comparePaths(a.v1Path, b.v1Path) })
	index := make(map[string]int, len(r.Entries))
	for i := range r.Entries {
		e := &r.Entries[i]
		p := e.v1Path
		e.v1Path = ""
		index[p] = i
		if p == "." {
			e.Parent, e.Name = -1, "."
			continue
		}
		dir, name := ".", p
		if k := strings.LastIndexByte(p, '/'); k >= 0 {
			dir, name = p[:k], p[k+1:]
		}
		parent, ok := index[dir]
		if !ok {
			return fmt.Errorf("root %q: entry %q has no parent directory", r.Name, p)
		}
		e.Parent, e.Name = parent, name
	}
	return r.check()
}

// FormatVersion is the manifest format this package writes. Version 1
// stored each entry's full path; version 2 stores its parent's index and
// its own name. Both are read.
const FormatVersion = 2

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
