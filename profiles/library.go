package profiles

import (
	"embed"
	"io/fs"
)

//go:embed library
var bundled embed.FS

// Library returns the bundled profiles, rooted so that "minimal.toml" and
// "base/libc.toml" are their names.
func Library() fs.FS {
	sub, err := fs.Sub(bundled, "library")
	if err != nil {
		panic("bug: embedded library missing: " + err.Error())
	}
	return sub
}
