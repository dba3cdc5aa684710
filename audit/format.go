package audit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// FormatDiff prints changes for a person, in two blocks: first every flag,
// one line each ("!! setuid added: /var/lib/nginx/x"), then the changes like
// diff -r ("Only in new: PATH", "Only in old: PATH", "Files PATH differ",
// "Changed PATH: mode 0644 -> 4755"). Names the jail chose are quoted when
// they hold anything unprintable (see quoteName). Nothing is printed for no
// changes. The only error is the writer's.
func FormatDiff(w io.Writer, changes []Change) error {
	bw := bufio.NewWriter(w)
	flagged := false
	for _, c := range changes {
		for _, f := range c.Flags {
			flagged = true
			fmt.Fprintf(bw, "!! %s: %s%s\n", flagTitle(f), quoteName(viewPath(c.Root, c.Path())), flagDetail(f, c))
		}
	}
	if flagged {
		bw.WriteString("\n")
	}
	for _, c := range changes {
		p := quoteName(viewPath(c.Root, c.Path()))
		switch c.Kind {
		case Added:
			fmt.Fprintf(bw, "Only in new: %s%s\n", p, describe(c.New))
		case Removed:
			fmt.Fprintf(bw, "Only in old: %s%s\n", p, describe(c.Old))
		case Modified:
			var parts []string
			for _, what := range c.What {
				if what == "content" {
					fmt.Fprintf(bw, "Files %s differ\n", p)
					continue
				}
				parts = append(parts, describeChange(what, c.Old, c.New))
			}
			if len(parts) > 0 {
				fmt.Fprintf(bw, "Changed %s: %s\n", p, strings.Join(parts, "; "))
			}
		}
	}
	return bw.Flush()
}

// LimitHit is an entry where a walk stopped at one of its limits
// (WalkOptions): the manifest does not cover what lies beyond it.
type LimitHit struct {
	Root  string // the root's Name
	Path  string // the entry's path relative to the root
	Limit Limit
}

type limitHitJSON struct {
	Root    string `json:"root"`
	Path    string `json:"path,omitempty"`
	PathB64 []byte `json:"path_b64,omitempty"`
	Limit   Limit  `json:"limit"`
}

// MarshalJSON writes Path like Entry writes names: "path_b64" when it is
// not UTF-8.
func (h LimitHit) MarshalJSON() ([]byte, error) {
	j := limitHitJSON{Root: h.Root, Limit: h.Limit}
	j.Path, j.PathB64 = splitRaw(h.Path)
	return json.Marshal(j)
}

// Limits lists the first max entries of m where a walk stopped at a limit
// (all of them when max <= 0), and how many there are in all.
func (m *Manifest) Limits(max int) ([]LimitHit, int) {
	var hits []LimitHit
	total := 0
	for ri := range m.Roots {
		r := &m.Roots[ri]
		for i := range r.Entries {
			if r.Entries[i].Limit == LimitNone {
				continue
			}
			total++
			if max <= 0 || len(hits) < max {
				hits = append(hits, LimitHit{Root: r.Name, Path: r.Path(i), Limit: r.Entries[i].Limit})
			}
		}
	}
	return hits, total
}

var limitTitles = map[Limit]string{
	LimitDepth:     "depth limit: %s (directory not read)",
	LimitEntries:   "entry limit: %s (directory read in part)",
	LimitHashBytes: "hash byte limit: %s (file not hashed)",
}

// FormatLimits prints one "!!" line for each hit, and one for the
// total-len(hits) left out, each ending with suffix (e.g. " in checkpoint
// base"). The only error is the writer's.
func FormatLimits(w io.Writer, hits []LimitHit, total int, suffix string) error {
	bw := bufio.NewWriter(w)
	for _, h := range hits {
		f, ok := limitTitles[h.Limit]
		if !ok {
			f = h.Limit.String() + " limit: %s"
		}
		fmt.Fprintf(bw, "!! "+f+"%s\n", quoteName(viewPath(h.Root, h.Path)), suffix)
	}
	if more := total - len(hits); more > 0 {
		fmt.Fprintf(bw, "!! and %d more entries where a walk limit was reached%s\n", more, suffix)
	}
	return bw.Flush()
}

var flagTitles = map[Flag]string{
	FlagSetuidAdded:             "setuid added",
	FlagSetgidAdded:             "setgid added",
	FlagNewExecutable:           "new executable",
	FlagExecutableChanged:       "executable changed",
	FlagDeviceNode:              "device node",
	FlagSymlinkOutside:          "symlink outside",
	FlagContentChangedMtimeKept: "content changed, mtime kept",
	FlagTypeChanged:             "type changed",
	FlagUnreadable:              "unreadable",
}

func flagTitle(f Flag) string {
	if t, ok := flagTitles[f]; ok {
		return t
	}
	return f.String()
}

// flagDetail adds what the auditor needs next to the flag.
func flagDetail(f Flag, c Change) string {
	n := c.New
	if n == nil {
		return ""
	}
	switch f {
	case FlagSymlinkOutside:
		return " -> " + quoteName(n.Link)
	case FlagDeviceNode:
		return fmt.Sprintf(" (%s %d:%d)", n.Type, unix.Major(n.Rdev), unix.Minor(n.Rdev))
	case FlagTypeChanged:
		if c.Old != nil {
			return fmt.Sprintf(" (%s -> %s)", c.Old.Type, n.Type)
		}
	case FlagUnreadable:
		return " (" + quoteName(n.Err) + ")"
	}
	return ""
}

// describe says what an added or removed entry is, beyond a plain file.
func describe(e *Entry) string {
	if e == nil {
		return ""
	}
	switch {
	case e.Type == TypeSymlink:
		return " (symlink -> " + quoteName(e.Link) + ")"
	case e.MountBoundary:
		return " (" + e.Type.String() + ", mount point, not walked)"
	case e.Type != TypeFile:
		return " (" + e.Type.String() + ")"
	}
	return ""
}

func describeChange(what string, o, n *Entry) string {
	switch what {
	case "type":
		return fmt.Sprintf("type %s -> %s", o.Type, n.Type)
	case "link":
		return fmt.Sprintf("link %s -> %s", quoteName(o.Link), quoteName(n.Link))
	case "device":
		return fmt.Sprintf("device %d:%d -> %d:%d", unix.Major(o.Rdev), unix.Minor(o.Rdev), unix.Major(n.Rdev), unix.Minor(n.Rdev))
	case "mount":
		if n.MountBoundary {
			return "now a mount point, not walked"
		}
		return "no longer a mount point"
	case "mode":
		return fmt.Sprintf("mode %04o -> %04o", o.Mode, n.Mode)
	case "owner":
		return fmt.Sprintf("owner %d:%d -> %d:%d", o.UID, o.GID, n.UID, n.GID)
	case "error":
		return "not read: " + quoteName(n.Err)
	}
	return what
}

// quoteName returns s as is when every rune is printable, else Go-quoted.
// A jail picks its file names: a newline could forge a report line ("!!"
// lines an auditor trusts) and an escape sequence could rewrite the terminal.
func quoteName(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || r == '\\' || r == '"' || !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// QuoteName returns s as is when every rune is printable, else Go-quoted:
// the rule FormatDiff applies to every name a jail chose. Other reports of
// jail-chosen names (mount points, link targets) use it too.
func QuoteName(s string) string { return quoteName(s) }
