package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/views"
)

// printSeccomp prints the filter plan --seccomp asks for.
func printSeccomp(ref string, plan *views.Plan) error {
	if plan.Seccomp == nil {
		return cli.Exit(fmt.Sprintf("fsviews plan: %s has no syscall filter (no_new_privs = false leaves out the default one): there is nothing to print", ref), 1)
	}
	prog, err := plan.Seccomp.Program()
	if err != nil {
		return cli.Exit(fmt.Sprintf("fsviews plan: %s: %v", ref, err), 1)
	}
	fmt.Printf("# seccomp filter for %q (%s): %s\n", plan.Name, plan.Seccomp.Origin, plan.Seccomp)
	fmt.Print(prog.Disassemble())
	return nil
}
