package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// splitArgs separates positional arguments from the command after "--",
// and applies flags written after the first positional argument
// ("fsviews run web.toml --state-dir /srv/state"), which urfave/cli
// leaves unparsed.
func splitArgs(c *cli.Context) (positional, command []string, err error) {
	args := c.Args().Slice()
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return positional, args[i+1:], nil
		case strings.HasPrefix(a, "-") && len(a) > 1:
			name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
			f := lookupFlag(c.Command.Flags, name)
			if f == nil {
				return nil, nil, cli.Exit(fmt.Sprintf("fsviews %s: unknown flag %s (see fsviews %s --help)", c.Command.Name, a, c.Command.Name), 2)
			}
			if _, isBool := f.(*cli.BoolFlag); isBool && !hasValue {
				value, hasValue = "true", true
			}
			if !hasValue {
				if i+1 >= len(args) {
					return nil, nil, cli.Exit(fmt.Sprintf("fsviews %s: flag %s needs a value", c.Command.Name, a), 2)
				}
				i++
				value = args[i]
			}
			if err := c.Set(f.Names()[0], value); err != nil {
				return nil, nil, cli.Exit(fmt.Sprintf("fsviews %s: %s: %v", c.Command.Name, a, err), 2)
			}
		default:
			positional = append(positional, a)
		}
	}
	return positional, nil, nil
}

func lookupFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}
