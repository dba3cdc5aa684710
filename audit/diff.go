package audit

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ChangeKind says whether an entry was added, removed or modified.
type ChangeKind uint8

// The kinds of Change.
const (
	Added ChangeKind = iota + 1
	Removed
	Modified
)

var changeKindNames = map[ChangeKind]string{Added: "added", Removed: "removed", Modified: "modified"}

func (k ChangeKind) String() string {
	if n, ok := changeKindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("change(%d)", uint8(k))
}

// MarshalText writes the name String returns.
func (k ChangeKind) MarshalText() ([]byte, error) {
	n, ok := changeKindNames[k]
	if !ok {
		return nil, fmt.Errorf("marshal change kind %d: out of range", uint8(k))
	}
	return []byte(n), nil
}

// UnmarshalText accepts the names String returns.
func (k *ChangeKind) UnmarshalText(b []byte) error {
	for v, n := range changeKindNames {
		if n == string(b) {
			*k = v
			return nil
		}
	}
	return fmt.Errorf("unknown change kind %q", b)
}

// Flag marks a change an auditor should look at first.
type Flag uint8

// The flags Diff sets. Each is set only for what changed: an old setuid
// file left alone is not flagged again.
const (
	// FlagSetuidAdded: a non-directory gained the setuid bit or appeared with it.
	FlagSetuidAdded Flag = iota + 1
	// FlagSetgidAdded: a non-directory gained the setgid bit or appeared with
	// it (setgid on a directory only sets the group of new files).
	FlagSetgidAdded
	// FlagNewExecutable: a regular file appeared executable or became so.
	FlagNewExecutable
	// FlagExecutableChanged: the content of an executable file changed.
	FlagExecutableChanged
	// FlagDeviceNode: a char or block device appeared or points at another device.
	FlagDeviceNode
	// FlagSymlinkOutside: a new or changed symlink is absolute or climbs
	// above its root with "..".
	FlagSymlinkOutside
	// FlagContentChangedMtimeKept: the content changed (hash, or ctime when
	// no hash is available) while the mtime stayed the same, the trace of
	// touch -d or utimensat used to hide an edit.
	FlagContentChangedMtimeKept
	// FlagTypeChanged: the path now holds another type of object, e.g. a
	// file swapped for a symlink.
	FlagTypeChanged
	// FlagUnreadable: the new walk could not hash or descend into the
	// entry (Entry.Err), so a change in it may be hidden.
	FlagUnreadable
)

var flagNames = map[Flag]string{
	FlagSetuidAdded:             "setuid-added",
	FlagSetgidAdded:             "setgid-added",
	FlagNewExecutable:           "new-executable",
	FlagExecutableChanged:       "executable-changed",
	FlagDeviceNode:              "device-node",
	FlagSymlinkOutside:          "symlink-outside",
	FlagContentChangedMtimeKept: "content-changed-mtime-kept",
	FlagTypeChanged:             "type-changed",
	FlagUnreadable:              "unreadable",
}

func (f Flag) String() string {
	if n, ok := flagNames[f]; ok {
		return n
	}
	return fmt.Sprintf("flag(%d)", uint8(f))
}

// MarshalText writes the name String returns.
func (f Flag) MarshalText() ([]byte, error) {
	n, ok := flagNames[f]
	if !ok {
		return nil, fmt.Errorf("marshal flag %d: out of range", uint8(f))
	}
	return []byte(n), nil
}

// UnmarshalText accepts the names String returns.
func (f *Flag) UnmarshalText(b []byte) error {
	for v, n := range flagNames {
		if n == string(b) {
			*f = v
			return nil
		}
	}
	return fmt.Errorf("unknown flag %q", b)
}

// Change is one difference between two manifests.
type Change struct {
	Kind ChangeKind
	Root string // the root's Name (view path)
	Path string // the entry's path relative to the root, raw bytes
	// Old is nil for Added, New is nil for Removed.
	Old, New *Entry
	// What lists what differs for Modified: "type", "content", "link",
	// "device", "mount", "mode", "owner", "error".
	What  []string
	Flags []Flag
}

type changeJSON struct {
	Kind    ChangeKind `json:"kind"`
	Root    string     `json:"root"`
	Path    string     `json:"path,omitempty"`
	PathB64 []byte     `json:"path_b64,omitempty"`
	Old     *Entry     `json:"old,omitempty"`
	New     *Entry     `json:"new,omitempty"`
	What    []string   `json:"what,omitempty"`
	Flags   []Flag     `json:"flags,omitempty"`
}

// MarshalJSON writes Path like Entry does: "path_b64" when not UTF-8.
func (c Change) MarshalJSON() ([]byte, error) {
	j := changeJSON{Kind: c.Kind, Root: c.Root, Old: c.Old, New: c.New, What: c.What, Flags: c.Flags}
	j.Path, j.PathB64 = splitRaw(c.Path)
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Change) UnmarshalJSON(b []byte) error {
	var j changeJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*c = Change{Kind: j.Kind, Root: j.Root, Path: j.Path, Old: j.Old, New: j.New, What: j.What, Flags: j.Flags}
	if j.PathB64 != nil {
		c.Path = string(j.PathB64)
	}
	return nil
}

// Diff compares two manifests root by root (matched by Name) and entry by
// entry (matched by Path). A root present on one side only is compared
// with an empty root, so its entries show as added or removed, as diff -r
// shows a directory present on one side. Only content, type, link target,
// device number, mount boundary, mode, owner and walk errors count: times
// alone (a touch, a directory's mtime) are not changes, but they feed
// FlagContentChangedMtimeKept. The result is sorted by root, then path.
func Diff(old, new Manifest) []Change {
	names := map[string]bool{}
	for _, r := range old.Roots {
		names[r.Name] = true
	}
	for _, r := range new.Roots {
		names[r.Name] = true
	}
	var changes []Change
	for _, name := range slices.Sorted(maps.Keys(names)) {
		var oe, ne []Entry
		if r := old.Root(name); r != nil {
			oe = sortedEntries(r.Entries)
		}
		if r := new.Root(name); r != nil {
			ne = sortedEntries(r.Entries)
		}
		changes = diffRoot(changes, name, oe, ne)
	}
	return changes
}

// sortedEntries returns es sorted by path, copying only when needed: a
// manifest from disk may have been written by another version.
func sortedEntries(es []Entry) []Entry {
	less := func(a, b Entry) int { return comparePaths(a.Path, b.Path) }
	if slices.IsSortedFunc(es, less) {
		return es
	}
	es = slices.Clone(es)
	slices.SortStableFunc(es, less)
	return es
}

// diffRoot merges two sorted entry lists.
func diffRoot(out []Change, root string, oe, ne []Entry) []Change {
	i, j := 0, 0
	for i < len(oe) || j < len(ne) {
		c := 0
		switch {
		case i == len(oe):
			c = 1
		case j == len(ne):
			c = -1
		default:
			c = comparePaths(oe[i].Path, ne[j].Path)
		}
		switch {
		case c < 0:
			o := &oe[i]
			out = append(out, Change{Kind: Removed, Root: root, Path: o.Path, Old: o})
			i++
		case c > 0:
			n := &ne[j]
			out = append(out, Change{Kind: Added, Root: root, Path: n.Path, New: n, Flags: addedFlags(n)})
			j++
		default:
			o, n := &oe[i], &ne[j]
			if what := compareEntries(o, n); len(what) > 0 {
				out = append(out, Change{Kind: Modified, Root: root, Path: n.Path, Old: o, New: n,
					What: what, Flags: modifiedFlags(o, n, what)})
			} else if f := mtimeKeptFlags(o, n); len(f) > 0 {
				out = append(out, Change{Kind: Modified, Root: root, Path: n.Path, Old: o, New: n,
					What: []string{"content"}, Flags: f})
			}
			i++
			j++
		}
	}
	return out
}

// compareEntries lists what differs between two entries at one path.
func compareEntries(o, n *Entry) []string {
	var what []string
	if o.Type != n.Type {
		what = append(what, "type")
	} else {
		switch n.Type {
		case TypeFile:
			if o.SHA256 != "" && n.SHA256 != "" {
				if o.SHA256 != n.SHA256 {
					what = append(what, "content")
				}
			} else if o.Size != n.Size || o.MtimeNs != n.MtimeNs {
				// No hash on one side (Entry.Err): fall back on what
				// stat says.
				what = append(what, "content")
			}
		case TypeSymlink:
			if o.Link != n.Link {
				what = append(what, "link")
			}
		case TypeChar, TypeBlock:
			if o.Rdev != n.Rdev {
				what = append(what, "device")
			}
		}
		if o.MountBoundary != n.MountBoundary {
			what = append(what, "mount")
		}
	}
	if o.Mode != n.Mode {
		what = append(what, "mode")
	}
	if o.UID != n.UID || o.GID != n.GID {
		what = append(what, "owner")
	}
	if o.Err != n.Err && n.Err != "" {
		what = append(what, "error")
	}
	return what
}

func isExec(e *Entry) bool   { return e.Type == TypeFile && e.Mode&0o111 != 0 }
func isDevice(e *Entry) bool { return e.Type == TypeChar || e.Type == TypeBlock }

// addedFlags flags a new entry.
func addedFlags(n *Entry) []Flag {
	var f []Flag
	if n.Type != TypeDir && n.Mode&0o4000 != 0 {
		f = append(f, FlagSetuidAdded)
	}
	if n.Type != TypeDir && n.Mode&0o2000 != 0 {
		f = append(f, FlagSetgidAdded)
	}
	if isExec(n) {
		f = append(f, FlagNewExecutable)
	}
	if isDevice(n) {
		f = append(f, FlagDeviceNode)
	}
	if n.Type == TypeSymlink && SymlinkOutside(n.Path, n.Link) {
		f = append(f, FlagSymlinkOutside)
	}
	if n.Err != "" {
		f = append(f, FlagUnreadable)
	}
	return f
}

// modifiedFlags flags a change of an entry; what is compareEntries' result.
func modifiedFlags(o, n *Entry, what []string) []Flag {
	var f []Flag
	if n.Type != TypeDir && n.Mode&0o4000 != 0 && (o.Mode&0o4000 == 0 || o.Type == TypeDir) {
		f = append(f, FlagSetuidAdded)
	}
	if n.Type != TypeDir && n.Mode&0o2000 != 0 && (o.Mode&0o2000 == 0 || o.Type == TypeDir) {
		f = append(f, FlagSetgidAdded)
	}
	content := slices.Contains(what, "content")
	switch {
	case isExec(n) && !isExec(o):
		f = append(f, FlagNewExecutable)
	case isExec(n) && content:
		f = append(f, FlagExecutableChanged)
	}
	if isDevice(n) && (!isDevice(o) || o.Rdev != n.Rdev) {
		f = append(f, FlagDeviceNode)
	}
	if n.Type == TypeSymlink && (o.Type != TypeSymlink || o.Link != n.Link) && SymlinkOutside(n.Path, n.Link) {
		f = append(f, FlagSymlinkOutside)
	}
	if content && o.MtimeNs == n.MtimeNs {
		f = append(f, FlagContentChangedMtimeKept)
	}
	if o.Type != n.Type {
		f = append(f, FlagTypeChanged)
	}
	if slices.Contains(what, "error") {
		f = append(f, FlagUnreadable)
	}
	return f
}

// mtimeKeptFlags catches a regular file whose recorded content looks the
// same but whose ctime moved while mtime, size and mode stayed: only when a
// hash is missing on one side, since with both hashes equal the content is
// known to be the same (a chmod and back also moves ctime).
func mtimeKeptFlags(o, n *Entry) []Flag {
	if o.Type != TypeFile || n.Type != TypeFile || (o.SHA256 != "" && n.SHA256 != "") {
		return nil
	}
	if o.Ctime != n.Ctime && o.MtimeNs == n.MtimeNs {
		return []Flag{FlagContentChangedMtimeKept}
	}
	return nil
}

// SymlinkOutside reports whether a symlink at path (relative to its root)
// with the given target points outside the root: an absolute target, or a
// relative one whose ".." components climb above the root. It looks at the
// text only: a link through another link that climbs out is flagged on that
// other link.
func SymlinkOutside(path, target string) bool {
	if strings.HasPrefix(target, "/") {
		return true
	}
	depth := 0
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		depth = strings.Count(path[:i], "/") + 1
	}
	for _, c := range strings.Split(target, "/") {
		switch c {
		case "", ".":
		case "..":
			if depth--; depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}
