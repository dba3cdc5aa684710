package main

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"
)

func profilesCommand() *cli.Command {
	return &cli.Command{
		Name:  "profiles",
		Usage: "list the profiles that can be named without a path",
		Description: `Lists the profiles in the search path (/etc/fsviews unless --search-path says
otherwise) and the bundled library, with the first line of each one's header
comment. A profile in the search path hides a bundled one of the same name.

Example:
   fsviews profiles`,
		Action: func(c *cli.Context) error {
			l := loader(c)
			for _, name := range l.Available() {
				fmt.Printf("%-16s %s\n", name, summary(l.SearchDirs, l.Library, name))
			}
			return nil
		},
	}
}

// summary is the first comment line of a profile, minus its "name:" prefix.
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
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "#"))
		return strings.TrimSpace(strings.TrimPrefix(line, name+":"))
	}
	return ""
}
