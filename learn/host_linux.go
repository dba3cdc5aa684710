package learn

import (
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// OSHost is the real host, for Synthesize.
type OSHost struct{}

func (OSHost) Lstat(p string) (fs.FileInfo, error) { return os.Lstat(p) }

func (OSHost) Owner(p string) (int, int, bool) {
	fi, err := os.Lstat(p)
	if err != nil {
		return -1, -1, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return -1, -1, false
	}
	return int(st.Uid), int(st.Gid), true
}

func (OSHost) UserName(uid int) string {
	u, err := user.LookupId(strconv.Itoa(uid))
	if err != nil {
		return ""
	}
	return u.Username
}

func (OSHost) GroupName(gid int) string {
	g, err := user.LookupGroupId(strconv.Itoa(gid))
	if err != nil {
		return ""
	}
	return g.Name
}
