package inspect

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/fsviews/fsviews/rlimits"
)

// ProcStatus is what inspect needs from /proc/PID/status.
type ProcStatus struct {
	UID, GID [4]uint32 // real, effective, saved, file system
	Groups   []uint32
	// The capability sets as bit masks (bit n is capability n).
	CapInh, CapPrm, CapEff, CapBnd, CapAmb uint64
	// NoNewPrivs, Seccomp and SeccompFilters are -1 when the kernel does
	// not report them. Seccomp is 0 (off), 1 (strict) or 2 (filter).
	NoNewPrivs, Seccomp, SeccompFilters int
}

// ParseStatus parses the text of /proc/PID/status. Uid, Gid, Groups and
// the five Cap lines are required; the others are optional (older kernels).
func ParseStatus(data []byte) (ProcStatus, error) {
	st := ProcStatus{NoNewPrivs: -1, Seccomp: -1, SeccompFilters: -1}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		var err error
		switch key {
		case "Uid":
			st.UID, err = parseIDs(val)
		case "Gid":
			st.GID, err = parseIDs(val)
		case "Groups":
			st.Groups = nil
			for _, f := range strings.Fields(val) {
				var g uint64
				if g, err = strconv.ParseUint(f, 10, 32); err != nil {
					break
				}
				st.Groups = append(st.Groups, uint32(g))
			}
		case "CapInh":
			st.CapInh, err = strconv.ParseUint(val, 16, 64)
		case "CapPrm":
			st.CapPrm, err = strconv.ParseUint(val, 16, 64)
		case "CapEff":
			st.CapEff, err = strconv.ParseUint(val, 16, 64)
		case "CapBnd":
			st.CapBnd, err = strconv.ParseUint(val, 16, 64)
		case "CapAmb":
			st.CapAmb, err = strconv.ParseUint(val, 16, 64)
		case "NoNewPrivs":
			st.NoNewPrivs, err = strconv.Atoi(val)
		case "Seccomp":
			st.Seccomp, err = strconv.Atoi(val)
		case "Seccomp_filters":
			st.SeccompFilters, err = strconv.Atoi(val)
		default:
			continue
		}
		if err != nil {
			return st, fmt.Errorf("line %d: %s: %w", n, key, err)
		}
		seen[key] = true
	}
	if err := sc.Err(); err != nil {
		return st, err
	}
	for _, k := range []string{"Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
		if !seen[k] {
			return st, fmt.Errorf("no %s line", k)
		}
	}
	return st, nil
}

func parseIDs(val string) ([4]uint32, error) {
	var ids [4]uint32
	f := strings.Fields(val)
	if len(f) != 4 {
		return ids, fmt.Errorf("%d ids, want 4 (real, effective, saved, fs)", len(f))
	}
	for i, s := range f {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return ids, err
		}
		ids[i] = uint32(n)
	}
	return ids, nil
}

// Limit is one line of /proc/PID/limits.
type Limit struct {
	// Name is the profile's name of the limit ("nofile", see
	// rlimits.Resources), or the kernel's row name for a resource fsviews
	// does not know.
	Name  string `json:"name"`
	Soft  string `json:"soft"` // a number or "unlimited"
	Hard  string `json:"hard"`
	Units string `json:"units,omitempty"`
}

// ParseLimits parses the text of /proc/PID/limits. The kernel prints
// "%-25s %-20s %-20s %-10s": the name has single spaces inside, so it is
// cut at column 25 and the rest split on blanks.
func ParseLimits(data []byte) ([]Limit, error) {
	names := map[string]string{} // "Max open files" -> "nofile"
	for _, r := range rlimits.Resources() {
		names[r.Proc] = r.Name
	}
	var out []Limit
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if n == 1 {
			if !strings.HasPrefix(line, "Limit") {
				return nil, fmt.Errorf("line 1: not a limits header: %q", line)
			}
			continue
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		if len(line) < 26 {
			return nil, fmt.Errorf("line %d: too short: %q", n, line)
		}
		name := strings.TrimSpace(line[:25])
		short, ok := names[name]
		if !ok {
			short = name // a newer kernel's resource: keep the long name
		}
		f := strings.Fields(line[25:])
		if len(f) < 2 {
			return nil, fmt.Errorf("line %d: %s: want soft and hard limits, got %q", n, name, line[25:])
		}
		for _, v := range f[:2] {
			if v != "unlimited" {
				if _, err := strconv.ParseUint(v, 10, 64); err != nil {
					return nil, fmt.Errorf("line %d: %s: %w", n, name, err)
				}
			}
		}
		l := Limit{Name: short, Soft: f[0], Hard: f[1]}
		if len(f) > 2 {
			l.Units = f[2]
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no limits")
	}
	return out, nil
}
