package inspect

import (
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/registry"
)

// A bind's live mount is set against the source recorded at start: the
// device, and its place in the file system as the host shows it now.
func TestMountedSource(t *testing.T) {
	disk, other := unix.Mkdev(8, 1), unix.Mkdev(8, 2)
	host := []*mountinfo.Info{
		{Mountpoint: "/", Root: "/", Major: 8, Minor: 1},
		{Mountpoint: "/srv", Root: "/exports/srv", Major: 8, Minor: 2}, // itself a bind on the host
		{Mountpoint: "/srv/tmp", Root: "/", Major: 0, Minor: 40},
	}
	src := registry.Source{Target: "/www", Path: "/data/static", Resolved: "/data/static", Dev: disk, Ino: 7}
	srv := registry.Source{Target: "/www", Path: "/srv/www", Resolved: "/srv/www", Dev: other, Ino: 9}
	for _, tc := range []struct {
		name  string
		src   registry.Source
		mount mountinfo.Info
		why   string // part of the one reason, "" for none
	}{
		{"as started", src, mountinfo.Info{Root: "/data/static", Major: 8, Minor: 1}, ""},
		{"below a host bind", srv, mountinfo.Info{Root: "/exports/srv/www", Major: 8, Minor: 2}, ""},
		{"moved away", src, mountinfo.Info{Root: "/data/old", Major: 8, Minor: 1},
			"shows /data/old of its file system, but the source /data/static is /data/static there: the source was moved or replaced"},
		{"deleted", src, mountinfo.Info{Root: "/data/static//deleted", Major: 8, Minor: 1}, "shows /data/static//deleted"},
		{"forged name", src, mountinfo.Info{Root: "/data/x\nok", Major: 8, Minor: 1}, `shows "/data/x\nok"`},
		{"another device", src, mountinfo.Info{Root: "/data/static", Major: 8, Minor: 2},
			"on device 8:2, but its source /data/static was on 8:1 when the jail started"},
	} {
		why := mountedSource(tc.src, &tc.mount, host)
		switch {
		case tc.why == "" && len(why) > 0:
			t.Errorf("%s: drift %q, want none", tc.name, why)
		case tc.why != "" && (len(why) != 1 || !strings.Contains(why[0], tc.why)):
			t.Errorf("%s: %q, want one reason with %q", tc.name, why, tc.why)
		}
	}
}

// A source replaced on the host since the start, or now a link fsviews does
// not follow, is drift; one still the same inode is not.
func TestCompareSources(t *testing.T) {
	dev := unix.Mkdev(8, 1)
	rec := []registry.Source{
		{Target: "/www", Path: "/data/static", Resolved: "/data/static", Dev: dev, Ino: 7},
		{Target: "/etc/app.ini", Path: "/data/app.ini", Resolved: "/data/app.ini", Dev: dev, Ino: 8},
		{Target: "/lib", Path: "/lib", Resolved: "/usr/lib", Dev: dev, Ino: 9},
	}
	now := []SourceNow{
		{Source: registry.Source{Target: "/www", Path: "/data/static", Resolved: "/data/static", Dev: dev, Ino: 70}},
		{Source: registry.Source{Target: "/etc/app.ini", Path: "/data/app.ini"}, Err: "source /data/app.ini: /data/app.ini is a symlink that someone other than root could have placed"},
		{Source: registry.Source{Target: "/lib", Path: "/lib", Resolved: "/usr/lib", Dev: dev, Ino: 9}},
	}
	got := compareSources(rec, now)
	if len(got) != 3 {
		t.Fatalf("%d checks, want 3: %+v", len(got), got)
	}
	if c := got[0]; c.OK || c.Got != "device 8:1 inode 70" || c.Want != "device 8:1 inode 7" || !strings.Contains(c.Note, "replaced since the jail started") {
		t.Errorf("swapped directory: %+v", c)
	}
	if c := got[1]; c.OK || !strings.Contains(c.Note, "is a symlink that someone other than root could have placed") {
		t.Errorf("file source now a link: %+v", c)
	}
	if c := got[2]; !c.OK || c.Got != "device 8:1 inode 9 (/usr/lib)" {
		t.Errorf("source through root's link, unchanged: %+v", c)
	}
	r := Report{Sources: got}
	if !r.Drift() {
		t.Error("a replaced source is not drift")
	}
}
