//go:build !gendocs

package main

import "github.com/urfave/cli/v2"

// docCommands are the hidden generators of man pages and the fish
// completion; only a build with -tags gendocs has them (make man), so
// that the installed binary carries no documentation generator.
func docCommands() []*cli.Command { return nil }
