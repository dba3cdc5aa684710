package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// Discover reads the calling process's cgroup layout from /proc/self.
func Discover() (Layout, error) {
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return Layout{}, fmt.Errorf("read the caller's cgroups: %w", err)
	}
	mounts, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("cgroup", "cgroup2"))
	if err != nil {
		return Layout{}, fmt.Errorf("list the cgroup mounts: %w", err)
	}
	return ParseLayout(own, mounts)
}

// Group is a jail's cgroup: one directory in each hierarchy it uses.
type Group struct {
	Name   string
	Limits Limits // the limits it holds: those asked for, less any skipped
	dirs   []string
	by     map[string]placed // by controller
}

// placed is where one controller of the group lives.
type placed struct {
	dir     string
	version int
}

// Dirs lists the group's directories, one per hierarchy.
func (g *Group) Dirs() []string { return slices.Clone(g.dirs) }

// Create makes the cgroup "name" below the caller's own cgroup in every
// hierarchy the limits need and writes the limits. A controller that
// cannot be used is an error naming it and why; with optional, it is
// skipped instead and the reason returned in skipped. On error nothing is
// left behind.
func Create(l Layout, name string, lim Limits, optional bool) (*Group, []error, error) {
	if strings.ContainsAny(name, "/\x00") || name == "" || name == "." || name == ".." {
		return nil, nil, fmt.Errorf("bug: bad cgroup name %q", name)
	}
	g := &Group{Name: name, by: map[string]placed{}}
	var skipped []error
	for _, c := range lim.Controllers() {
		err := g.add(l, c, lim)
		if err == nil {
			continue
		}
		if !optional {
			g.Remove()
			return nil, nil, err
		}
		skipped = append(skipped, err)
	}
	return g, skipped, nil
}

// add places controller c and writes its limit.
func (g *Group) add(l Layout, c string, lim Limits) error {
	dir, version, err := g.dirFor(l, c)
	if err != nil {
		return err
	}
	g.by[c] = placed{dir, version}
	if err := writeLimit(dir, version, c, lim); err != nil {
		return fmt.Errorf("cgroup controller %s: %w", c, err)
	}
	switch c {
	case "pids":
		g.Limits.Pids = lim.Pids
	case "memory":
		g.Limits.Memory, g.Limits.MemoryHigh, g.Limits.Swap = lim.Memory, lim.MemoryHigh, lim.Swap
	case "cpu":
		g.Limits.CPU, g.Limits.CPUWeight = lim.CPU, lim.CPUWeight
	case "io":
		g.Limits.IOWeight = lim.IOWeight
	}
	return nil
}

// dirFor finds, and creates if needed, the group's directory in the
// hierarchy that offers controller c: the unified one when it does, else
// the v1 hierarchy of c.
func (g *Group) dirFor(l Layout, c string) (string, int, error) {
	if h := l.V2; h != nil {
		own, _ := h.Dir()
		if available(filepath.Join(own, "cgroup.controllers"), c) {
			if err := delegate(own, c); err != nil {
				return "", 0, err
			}
			dir, err := g.mkdir(own)
			return dir, 2, err
		}
	}
	h, ok := l.v1For(v1Name(c))
	if !ok {
		where := "no cgroup2 hierarchy is mounted"
		if l.V2 != nil {
			own, _ := l.V2.Dir()
			where = fmt.Sprintf("%s does not list it", filepath.Join(own, "cgroup.controllers"))
		}
		return "", 0, fmt.Errorf("cgroup controller %s is not available: %s, and no cgroup v1 hierarchy is mounted with it; enable it in the kernel (cgroup_enable=%s) or, under a service manager, have it delegated", c, where, c)
	}
	own, _ := h.Dir()
	dir, err := g.mkdir(own)
	return dir, 1, err
}

// v1Name is controller c's name on cgroup v1: blkio for io.
func v1Name(c string) string {
	if c == "io" {
		return "blkio"
	}
	return c
}

// available reports whether controllers file f lists c.
func available(f, c string) bool {
	b, err := os.ReadFile(f)
	return err == nil && slices.Contains(strings.Fields(string(b)), c)
}

// delegate enables controller c for the children of cgroup v2 dir own.
// cgroup v2 enables a controller in a child only when its parent has it
// in cgroup.subtree_control, and refuses that (EBUSY) while the parent
// holds processes itself, unless it is the root (the "no internal
// processes" rule): then the caller's cgroup must be one made for it.
func delegate(own, c string) error {
	ctl := filepath.Join(own, "cgroup.subtree_control")
	if available(ctl, c) {
		return nil
	}
	err := os.WriteFile(ctl, []byte("+"+c), 0)
	if errors.Is(err, unix.EBUSY) {
		moved, leafErr := intoLeaf(own)
		if leafErr != nil {
			return fmt.Errorf("cgroup controller %s: %w", c, leafErr)
		}
		if moved {
			err = os.WriteFile(ctl, []byte("+"+c), 0)
		}
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EBUSY):
		return fmt.Errorf("cgroup controller %s: cannot enable it for a child of %s, which holds other processes than fsviews (cgroup v2 allows controllers only in cgroups without processes of their own, and fsviews moves itself into a leaf only when it is alone there): start fsviews in a cgroup of its own, e.g. systemd-run --scope -p Delegate=yes, or from a unit (fsviews unit writes the limits into it)", c, own)
	case errors.Is(err, os.ErrPermission), errors.Is(err, unix.EROFS):
		return fmt.Errorf("cgroup controller %s: %s is not writable (%v): the cgroup is not delegated to uid %d; run as root or in a delegated subtree (a systemd user service with Delegate=yes)", c, ctl, err, os.Geteuid())
	}
	return fmt.Errorf("cgroup controller %s: enable it in %s: %w", c, ctl, err)
}

// intoLeaf moves the calling process out of cgroup v2 dir own into a leaf
// of its own below it, fsviews-supervisor-PID, when it is the only
// process in own: so a unit with Delegate=yes (systemd puts the service's
// process in the unit's cgroup) can enable controllers for the jail's
// cgroup beside the leaf. With other processes in own it moves nothing:
// they would still block it. The leaf stays until the process exits;
// systemd removes a delegated subtree with its unit.
func intoLeaf(own string) (bool, error) {
	b, err := os.ReadFile(filepath.Join(own, "cgroup.procs"))
	if err != nil {
		return false, fmt.Errorf("list the processes of %s: %w", own, err)
	}
	self := strconv.Itoa(os.Getpid())
	if procs := strings.Fields(string(b)); len(procs) != 1 || procs[0] != self {
		return false, nil
	}
	leaf := filepath.Join(own, "fsviews-supervisor-"+self)
	if err := unix.Mkdir(leaf, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
		return false, fmt.Errorf("create the supervisor's leaf cgroup %s: %w", leaf, err)
	}
	if err := os.WriteFile(filepath.Join(leaf, "cgroup.procs"), []byte(self), 0); err != nil {
		unix.Rmdir(leaf)
		return false, fmt.Errorf("move fsviews (PID %s) into its leaf cgroup %s: %w", self, leaf, err)
	}
	return true, nil
}

// mkdir creates the group's directory below parent, once per hierarchy.
func (g *Group) mkdir(parent string) (string, error) {
	dir := filepath.Join(parent, g.Name)
	if slices.Contains(g.dirs, dir) {
		return dir, nil
	}
	sweepStale(parent, g.Name)
	err := unix.Mkdir(dir, 0o755)
	if errors.Is(err, unix.EEXIST) {
		// Left by a run of the same name and PID that could not clean
		// up (killed by SIGKILL); an empty cgroup goes with rmdir.
		if rmErr := unix.Rmdir(dir); rmErr == nil {
			err = unix.Mkdir(dir, 0o755)
		}
	}
	switch {
	case err == nil:
		g.dirs = append(g.dirs, dir)
		return dir, nil
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM), errors.Is(err, unix.EROFS):
		return "", fmt.Errorf("create cgroup %s: %w: %s is not delegated to uid %d; run as root, or in a delegated subtree (a systemd user service with Delegate=yes)", dir, err, parent, os.Geteuid())
	}
	return "", fmt.Errorf("create cgroup %s: %w", dir, err)
}

// sweepStale removes what earlier runs of the same jail left in parent: a
// supervisor killed by SIGKILL (kill -9, the OOM killer) cannot remove
// its cgroup, and outside a service manager nothing else does, so every
// such run would leave one more fsviews-NAME-PID behind. Only a cgroup
// whose PID is gone is touched, and rmdir removes only an empty one: a
// cgroup of a running supervisor, or one still holding processes, stays.
// name is this run's fsviews-NAME-PID.
func sweepStale(parent, name string) {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || !strings.HasPrefix(name, "fsviews-") {
		return
	}
	prefix := name[:i+1]
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(strings.TrimPrefix(e.Name(), prefix))
		if !e.IsDir() || !strings.HasPrefix(e.Name(), prefix) || err != nil || pid <= 0 || e.Name() == name {
			continue
		}
		if err := unix.Kill(pid, 0); errors.Is(err, unix.ESRCH) {
			unix.Rmdir(filepath.Join(parent, e.Name()))
		}
	}
}

// kv is one limit file and the value written there.
type kv struct {
	file, value string
	ifPresent   bool // swap accounting may be off
}

// limitFiles are the files controller c's limits of lim are written to on
// a hierarchy of version (1 or 2), in the order they must be written: the
// v1 memsw limit after memory.limit_in_bytes, which the kernel keeps
// below it. dir is where they go, for the checks a file's presence
// decides.
func limitFiles(dir string, version int, c string, lim Limits) ([]kv, error) {
	var files []kv
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	switch {
	case c == "pids":
		files = []kv{{"pids.max", n(lim.Pids), false}}
	case c == "memory" && version == 2:
		if lim.Memory > 0 {
			files = append(files, kv{"memory.max", n(lim.Memory), false}, kv{"memory.swap.max", n(lim.Swap), lim.Swap == 0})
		}
		if lim.MemoryHigh > 0 {
			files = append(files, kv{"memory.high", n(lim.MemoryHigh), false})
		}
	case c == "memory":
		if lim.MemoryHigh > 0 {
			// memory.soft_limit_in_bytes acts only under global memory
			// pressure: no stand-in for memory.high.
			return nil, fmt.Errorf("cgroup controller memory: memory_high needs cgroup v2 (memory.high), and this host has the memory controller on cgroup v1, which has nothing like it: remove memory_high, or boot with the unified hierarchy (systemd.unified_cgroup_hierarchy=1)")
		}
		files = []kv{{"memory.limit_in_bytes", n(lim.Memory), false}, {"memory.memsw.limit_in_bytes", n(lim.Memory + lim.Swap), lim.Swap == 0}}
	case c == "cpu" && version == 2:
		if lim.CPU > 0 {
			files = append(files, kv{"cpu.max", fmt.Sprintf("%d %d", lim.CPUQuota(), CPUPeriod), false})
		}
		if lim.CPUWeight > 0 {
			files = append(files, kv{"cpu.weight", n(lim.CPUWeight), false})
		}
	case c == "cpu":
		if lim.CPU > 0 {
			files = append(files, kv{"cpu.cfs_period_us", strconv.Itoa(CPUPeriod), false}, kv{"cpu.cfs_quota_us", n(lim.CPUQuota()), false})
		}
		if lim.CPUWeight > 0 {
			files = append(files, kv{"cpu.shares", n(lim.CPUShares()), false})
		}
	case c == "io" && version == 2:
		files = []kv{{"io.weight", "default " + n(lim.IOWeight), false}}
	case c == "io":
		if _, err := os.Stat(filepath.Join(dir, "blkio.weight")); err != nil {
			return nil, fmt.Errorf("io_weight: this host's blkio controller (cgroup v1) has no blkio.weight, which only the CFQ and BFQ I/O schedulers provide: remove io_weight, or use cgroup v2 (io.weight)")
		}
		files = []kv{{"blkio.weight", n(lim.BlkioWeight()), false}}
	default:
		return nil, fmt.Errorf("bug: no limit for controller %q", c)
	}
	return files, nil
}

// writeLimit writes controller c's limit into dir.
func writeLimit(dir string, version int, c string, lim Limits) error {
	files, err := limitFiles(dir, version, c, lim)
	if err != nil {
		return err
	}
	for _, f := range files {
		p := filepath.Join(dir, f.file)
		if f.ifPresent {
			if _, err := os.Stat(p); err != nil {
				continue
			}
		}
		if err := os.WriteFile(p, []byte(f.value), 0); err != nil {
			if errors.Is(err, fs.ErrNotExist) && (strings.Contains(f.file, "swap") || strings.Contains(f.file, "memsw")) {
				return fmt.Errorf("[cgroup] swap: %s is missing: this kernel keeps no swap accounting (boot with swapaccount=1, or CONFIG_MEMCG_SWAP); remove swap, or mark the table optional: %w", p, err)
			}
			return fmt.Errorf("write %s to %s: %w", f.value, p, err)
		}
	}
	return nil
}

// Lacks lists, for check, the limits of lim this host cannot apply from
// the caller's cgroup: a controller no hierarchy offers, memory_high on a
// v1 memory controller, io_weight where v1 blkio has no weight. Each error
// says why and what to do; whether the caller may create a cgroup there
// is for run to find out.
func (l Layout) Lacks(lim Limits) []error {
	var errs []error
	for _, c := range lim.Controllers() {
		if h, ok := l.v1For(v1Name(c)); ok {
			own, _ := h.Dir()
			if _, err := limitFiles(own, 1, c, lim); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if l.V2 != nil {
			if own, _ := l.V2.Dir(); available(filepath.Join(own, "cgroup.controllers"), c) {
				continue
			}
		}
		errs = append(errs, fmt.Errorf("cgroup controller %s is not available on this host: no cgroup v1 hierarchy has it and the caller's cgroup v2 does not list it; enable it in the kernel (cgroup_enable=%s), have it delegated, or mark [cgroup] optional = true", c, c))
	}
	return errs
}

// LiveLimit is one limit file of a running jail's cgroup: what the plan's
// limits put there and what it holds now.
type LiveLimit struct {
	File string // e.g. "/sys/fs/cgroup/pids/.../fsviews-web-123/pids.max"
	Want string
	Got  string // "" when it cannot be read
	Err  error
}

// Live reads, for a process (its /proc/PID/cgroup, procCgroup), the limit
// files lim asks for in the cgroups it is in, with what they should hold.
// A process that is not in a cgroup fsviews made (fsviews-NAME-PID) for a
// controller is reported in the File's Err: it was moved out.
func (l Layout) Live(procCgroup []byte, lim Limits) []LiveLimit {
	var out []LiveLimit
	for _, c := range lim.Controllers() {
		dir, version, err := l.dirOf(procCgroup, c)
		if err != nil {
			out = append(out, LiveLimit{File: c, Err: err})
			continue
		}
		if !strings.HasPrefix(filepath.Base(dir), "fsviews-") {
			out = append(out, LiveLimit{File: dir, Err: fmt.Errorf("the jail is no longer in a cgroup fsviews made for it (%s controller)", c)})
			continue
		}
		files, err := limitFiles(dir, version, c, lim)
		if err != nil {
			out = append(out, LiveLimit{File: dir, Err: err})
			continue
		}
		for _, f := range files {
			p := filepath.Join(dir, f.file)
			b, err := os.ReadFile(p)
			if err != nil && f.ifPresent {
				continue
			}
			out = append(out, LiveLimit{File: p, Want: f.value, Got: strings.TrimSpace(string(b)), Err: err})
		}
	}
	return out
}

// dirOf is the directory of the cgroup a process is in for controller c
// (from its /proc/PID/cgroup), on the v1 hierarchy that has c, else on
// the unified one.
func (l Layout) dirOf(procCgroup []byte, c string) (string, int, error) {
	h, v1 := l.v1For(v1Name(c))
	version := 1
	if !v1 {
		if l.V2 == nil {
			return "", 0, fmt.Errorf("no cgroup hierarchy has the %s controller", c)
		}
		h, version = *l.V2, 2
	}
	for _, e := range parseProcCgroup(procCgroup) {
		if (version == 2 && e.v2) || (version == 1 && slices.Contains(e.ctrls, v1Name(c))) {
			h.Own = e.path
			dir, ok := h.Dir()
			if !ok {
				return "", 0, fmt.Errorf("cgroup %s is not visible under %s", e.path, h.Mount)
			}
			return dir, version, nil
		}
	}
	return "", 0, fmt.Errorf("the process is in no cgroup of the %s controller", c)
}

// Join moves process pid, all its threads, into the group. Its children
// are born in the group.
func (g *Group) Join(pid int) error {
	for _, dir := range g.dirs {
		p := filepath.Join(dir, "cgroup.procs")
		if err := os.WriteFile(p, []byte(strconv.Itoa(pid)), 0); err != nil {
			return fmt.Errorf("move process %d into cgroup %s: %w", pid, dir, err)
		}
	}
	return nil
}

// Remove deletes the group's directories. The jail's processes must be
// gone; a cgroup still busy for a moment while the last exits is retried
// for about a second.
func (g *Group) Remove() error {
	var errs []error
	for i := len(g.dirs) - 1; i >= 0; i-- {
		var err error
		for try := 0; try < 50; try++ {
			if err = unix.Rmdir(g.dirs[i]); err == nil || errors.Is(err, unix.ENOENT) {
				err = nil
				break
			}
			if !errors.Is(err, unix.EBUSY) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("remove cgroup %s: %w", g.dirs[i], err))
		}
	}
	g.dirs = nil
	return errors.Join(errs...)
}

// Events counts what the limits refused: OOM kills and refused forks.
type Events struct {
	OOMKills     int64 // processes the OOM killer killed for the memory limit
	ForksRefused int64 // fork/clone calls refused by the pids limit
}

// Events reads the group's counters; an unreadable one counts 0.
func (g *Group) Events() Events {
	var e Events
	if p, ok := g.by["memory"]; ok {
		f := "memory.events"
		if p.version == 1 {
			f = "memory.oom_control"
		}
		e.OOMKills = counter(filepath.Join(p.dir, f), "oom_kill")
	}
	if p, ok := g.by["pids"]; ok {
		e.ForksRefused = counter(filepath.Join(p.dir, "pids.events"), "max")
	}
	return e
}

// counter reads "key N" from a flat-keyed cgroup file.
func counter(file, key string) int64 {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == key {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}
