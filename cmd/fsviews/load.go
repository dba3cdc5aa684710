package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/profiles"
)

func loader(c *cli.Context) profiles.Loader {
	l := profiles.Loader{
		SearchDirs: c.StringSlice("search-path"),
		Library:    profiles.Library(),
		Host:       profiles.OSHost{},
	}
	if os.Geteuid() == 0 {
		// Root runs what the files say: only root (or the caller) may
		// have written them (docs/security.md, "Trusted profile files").
		l.Trust = func(path string) error { return profiles.Trusted(path, 0, os.Getuid()) }
	}
	return l
}

// loadProfile loads ref, prints its warnings and, on error, every problem;
// failCode is the exit status for a profile with errors.
func loadProfile(c *cli.Context, ref string, failCode int) (*profiles.Profile, error) {
	p, probs := loader(c).Load(ref)
	for _, pr := range probs {
		fmt.Fprintln(os.Stderr, pr)
	}
	if p == nil {
		n := len(probs.Errors())
		return nil, cli.Exit(fmt.Sprintf("fsviews: %s: %d error%s; nothing was changed", ref, n, plural(n)), failCode)
	}
	return p, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
