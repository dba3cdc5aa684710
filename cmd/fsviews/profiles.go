package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"
)

func profilesCommand() *cli.Command {
	return &cli.Command{
		Name:  "profiles",
		Usage: "list the profiles that can be named without a path; show or copy one",
		Description: `Lists the profiles in the search path (/etc/fsviews unless --search-path says
otherwise) and the bundled library, with the first line of each one's header
comment. A profile in the search path hides a bundled one of the same name.

Examples:
   fsviews profiles
   fsviews profiles show redis           the profile's text, then each file it includes
   fsviews profiles copy redis           write it to /etc/fsviews/redis.toml to adapt it`,
		Action: func(c *cli.Context) error {
			if c.Args().Len() > 0 {
				return cli.Exit(fmt.Sprintf("fsviews profiles: unknown subcommand %q: use fsviews profiles, profiles show NAME or profiles copy NAME", c.Args().First()), 1)
			}
			l := loader(c)
			for _, name := range l.Available() {
				fmt.Printf("%-16s %s\n", name, summary(l.SearchDirs, l.Library, name))
			}
			return nil
		},
		Subcommands: []*cli.Command{profilesShowCommand(), profilesCopyCommand()},
	}
}

func profilesShowCommand() *cli.Command {
	return &cli.Command{
		Name:      "show",
		Usage:     "print a profile's text and the text of every file it includes",
		ArgsUsage: "NAME|PATH",
		Description: `Prints the profile as fsviews reads it: its own file first, then each
include, each under a "# ==> FILE <==" line ("library:..." for the bundled
library). Exits 1 when the profile has errors ("fsviews check" lists them).`,
		Action: func(c *cli.Context) error {
			if c.Args().Len() != 1 {
				return cli.Exit("fsviews profiles show: name one profile: fsviews profiles show NAME", 1)
			}
			l := loader(c)
			p, probs := l.Load(c.Args().First())
			if p == nil {
				for _, pr := range probs {
					fmt.Fprintln(os.Stderr, pr)
				}
				return cli.Exit(fmt.Sprintf("fsviews profiles show: %s has errors (above); nothing to show", c.Args().First()), 1)
			}
			// FilesRead lists includes first; the profile itself is last.
			files := append([]string{p.FilesRead[len(p.FilesRead)-1]}, p.FilesRead[:len(p.FilesRead)-1]...)
			for i, f := range files {
				text, err := l.Text(f)
				if err != nil {
					return cli.Exit(fmt.Sprintf("fsviews profiles show: %v", err), 1)
				}
				if i > 0 {
					fmt.Println()
				}
				fmt.Printf("# ==> %s <==\n%s", f, text)
				if len(text) > 0 && text[len(text)-1] != '\n' {
					fmt.Println()
				}
			}
			return nil
		},
	}
}

func profilesCopyCommand() *cli.Command {
	return &cli.Command{
		Name:      "copy",
		Usage:     "copy a bundled profile into the search path, to adapt it",
		ArgsUsage: "NAME",
		Description: `Writes the bundled profile NAME to the first directory of the search path
(/etc/fsviews/NAME.toml unless --search-path says otherwise), mode 0644,
creating the directory (0755). Its includes stay those of the library
("base/libc.toml" is found there from any directory). The copy then hides
the bundled one: "fsviews run NAME" uses it. An existing file is never
replaced. As root, keep the directory and file root's own: fsviews refuses
profiles others could have written.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "to", Usage: "write into `DIR` instead of the first search-path directory"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Len() != 1 || strings.ContainsAny(c.Args().First(), "/\\") || strings.HasSuffix(c.Args().First(), ".toml") {
				return cli.Exit("fsviews profiles copy: name one bundled profile by its name, without a path or .toml: fsviews profiles copy NAME", 1)
			}
			name := c.Args().First()
			l := loader(c)
			text, err := fs.ReadFile(l.Library, name+".toml")
			if err != nil {
				return cli.Exit(fmt.Sprintf("fsviews profiles copy: %q is not a bundled profile (fsviews profiles lists them): %v", name, err), 1)
			}
			dir := c.String("to")
			if dir == "" {
				if len(l.SearchDirs) == 0 {
					return cli.Exit("fsviews profiles copy: the search path is empty: give --to DIR", 1)
				}
				dir = l.SearchDirs[0]
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return cli.Exit(fmt.Sprintf("fsviews profiles copy: %v", err), 1)
			}
			dest := filepath.Join(dir, name+".toml")
			f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o644)
			if errors.Is(err, fs.ErrExist) {
				return cli.Exit(fmt.Sprintf("fsviews profiles copy: %s exists; nothing was written (remove it first, or give --to DIR)", dest), 1)
			}
			if err != nil {
				return cli.Exit(fmt.Sprintf("fsviews profiles copy: %v", err), 1)
			}
			if _, err := f.Write(text); err != nil {
				f.Close()
				os.Remove(dest)
				return cli.Exit(fmt.Sprintf("fsviews profiles copy: write %s: %v", dest, err), 1)
			}
			if err := f.Close(); err != nil {
				return cli.Exit(fmt.Sprintf("fsviews profiles copy: write %s: %v", dest, err), 1)
			}
			fmt.Printf("wrote %s: edit it, then fsviews check %s\n", dest, name)
			return nil
		},
	}
}

// summary is the first line of a profile's header comment, minus its
// "name:" prefix; "" when the file does not start with a comment.
func summary(dirs []string, lib fs.FS, name string) string {
	var f fs.File
	for _, d := range dirs {
		if file, err := os.Open(filepath.Join(d, name+".toml")); err == nil {
			f = file
			break
		}
	}
	if f == nil {
		file, err := lib.Open(name + ".toml")
		if err != nil {
			return ""
		}
		f = file
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if sc.Scan() {
		first := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(first, "#") {
			return ""
		}
		line := strings.TrimSpace(strings.TrimPrefix(first, "#"))
		return strings.TrimSpace(strings.TrimPrefix(line, name+":"))
	}
	return ""
}
