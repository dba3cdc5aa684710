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
	// Old is nil for Added, New is nil for Removed. They point into the
	// manifests given to Diff.
	Old, New *Entry
	// What lists what differs for Modified: "type", "content", "link",
	// "device", "mount", "mode", "owner", "error".
	What  []string
	Flags []Flag

	// in and idx locate the entry in its root, for Path; path is the path
	// of a Change read from JSON.
	in   *Root
	idx  int
	path string
}

// Path returns the entry's path relative to the root, raw bytes. It is
// built on each call, from the entry up to the root: a change holds no path,
// so that the changes of a deep tree cost memory by their number only.
func (c Change) Path() string {
	if c.in != nil {
		return c.in.Path(c.idx)
	}
	return c.path
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
	j.Path, j.PathB64 = splitRaw(c.Path())
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Change) UnmarshalJSON(b []byte) error {
	var j changeJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*c = Change{Kind: j.Kind, Root: j.Root, path: j.Path, Old: j.Old, New: j.New, What: j.What, Flags: j.Flags}
	if j.PathB64 != nil {
		c.path = string(j.PathB64)
	}
	return nil
}

// Diff compares two manifests root by root (matched by Name) and entry by
// entry (matched by path). A root present on one side only is compared
// with an empty root, so its entries show as added or removed, as diff -r
// shows a directory present on one side. Only content, type, link target,
// device number, mount boundary, mode, owner and walk errors count: times
// alone (a touch, a directory's mtime) are not changes, but they feed
// FlagContentChangedMtimeKept. The result is sorted by root, then path.
//
// The trees are merged directory by directory, matching children by name,
// so the work and memory grow with the number of entries, never with the
// length of their paths.
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
		o, n := old.Root(name), new.Root(name)
		if o == nil {
			o = &Root{Name: name}
		}
		if n == nil {
			n = &Root{Name: name}
		}
		changes = diffRoot(changes, o, n)
	}
	return changes
}

// children indexes the children of every entry of a root: those of entry
// i are list[start[i]:start[i+1]], sorted by name.
type children struct {
	start, list []int
}

func childrenOf(r *Root) children {
	n := len(r.Entries)
	c := children{start: make([]int, n+1)}
	// A parent comes before its child; an entry that breaks the rule
	// (a hand-made root) is left out rather than loop.
	parent := func(i int) int {
		if p := r.Entries[i].Parent; p >= 0 && p < i {
			return p
		}
		return -1
	}
	for i := 1; i < n; i++ {
		if p := parent(i); p >= 0 {
			c.start[p+1]++
		}
	}
	for i := 1; i <= n; i++ {
		c.start[i] += c.start[i-1]
	}
	c.list = make([]int, c.start[n])
	next := slices.Clone(c.start[:n])
	for i := 1; i < n; i++ {
		if p := parent(i); p >= 0 {
			c.list[next[p]] = i
			next[p]++
		}
	}
	byName := func(a, b int) int { return strings.Compare(r.Entries[a].Name, r.Entries[b].Name) }
	for p := 0; p < n; p++ {
		kids := c.list[c.start[p]:c.start[p+1]]
		if !slices.IsSortedFunc(kids, byName) {
			slices.SortFunc(kids, byName)
		}
	}
	return c
}

// mergeDir walks the children of a directory present as o, n or both (-1
// for a side that lacks it), in name order.
type mergeDir struct {
	oNext, oEnd, nNext, nEnd int
	depth                    int // of the children
}

func (c children) of(i int) (int, int) {
	if i < 0 {
		return 0, 0
	}
	return c.start[i], c.start[i+1]
}

// diffRoot merges two trees depth first, children in name order, so the
// changes come sorted by path.
func diffRoot(out []Change, o, n *Root) []Change {
	oc, nc := childrenOf(o), childrenOf(n)
	at := func(r *Root) int {
		if len(r.Entries) == 0 {
			return -1
		}
		return 0
	}
	dir := func(oi, ni, depth int) mergeDir {
		d := mergeDir{depth: depth}
		d.oNext, d.oEnd = oc.of(oi)
		d.nNext, d.nEnd = nc.of(ni)
		return d
	}
	oi, ni := at(o), at(n)
	out = diffEntry(out, o, n, oi, ni, 0)
	stack := []mergeDir{dir(oi, ni, 1)}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		oi, ni := -1, -1
		switch {
		case top.oNext < top.oEnd && top.nNext < top.nEnd:
			a, b := oc.list[top.oNext], nc.list[top.nNext]
			c := strings.Compare(o.Entries[a].Name, n.Entries[b].Name)
			if c <= 0 {
				oi = a
				top.oNext++
			}
			if c >= 0 {
				ni = b
				top.nNext++
			}
		case top.oNext < top.oEnd:
			oi = oc.list[top.oNext]
			top.oNext++
		case top.nNext < top.nEnd:
			ni = nc.list[top.nNext]
			top.nNext++
		default:
			stack = stack[:len(stack)-1]
			continue
		}
		depth := top.depth
		out = diffEntry(out, o, n, oi, ni, depth)
		if d := dir(oi, ni, depth+1); d.oNext < d.oEnd || d.nNext < d.nEnd {
			stack = append(stack, d)
		}
	}
	return out
}

// diffEntry compares o.Entries[oi] with n.Entries[ni], either of which may
// be absent (-1); depth is theirs, below the root.
func diffEntry(out []Change, o, n *Root, oi, ni, depth int) []Change {
	switch {
	case oi < 0 && ni < 0:
		return out
	case ni < 0:
		return append(out, Change{Kind: Removed, Root: o.Name, Old: &o.Entries[oi], in: o, idx: oi})
	case oi < 0:
		e := &n.Entries[ni]
		return append(out, Change{Kind: Added, Root: n.Name, New: e, Flags: addedFlags(e, depth), in: n, idx: ni})
	}
	oe, ne := &o.Entries[oi], &n.Entries[ni]
	if what := compareEntries(oe, ne); len(what) > 0 {
		return append(out, Change{Kind: Modified, Root: n.Name, Old: oe, New: ne,
			What: what, Flags: modifiedFlags(oe, ne, what, depth), in: n, idx: ni})
	}
	if f := mtimeKeptFlags(oe, ne); len(f) > 0 {
		return append(out, Change{Kind: Modified, Root: n.Name, Old: oe, New: ne,
			What: []string{"content"}, Flags: f, in: n, idx: ni})
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
				// A sparse digest covers the extents too: the same
				// bytes hashed both ways still differ in layout.
				if o.SHA256 != n.SHA256 || o.Sparse != n.Sparse {
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

// addedFlags flags a new entry, depth levels below its root.
func addedFlags(n *Entry, depth int) []Flag {
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
	if n.Type == TypeSymlink && symlinkOutside(depth, n.Link) {
		f = append(f, FlagSymlinkOutside)
	}
	if n.Err != "" {
		f = append(f, FlagUnreadable)
	}
	return f
}

// modifiedFlags flags a change of an entry depth levels below its root;
// what is compareEntries' result.
func modifiedFlags(o, n *Entry, what []string, depth int) []Flag {
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
	if n.Type == TypeSymlink && (o.Type != TypeSymlink || o.Link != n.Link) && symlinkOutside(depth, n.Link) {
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
	return symlinkOutside(1+strings.Count(path, "/"), target)
}

// symlinkOutside is SymlinkOutside for a link depth levels below its root
// (1 for a link in the root directory).
func symlinkOutside(depth int, target string) bool {
	if strings.HasPrefix(target, "/") {
		return true
	}
	depth-- // the directory holding the link
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
