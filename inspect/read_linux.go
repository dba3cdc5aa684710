package inspect

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/sys/mountinfo"

	"github.com/fsviews/fsviews/cgroups"
	"github.com/fsviews/fsviews/registry"
	"github.com/fsviews/fsviews/views"
)

// ReadJail reads the mount table, status, limits and namespaces of process
// pid from /proc. All of it is written by the kernel: nothing the jail
// controls is read, and nothing runs inside the jail. The caller checks
// afterwards that pid is still the jail (its start time), since the process
// may have exited and the PID been reused while we read.
func ReadJail(pid int) (Jail, error) {
	var j Jail
	dir := "/proc/" + strconv.Itoa(pid)
	var err error
	if j.Mounts, err = mountinfo.PidMountInfo(pid); err != nil {
		return j, fmt.Errorf("read %s/mountinfo: %w", dir, err)
	}
	data, err := os.ReadFile(dir + "/status")
	if err != nil {
		return j, err
	}
	if j.Status, err = ParseStatus(data); err != nil {
		return j, fmt.Errorf("parse %s/status: %w", dir, err)
	}
	if data, err = os.ReadFile(dir + "/limits"); err != nil {
		return j, err
	}
	if j.Limits, err = ParseLimits(data); err != nil {
		return j, fmt.Errorf("parse %s/limits: %w", dir, err)
	}
	if j.Namespaces, err = registry.Namespaces(pid); err != nil {
		return j, err
	}
	return j, nil
}

// DaemonPID is the process whose privileges the plan describes, given the
// PID the registry records: that process itself, except in the
// PID-namespace model with fsviews' init as PID 1, where the daemon is the
// init's one child (/proc/PID/task/PID/children, written by the kernel).
// When that cannot be read, pid itself is inspected, and its privileges
// (the init's) show as drift.
func DaemonPID(plan *views.Plan, pid int) int {
	if !plan.PID || plan.AsPID1 {
		return pid
	}
	p := strconv.Itoa(pid)
	data, err := os.ReadFile("/proc/" + p + "/task/" + p + "/children")
	if err != nil {
		return pid
	}
	if f := strings.Fields(string(data)); len(f) > 0 {
		if child, err := strconv.Atoi(f[0]); err == nil {
			return child
		}
	}
	return pid
}

// ReadOthers reads the jail's processes other than the daemon and
// fsviews' init: with a PID namespace, every process in the recorded
// PID's PID namespace; without, every process in its mount namespace.
// Membership is the kernel's /proc/N/ns link; a process that exits
// meanwhile is left out.
func ReadOthers(plan *views.Plan, recorded, daemon int) []Process {
	ns := "mnt"
	if plan.PID {
		ns = "pid"
	}
	want, err := os.Readlink("/proc/" + strconv.Itoa(recorded) + "/ns/" + ns)
	if err != nil {
		return nil
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var others []Process
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == recorded || pid == daemon {
			continue
		}
		dir := "/proc/" + e.Name()
		if got, err := os.Readlink(dir + "/ns/" + ns); err != nil || got != want {
			continue
		}
		data, err := os.ReadFile(dir + "/status")
		if err != nil {
			continue
		}
		st, err := ParseStatus(data)
		if err != nil {
			continue
		}
		comm, _ := os.ReadFile(dir + "/comm")
		others = append(others, Process{PID: pid, Comm: strings.TrimSpace(string(comm)), Status: st})
	}
	return others
}

// ReadCgroup reads the live limits of the jail's cgroup (the one process
// pid is in) and sets them against the plan's [cgroup]: a limit changed
// from outside, or a jail moved out of the cgroup fsviews made for it, is
// drift. Nothing without [cgroup].
func ReadCgroup(plan *views.Plan, pid int) []Check {
	if plan.Cgroup == nil {
		return nil
	}
	fail := func(err error) []Check {
		return []Check{{Name: "cgroup", Got: "unreadable", Note: err.Error()}}
	}
	l, err := cgroups.Discover()
	if err != nil {
		return fail(err)
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return fail(err)
	}
	var checks []Check
	for _, live := range l.Live(data, plan.Cgroup.Limits) {
		c := Check{Name: "cgroup " + filepath.Base(live.File), Want: live.Want, Got: live.Got, OK: live.Err == nil && live.Got == live.Want}
		if live.Err != nil {
			c.Got, c.Note = "unreadable", live.Err.Error()
			if live.Want == "" {
				c.Got = live.File
			}
			// With optional = true, run skips what the host cannot
			// apply, saying so: not drift.
			if plan.Cgroup.Optional && live.Want == "" {
				c.Got, c.OK = "skipped (optional = true)", true
			}
		}
		checks = append(checks, c)
	}
	return checks
}

// ReadHost reads the reference: the auditor's own mount table (where the
// bind sources are), PID 1's namespaces and which of the /proc files a
// view makes read-only or hides this kernel has.
func ReadHost() (Host, error) {
	var h Host
	var err error
	if h.Mounts, err = mountinfo.GetMounts(nil); err != nil {
		return h, fmt.Errorf("read /proc/self/mountinfo: %w", err)
	}
	h.Namespaces, h.NamespacesOf = HostNamespaces()
	h.ProcFiles = map[string]bool{}
	for _, p := range append(views.ProcReadOnly(), views.ProcMasked()...) {
		if _, err := os.Lstat(p); err == nil {
			h.ProcFiles[p] = true
		}
	}
	return h, nil
}

// HostNamespaces returns PID 1's namespaces, the host's by definition, and
// says whose they are. When PID 1's links cannot be read (a container, or
// PID 1 not dumpable under Yama or similar), the auditor's own namespaces
// stand in, and the second result says so.
func HostNamespaces() (map[string]uint64, string) {
	ns, err := registry.Namespaces(1)
	if err == nil {
		return ns, "PID 1"
	}
	self, selfErr := registry.Namespaces(os.Getpid())
	if selfErr != nil {
		return nil, fmt.Sprintf("unknown (PID 1: %v; fsviews itself: %v)", err, selfErr)
	}
	return self, fmt.Sprintf("fsviews' own, as PID 1's cannot be read (%v)", err)
}
