package inspect

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/fsviews/fsviews/audit"
)

// Format prints r for a person: the mounts, one a line with the verdict
// first, then the enforced properties, then a one-line summary. Mount
// points are quoted when they hold anything unprintable: the jail may name
// its directories to forge report lines. The only error is the writer's.
func Format(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	counts := map[Status]int{}
	fmt.Fprintln(bw, "mounts:")
	for _, m := range r.Mounts {
		counts[m.Status]++
		what := m.Kind
		if m.Source != "" {
			what += " <- " + audit.QuoteName(m.Source)
		}
		if m.FSType != "" {
			what += " (" + m.FSType + " " + m.Options + ")"
		}
		line := fmt.Sprintf("  %-10s %-28s %s", m.Status, audit.QuoteName(m.Path), strings.TrimSpace(what))
		if len(m.Why) > 0 {
			line += ": " + strings.Join(m.Why, "; ")
		}
		fmt.Fprintln(bw, strings.TrimRight(line, " "))
	}
	fmt.Fprintln(bw, "enforced:")
	differ := 0
	for _, c := range r.Enforced {
		verdict := "ok"
		if !c.OK {
			verdict = "DRIFT"
			differ++
		}
		line := fmt.Sprintf("  %-6s %-18s %s", verdict, c.Name, c.Got)
		if c.Want != "" && !c.OK {
			line += " (want " + c.Want + ")"
		}
		if c.Note != "" {
			line += ": " + c.Note
		}
		fmt.Fprintln(bw, line)
	}
	swapped := 0
	if len(r.Sources) > 0 {
		fmt.Fprintln(bw, "sources:")
	}
	for _, c := range r.Sources {
		line := fmt.Sprintf("  ok     %s %s", audit.QuoteName(c.Name), c.Got)
		if !c.OK {
			swapped++
			line = fmt.Sprintf("  DRIFT  %s %s (at start: %s)", audit.QuoteName(c.Name), c.Got, c.Want)
		}
		fmt.Fprintln(bw, line+": "+c.Note)
	}
	if len(r.Processes) > 0 {
		fmt.Fprintln(bw, "other processes:")
	}
	wrong := 0
	for _, p := range r.Processes {
		name := fmt.Sprintf("pid %d (%s)", p.PID, audit.QuoteName(p.Comm))
		if p.OK {
			fmt.Fprintf(bw, "  ok     %s\n", name)
			continue
		}
		wrong++
		var why []string
		for _, c := range p.Drift {
			s := c.Name + " " + c.Got
			if c.Note != "" {
				s += ": " + c.Note
			}
			why = append(why, s)
		}
		fmt.Fprintf(bw, "  DRIFT  %s: %s\n", name, strings.Join(why, "; "))
	}
	fmt.Fprintf(bw, "%d planned, %d changed, %d unexpected, %d missing, %d skipped mounts; %d of %d enforced properties differ",
		counts[Planned], counts[Changed], counts[Unexpected], counts[Missing], counts[Skipped], differ, len(r.Enforced))
	if len(r.Sources) > 0 {
		fmt.Fprintf(bw, "; %d of %d sources replaced", swapped, len(r.Sources))
	}
	if len(r.Processes) > 0 {
		fmt.Fprintf(bw, "; %d of %d other processes hold more than planned", wrong, len(r.Processes))
	}
	fmt.Fprintln(bw)
	return bw.Flush()
}
