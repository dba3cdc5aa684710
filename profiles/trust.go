package profiles

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Trusted checks, as sshd's StrictModes does, that only the owners can have
// written path: the file, and every directory above it (of the path as
// given and of the path its symlinks lead to), must be owned by one of
// owners and not writable by group or others. A directory anyone may write
// is accepted only when it is sticky and owned by root (/tmp): there others
// cannot replace what they do not own. fsviews run by root applies it to
// every profile file, include and [[file]] source, since whoever can write
// them decides what root mounts and runs.
func Trusted(path string, owners ...int) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return err
	}
	if err := trustedEntry(real, false, owners); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, p := range []string{abs, real} {
		for dir := filepath.Dir(p); !seen[dir]; dir = filepath.Dir(dir) {
			seen[dir] = true
			if err := trustedEntry(dir, true, owners); err != nil {
				return err
			}
		}
	}
	return nil
}

func trustedEntry(p string, dir bool, owners []int) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		// A link's own mode means nothing; who owns it does not matter
		// when its directory is trusted, which is checked too.
		return nil
	}
	owned := false
	for _, o := range owners {
		owned = owned || int(st.Uid) == o
	}
	what := "file"
	if dir {
		what = "directory"
	}
	if !owned {
		return fmt.Errorf("%s %s is owned by uid %d, not root: whoever owns it decides what fsviews runs as root; chown root %s", what, p, st.Uid, p)
	}
	if fi.Mode().Perm()&0o022 == 0 {
		return nil
	}
	if dir && fi.Mode()&fs.ModeSticky != 0 && st.Uid == 0 {
		return nil
	}
	return fmt.Errorf("%s %s is writable by group or others (mode %04o): whoever can write it decides what fsviews runs as root; chmod go-w %s", what, p, st.Mode&0o7777, p)
}
