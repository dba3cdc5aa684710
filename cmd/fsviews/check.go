package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/cgroups"
	"github.com/fsviews/fsviews/launch"
	"github.com/fsviews/fsviews/profiles"
	"github.com/fsviews/fsviews/views"
)

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "validate profiles: every error and warning, with file, line and a fix",
		ArgsUsage: "PROFILE...",
		Description: `Reads each profile with its includes and reports every problem in one pass:
TOML syntax, unknown keys (with the key you probably meant), relative or ".."
paths, duplicate targets, targets below a symlink the profile creates, missing
sources, bad modes and sizes, unknown users, groups and capabilities, include
cycles. Warnings point at risks that are not errors: read-write binds of system
directories, secrets such as /etc/shadow or ssh keys made visible, optional
binds whose source is missing, a daemon sharing the host's network because
the profile does not say net = "host" (or another mode) under [namespaces].
Bad [seccomp], [limits] and [landlock] tables are errors here, never at run
time: unknown syscalls (with the closest name), contradicting rules, argument
indexes above 5, values that overflow, unknown actions, presets and limits.

Run by a user without CAP_SYS_ADMIN, with --userns, or for a profile with
"user = true" under [namespaces], check also reports what a rootless jail
cannot do for this user (docs/rootless.md): binds of sources you cannot
read, [security] user or group other than yours, capabilities without
meaning in a user namespace, hard limits above yours, a state root you
cannot write.

Sources are opened as run opens them: a symlink in a bind or [[file]]
source is an error naming it (write the real path, or follow = true for a
link the system placed at the end of the path). A source inside a place a
registered jail (fsviews ps) can write, its read-write binds and state
dirs, is an error: that jail could replace the source before this
profile's next start. Bind the shared place itself, or a path outside it.

Nothing is mounted or created. Exit status 0 when no profile has an error
(with --strict: nor a warning), 1 otherwise. --json prints, for tools, one
report per profile: its name, "ok", and each problem with its file, line,
key, message and whether it is a warning.

Examples:
   fsviews check /etc/fsviews/nginx.toml
   fsviews check --strict /etc/fsviews/*.toml`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "strict", Usage: "treat warnings as errors"},
			&cli.BoolFlag{Name: "json", Usage: "print the reports as JSON on stdout instead of lines"},
			usernsFlag(),
		},
		Action: func(c *cli.Context) error {
			refs, _, err := splitArgs(c)
			if err != nil {
				return err
			}
			if len(refs) == 0 {
				return cli.Exit("fsviews check: name at least one profile: fsviews check PROFILE...", 1)
			}
			failed := 0
			var reports []checkReport
			for _, ref := range refs {
				p, probs := loader(c).Load(ref)
				if p != nil {
					probs = append(probs, profiles.Lint(p, os.Getuid())...)
					userns, err := wantUserNS(c, p)
					if err != nil {
						probs = append(probs, profiles.Problem{Pos: p.Origin, Msg: err.Error()})
					} else if userns {
						probs = append(probs, rootlessCheck(c, p)...)
					}
					probs = append(probs, sourceCheck(jailRegistry(c), p, userns)...)
					probs = append(probs, kernelCheck(p, launch.ProbeKernel())...)
					if len(probs.Errors()) > 0 {
						p = nil
					}
				}
				if c.Bool("json") {
					rep := checkReport{Profile: ref, OK: p != nil && (len(probs.Warnings()) == 0 || !c.Bool("strict")), Problems: []checkProblem{}}
					for _, pr := range probs {
						rep.Problems = append(rep.Problems, checkProblem{File: pr.Pos.File, Line: pr.Pos.Line, Key: pr.Key, Message: pr.Msg, Warning: pr.Warning})
					}
					if !rep.OK {
						failed++
					}
					reports = append(reports, rep)
					continue
				}
				for _, pr := range probs {
					fmt.Fprintln(os.Stderr, pr)
				}
				switch errs, warns := len(probs.Errors()), len(probs.Warnings()); {
				case p == nil:
					failed++
					fmt.Fprintf(os.Stderr, "%s: %d error%s, %d warning%s\n", ref, errs, plural(errs), warns, plural(warns))
				case warns > 0 && c.Bool("strict"):
					failed++
					fmt.Fprintf(os.Stderr, "%s: %d warning%s (--strict)\n", ref, warns, plural(warns))
				default:
					fmt.Printf("%s: ok (%s, %d warning%s)\n", ref, p.Name, warns, plural(warns))
				}
			}
			if c.Bool("json") {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(reports); err != nil {
					return cli.Exit(fmt.Sprintf("fsviews check: %v", err), 1)
				}
			}
			if failed > 0 {
				return cli.Exit("", 1)
			}
			return nil
		},
	}
}

// checkReport is one profile's result in check --json.
type checkReport struct {
	Profile  string         `json:"profile"`
	OK       bool           `json:"ok"`
	Problems []checkProblem `json:"problems"`
}

type checkProblem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Key     string `json:"key,omitempty"`
	Message string `json:"message"`
	Warning bool   `json:"warning,omitempty"`
}

// kernelCheck reports the confinement layers and cgroup limits of p this
// host cannot enforce: an error for a required one (run would refuse to
// start), a warning for an optional one (run leaves it out).
func kernelCheck(p *profiles.Profile, k views.Kernel) profiles.Problems {
	var probs profiles.Problems
	add := func(pos profiles.Pos, key string, optional bool, err error) {
		if err == nil {
			return
		}
		if optional {
			probs = append(probs, profiles.Problem{Pos: pos, Key: key, Warning: true, Msg: fmt.Sprintf("this host cannot enforce it, and fsviews run will leave it out (optional = true): %v", err)})
			return
		}
		probs = append(probs, profiles.Problem{Pos: pos, Key: key, Msg: fmt.Sprintf("this host cannot enforce it, so fsviews run refuses to start: %v", err)})
	}
	if s := p.Seccomp; s != nil {
		add(s.Pos, "[seccomp]", s.Optional, k.Seccomp)
	}
	if l := p.Landlock; l != nil {
		add(l.Pos, "[landlock]", l.Optional, k.Landlock)
	}
	if c := p.Cgroup; c != nil {
		if layout, err := cgroups.Discover(); err != nil {
			add(c.Pos, "[cgroup]", c.Optional, err)
		} else {
			for _, err := range layout.Lacks(c.Limits) {
				add(c.Pos, "[cgroup]", c.Optional, err)
			}
		}
	}
	return probs
}
