package units

import (
	"strings"
	"testing"

	"github.com/fsviews/fsviews/cgroups"
	"github.com/fsviews/fsviews/profiles"
)

func TestCgroupLimitsInUnit(t *testing.T) {
	p := web()
	p.Namespaces.PID = true
	p.Cgroup = &profiles.Cgroup{Pos: profiles.Pos{File: "/etc/fsviews/web.toml", Line: 9},
		Limits: cgroups.Limits{Pids: 64, Memory: 32 << 20, CPU: 1500}}
	u, err := Generate(p, Options{Executable: "/usr/bin/fsviews", Profile: "/etc/fsviews/web.toml"})
	if err != nil {
		t.Fatal(err)
	}
	want := "SyslogIdentifier=web\n" +
		"# [cgroup] limits (/etc/fsviews/web.toml:9), enforced by systemd on the whole unit; fsviews\n" +
		"# gives the jail a cgroup of its own below it with the same limits.\n" +
		"TasksMax=64\nMemoryMax=32M\nMemorySwapMax=0\nCPUQuota=150%\nDelegate=yes\n"
	if !strings.Contains(u.Text, want) {
		t.Errorf("unit lacks\n%s\ngot:\n%s", want, u.Text)
	}
	p.Cgroup.Limits = cgroups.Limits{CPU: 15}
	u, _ = Generate(p, Options{Executable: "/usr/bin/fsviews", Profile: "/etc/fsviews/web.toml"})
	if !strings.Contains(u.Text, "\nCPUQuota=1.5%\nDelegate=yes\n") || strings.Contains(u.Text, "TasksMax") {
		t.Errorf("cpu only:\n%s", u.Text)
	}
	p.Cgroup.Limits = cgroups.Limits{Memory: 1 << 30, Swap: 256 << 20, MemoryHigh: 768 << 20, CPUWeight: 50, IOWeight: 200}
	u, _ = Generate(p, Options{Executable: "/usr/bin/fsviews", Profile: "/etc/fsviews/web.toml"})
	if want := "\nMemoryMax=1G\nMemorySwapMax=256M\nMemoryHigh=768M\nCPUWeight=50\nIOWeight=200\nDelegate=yes\n"; !strings.Contains(u.Text, want) {
		t.Errorf("memory, swap, memory_high and the weights: want\n%s\ngot:\n%s", want, u.Text)
	}
	if u, _ := Generate(web(), Options{Executable: "/usr/bin/fsviews", Profile: "/etc/fsviews/web.toml"}); strings.Contains(u.Text, "Delegate") {
		t.Errorf("a unit without [cgroup] delegates:\n%s", u.Text)
	}
}
