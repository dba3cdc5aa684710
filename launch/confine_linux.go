package launch

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/rlimits"
	"github.com/fsviews/fsviews/seccomp"
	"github.com/fsviews/fsviews/views"
)

// The confinement layers beyond the view run in three steps:
//
//   - prepareConfinement, before anything else changes: asks the kernel
//     what it can enforce (fail closed: a layer it cannot is an error
//     unless the profile marks it optional, and then nothing was built yet)
//     and compiles the seccomp filter;
//   - confinement.setLimits, on the locked thread once the view is built
//     (a low nofile or fsize must not break fsviews' own work) and before
//     privileges are dropped (raising a hard limit needs CAP_SYS_RESOURCE);
//   - confinement.enforce, as the very last thing before execve:
//     no_new_privs, Landlock, then the seccomp filter.
//
// Both Landlock and seccomp apply to the locked thread that execs, and to
// no other: execve keeps only the calling thread, and with it its Landlock
// domain and its filter, so the daemon runs under both while the Go
// runtime's other threads, which die at execve, never need them. The
// seccomp filter is installed without SECCOMP_FILTER_FLAG_TSYNC, and
// landlock_restrict_self is called without LANDLOCK_RESTRICT_SELF_TSYNC
// (landlock_linux.go). Restricting every thread would add nothing, and the
// way go-landlock does it on kernels before Landlock ABI 8 (libcap's psx)
// needs /proc/PID/task when fsviews is built with cgo: it failed in every
// view without [proc].

// minLandlockABI is the oldest Landlock ABI that enforces what a profile
// means by read-only: ABI 3 (Linux 6.2) adds truncate, without which a
// read-only file could still be emptied.
const minLandlockABI = 3

// probes ask the kernel what it supports; tests replace them.
type probes struct {
	seccomp     func() error        // nil when seccomp filters work
	landlockABI func() (int, error) // the Landlock ABI version, 0 when absent
}

func kernelProbes() probes {
	return probes{
		seccomp:     seccomp.Available,
		landlockABI: landlockABI,
	}
}

// layers says which confinement layers run.
type layers struct {
	seccomp, landlock bool
	landlockABI       int      // the kernel's, when landlock
	skipped           []string // what run tells the user it left out
}

// decide applies the fail-closed rule to what the kernel supports: a
// layer it cannot enforce is an error naming the layer and the kernel
// feature, unless the profile marks the layer optional.
func decide(plan *views.Plan, pr probes) (layers, error) {
	var l layers
	if s := plan.Seccomp; s != nil {
		if err := pr.seccomp(); err == nil {
			l.seccomp = true
		} else if s.Optional {
			l.skipped = append(l.skipped, fmt.Sprintf("[seccomp] skipped (optional = true): %v", err))
		} else {
			return l, fmt.Errorf("[seccomp] (%s): this kernel cannot enforce it: %w; run on a kernel with CONFIG_SECCOMP_FILTER, or set optional = true under [seccomp] to run without the filter", s.Origin, err)
		}
	}
	if ll := plan.Landlock; ll != nil {
		abi, err := pr.landlockABI()
		switch {
		case err == nil && abi >= minLandlockABI:
			l.landlock, l.landlockABI = true, abi
		case ll.Optional:
			why := fmt.Sprintf("the kernel's Landlock ABI is %d, fsviews needs %d (Linux 6.2 with landlock in the lsm= list)", abi, minLandlockABI)
			if err != nil {
				why = err.Error()
			}
			l.skipped = append(l.skipped, "[landlock] skipped (optional = true): "+why)
		case err != nil:
			return l, fmt.Errorf("[landlock]: cannot ask the kernel for its Landlock ABI: %w; set optional = true under [landlock] to run without it", err)
		case abi == 0:
			return l, fmt.Errorf("[landlock]: this kernel does not enforce Landlock (CONFIG_SECURITY_LANDLOCK, and landlock in the lsm= boot parameter): enable it, or set optional = true under [landlock] to run without it")
		default:
			return l, fmt.Errorf("[landlock]: this kernel's Landlock ABI is %d, fsviews needs %d (Linux 6.2: truncate rights): upgrade the kernel, or set optional = true under [landlock] to run without it", abi, minLandlockABI)
		}
	}
	return l, nil
}

// ProbeKernel asks this kernel which confinement layers it can enforce,
// for views.Options.Kernel: the plan then leaves out an optional layer
// it cannot, and check reports a required one. The reasons are decide's.
func ProbeKernel() views.Kernel {
	var k views.Kernel
	pr := kernelProbes()
	why := func(plan *views.Plan) error {
		l, _ := decide(plan, pr) // optional: never an error, a reason
		if len(l.skipped) == 0 {
			return nil
		}
		_, reason, _ := strings.Cut(l.skipped[0], "(optional = true): ")
		return errors.New(reason)
	}
	k.Seccomp = why(&views.Plan{Seccomp: &views.SeccompPlan{Optional: true}})
	k.Landlock = why(&views.Plan{Landlock: &views.LandlockPlan{Optional: true}})
	return k
}

// confinement is what prepareConfinement decided.
type confinement struct {
	limits   []rlimits.Limit
	landlock []views.LandlockRule // nil: no Landlock
	abi      int                  // the kernel's Landlock ABI, with landlock
	filter   *seccomp.Program     // nil: no seccomp filter
}

// prepareConfinement runs before anything changes; see the top of this file.
func prepareConfinement(plan *views.Plan, stderr io.Writer) (*confinement, error) {
	l, err := decide(plan, kernelProbes())
	if err != nil {
		return nil, failed("%w", err)
	}
	for _, s := range l.skipped {
		fmt.Fprintf(stderr, "fsviews: %s: %s\n", plan.Name, s)
	}
	c := &confinement{}
	if l.seccomp {
		prog, err := plan.Seccomp.Installable()
		if err != nil {
			return nil, failed("[seccomp] (%s): %w", plan.Seccomp.Origin, err)
		}
		c.filter = &prog
		if plan.Seccomp.Log {
			fmt.Fprintf(stderr, "fsviews: %s: --seccomp-log: the filter refuses nothing and logs what it would refuse: %s\n", plan.Name, logHint())
		}
	}
	if l.landlock {
		c.landlock = append([]views.LandlockRule{}, plan.Landlock.Rules...)
		c.abi = l.landlockABI
	}
	for _, lim := range plan.Limits {
		c.limits = append(c.limits, lim.Limit)
	}
	return c, nil
}

// shippedConfinement is a confinement as it crosses into the jail, in
// the job: what the supervisor decided and compiled before anything
// changed, so that PID 1 neither asks the kernel again (it could only get
// the same answers) nor compiles the plan's filter a second time on the
// daemon's path. Limits and Landlock rules are the plan's.
type shippedConfinement struct {
	// Filter is the compiled seccomp program (seccomp.Program's
	// MarshalBinary); empty: no filter.
	Filter []byte
	// LandlockABI is the kernel's Landlock ABI; 0: no Landlock.
	LandlockABI int
}

// shipConfinement fills j.Confined from j.conf, before the job is sent
// into the jail.
func (j *job) shipConfinement() error {
	c := j.conf
	if c == nil {
		return nil
	}
	s := &shippedConfinement{}
	if c.filter != nil {
		b, err := c.filter.MarshalBinary()
		if err != nil {
			return err
		}
		s.Filter = b
	}
	if c.landlock != nil {
		s.LandlockABI = c.abi
	}
	j.Confined = s
	return nil
}

// confinement is the job's confinement: the one worked out on the host,
// or the one it shipped into the jail, or, for a job that carries none,
// prepareConfinement's.
func (j *job) confinement() (*confinement, error) {
	if j.conf != nil {
		return j.conf, nil
	}
	s := j.Confined
	if s == nil {
		return prepareConfinement(j.Plan, io.Discard)
	}
	plan := j.Plan
	c := &confinement{}
	if len(s.Filter) > 0 {
		if plan.Seccomp == nil {
			return nil, failed("bug: the job carries a seccomp filter, but its plan has none")
		}
		var prog seccomp.Program
		if err := prog.UnmarshalBinary(s.Filter); err != nil {
			return nil, failed("[seccomp] (%s): %w", plan.Seccomp.Origin, err)
		}
		c.filter = &prog
	}
	if s.LandlockABI > 0 {
		if plan.Landlock == nil {
			return nil, failed("bug: the job carries a Landlock ABI, but its plan has no [landlock]")
		}
		c.landlock = append([]views.LandlockRule{}, plan.Landlock.Rules...)
		c.abi = s.LandlockABI
	}
	// Fail closed even against a bug here: a layer the plan requires is
	// never left out on this side.
	if (plan.Seccomp != nil && !plan.Seccomp.Optional && c.filter == nil) || (plan.Landlock != nil && !plan.Landlock.Optional && c.landlock == nil) {
		return nil, failed("bug: the job leaves out a confinement layer its plan requires")
	}
	for _, lim := range plan.Limits {
		c.limits = append(c.limits, lim.Limit)
	}
	j.conf = c
	return c, nil
}

// setLimits applies [limits] to the process.
func (c *confinement) setLimits() error {
	if err := rlimits.Apply(c.limits); err != nil {
		return failed("[limits]: %w", err)
	}
	return nil
}

// logHint says where SECCOMP_RET_LOG records go.
func logHint() string {
	hint := "the kernel log has them as type=1326 records (also in /var/log/audit/audit.log when auditd runs): `journalctl -k -g type=1326 | fsviews seccomp-log` names them and prints the allow line to add"
	if b, err := os.ReadFile("/proc/sys/kernel/seccomp/actions_logged"); err == nil && !strings.Contains(" "+strings.TrimSpace(string(b))+" ", " log ") {
		hint += "; but /proc/sys/kernel/seccomp/actions_logged lacks \"log\", so nothing will be logged: add it"
	}
	return hint
}

// enforce applies Landlock and the seccomp filter, in that order, as the
// last steps before execve: the filter would otherwise have to allow what
// fsviews itself still does.
func (c *confinement) enforce() error {
	if c.landlock == nil && c.filter == nil {
		return nil
	}
	// Both layers need no_new_privs on this thread: the kernel refuses
	// them without it unless the thread holds CAP_SYS_ADMIN, and they must
	// not apply to setuid programs they could fool. privs.Apply has set
	// it already (check refuses no_new_privs = false with either layer);
	// setting it again costs nothing and does not depend on that.
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return failed("prctl PR_SET_NO_NEW_PRIVS: %w", err)
	}
	if c.landlock != nil {
		if err := restrictLandlock(c.landlock, c.abi); err != nil {
			return failed("[landlock]: %w", err)
		}
	}
	if c.filter != nil {
		// From here to execve this thread must only make syscalls the
		// filter allows. No garbage collection then: it could make this
		// thread wake others (futex), which a tight allowlist refuses.
		debug.SetGCPercent(-1)
		if err := c.filter.Install(); err != nil {
			return failed("[seccomp]: %w", err)
		}
	}
	return nil
}

// unshareError names the namespace the kernel refused: a kernel built
// without one has no /proc/self/ns entry for it.
func unshareError(names []string, err error) error {
	config := map[string]string{"uts": "CONFIG_UTS_NS", "ipc": "CONFIG_IPC_NS", "net": "CONFIG_NET_NS", "cgroup": "CONFIG_CGROUPS", "mnt": "namespaces"}
	for _, n := range names {
		if _, statErr := os.Stat("/proc/self/ns/" + n); errors.Is(statErr, os.ErrNotExist) {
			return fmt.Errorf("unshare %s: %w: this kernel has no %s namespace (%s): remove it from [namespaces] or use a kernel with it", strings.Join(names, ","), err, n, config[n])
		}
	}
	return fmt.Errorf("unshare %s namespaces: %w: the kernel refused them (inside a container, or a seccomp or LSM policy forbids it?)", strings.Join(names, ","), err)
}
