package main

import (
	"fmt"
	"io"
)

// targets collects the issues' performance targets and how this run did
// against them, for the summary at the end of the report: every figure
// in it comes from the run.
type targets struct {
	rows []string
}

func (t *targets) add(target, result string, met bool) {
	verdict := "no"
	if met {
		verdict = "yes"
	}
	t.rows = append(t.rows, fmt.Sprintf("| %s | %s | %s |", target, result, verdict))
}

// skip records a target this run could not measure, and why.
func (t *targets) skip(target, why string) {
	t.rows = append(t.rows, fmt.Sprintf("| %s | %s | — |", target, why))
}

func (t *targets) print(w io.Writer) {
	if len(t.rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\n## Targets\n\n| target | this run | met |\n|---|---|---|\n")
	for _, r := range t.rows {
		fmt.Fprintln(w, r)
	}
}
