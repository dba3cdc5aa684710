package profiles

import (
	"fmt"
	"sort"
	"strings"
)

// Pos says where a profile value was written.
type Pos struct {
	File string // as the user named it, or "library:NAME" for bundled profiles
	Line int    // 0 when unknown
}

func (p Pos) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return p.File
}

// Problem is one error or warning about a profile.
type Problem struct {
	Pos     Pos
	Key     string // e.g. "[[bind]] #2 source"
	Msg     string // what is wrong, and how to fix it
	Warning bool
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Pos.String())
	b.WriteString(": ")
	if p.Warning {
		b.WriteString("warning: ")
	}
	if p.Key != "" {
		b.WriteString(p.Key)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is the error Load returns when a profile has errors. It lists
// the warnings too, so that one report shows everything.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, 0, len(ps))
	for _, p := range ps {
		lines = append(lines, p.String())
	}
	return strings.Join(lines, "\n")
}

// Errors returns the problems that are not warnings.
func (ps Problems) Errors() Problems {
	var out Problems
	for _, p := range ps {
		if !p.Warning {
			out = append(out, p)
		}
	}
	return out
}

// Warnings returns the problems that are warnings.
func (ps Problems) Warnings() Problems {
	var out Problems
	for _, p := range ps {
		if p.Warning {
			out = append(out, p)
		}
	}
	return out
}

// sort orders problems by line within each file, files in the order they
// first appear (includes before the files that include them).
func (ps Problems) sort() {
	rank := map[string]int{}
	for _, p := range ps {
		if _, seen := rank[p.Pos.File]; !seen {
			rank[p.Pos.File] = len(rank)
		}
	}
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].Pos, ps[j].Pos
		if rank[a.File] != rank[b.File] {
			return rank[a.File] < rank[b.File]
		}
		return a.Line < b.Line
	})
}
