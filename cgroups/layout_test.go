package cgroups

import (
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"
)

// hybrid is this project's CI host: v1 controllers, a cgroup2 mount with
// none of them, the caller nested in the memory hierarchy only.
var hybridProc = `9:name=systemd:/
8:pids:/
4:memory:/process_api/a4fc
2:cpuacct:/
1:cpu:/
0::/
`

var hybridMounts = []*mountinfo.Info{
	{Mountpoint: "/sys/fs/cgroup/cpu", Root: "/", FSType: "cgroup", VFSOptions: "rw,cpu"},
	{Mountpoint: "/sys/fs/cgroup/cpuacct", Root: "/", FSType: "cgroup", VFSOptions: "rw,cpuacct"},
	{Mountpoint: "/sys/fs/cgroup/memory", Root: "/", FSType: "cgroup", VFSOptions: "rw,memory"},
	{Mountpoint: "/sys/fs/cgroup/pids", Root: "/", FSType: "cgroup", VFSOptions: "rw,pids"},
	{Mountpoint: "/sys/fs/cgroup/systemd", Root: "/", FSType: "cgroup", VFSOptions: "rw,name=systemd"},
	{Mountpoint: "/sys/fs/cgroup/unified", Root: "/", FSType: "cgroup2", VFSOptions: "rw"},
}

func TestParseLayoutHybrid(t *testing.T) {
	l, err := ParseLayout([]byte(hybridProc), hybridMounts)
	if err != nil {
		t.Fatal(err)
	}
	if l.V2 == nil || l.V2.Mount != "/sys/fs/cgroup/unified" {
		t.Fatalf("v2 = %+v", l.V2)
	}
	for c, want := range map[string]string{
		"memory": "/sys/fs/cgroup/memory/process_api/a4fc",
		"pids":   "/sys/fs/cgroup/pids",
		"cpu":    "/sys/fs/cgroup/cpu",
	} {
		h, ok := l.v1For(c)
		if !ok {
			t.Fatalf("no v1 hierarchy for %s", c)
		}
		if dir, _ := h.Dir(); dir != want {
			t.Errorf("%s: dir %s, want %s", c, dir, want)
		}
	}
	if _, ok := l.v1For("systemd"); ok {
		t.Error("name=systemd taken for a controller")
	}
}

func TestParseLayoutV2InContainer(t *testing.T) {
	// A container sees its own cgroup as the mount's root, and
	// /proc/self/cgroup shows the path from the namespace's root.
	l, err := ParseLayout([]byte("0::/system.slice/x.service\n"), []*mountinfo.Info{
		{Mountpoint: "/sys/fs/cgroup", Root: "/", FSType: "cgroup2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if dir, ok := l.V2.Dir(); !ok || dir != "/sys/fs/cgroup/system.slice/x.service" {
		t.Fatalf("dir %q %v", dir, ok)
	}
	if len(l.V1) != 0 {
		t.Errorf("v1 = %v", l.V1)
	}
}

func TestHierarchyDirOutsideRoot(t *testing.T) {
	for _, h := range []Hierarchy{
		{Mount: "/m", Root: "/a", Own: "/ab"},
		{Mount: "/m", Root: "/a/b", Own: "/a"},
	} {
		if dir, ok := h.Dir(); ok {
			t.Errorf("%+v: dir %q, want none", h, dir)
		}
	}
	if dir, ok := (Hierarchy{Mount: "/m", Root: "/a", Own: "/a/b"}).Dir(); !ok || dir != "/m/b" {
		t.Errorf("dir %q %v", dir, ok)
	}
}

func TestParseLayoutNoCgroups(t *testing.T) {
	if _, err := ParseLayout(nil, nil); err == nil || !strings.Contains(err.Error(), "no cgroup") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseCPU(t *testing.T) {
	for _, c := range []struct {
		in   any
		want int64
	}{
		{"50%", 500}, {"20%", 200}, {"1.5", 1500}, {1.5, 1500}, {int64(2), 2000},
		{" 1 % ", 10}, {"0.25", 250}, {"100%", 1000}, {"250%", 2500},
	} {
		got, err := ParseCPU(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseCPU(%v) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, in := range []any{"", "%", "0", "0%", "-1", "0.5%", "abc", "1e3", "0x10", "inf", "NaN", true, int64(5000), "1_0"} {
		if got, err := ParseCPU(in); err == nil {
			t.Errorf("ParseCPU(%v) = %d, want an error", in, got)
		}
	}
}

func TestFormatCPU(t *testing.T) {
	for milli, want := range map[int64]string{200: "20%", 15: "1.5%", 1000: "1 CPU", 1500: "1.5 CPUs"} {
		if got := FormatCPU(milli); got != want {
			t.Errorf("FormatCPU(%d) = %q, want %q", milli, got, want)
		}
	}
}

func FuzzParseCPU(f *testing.F) {
	for _, s := range []string{"50%", "1.5", "0", "1e9", "4096", "0.01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseCPU(s)
		if err != nil {
			return
		}
		if n < MinCPU || n > MaxCPU {
			t.Fatalf("ParseCPU(%q) = %d, outside [%d, %d]", s, n, MinCPU, MaxCPU)
		}
		if q := (Limits{CPU: n}).CPUQuota(); q < 1000 {
			t.Fatalf("ParseCPU(%q) = %d: quota %dus is below the kernel's 1ms", s, n, q)
		}
	})
}
