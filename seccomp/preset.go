package seccomp

import "sort"

// preset is a named starting point. An allowlist preset lists what runs and
// refuses the rest; a denylist preset lists what is refused and runs the rest.
// Names absent from the target ABI's table are skipped (open on aarch64).
type preset struct {
	name      string
	allowlist bool
	names     []string     // allowed (allowlist) or refused (denylist)
	enosys    []string     // fail with ENOSYS so libc falls back to a syscall the filter can check
	rules     []presetRule // argument rules, applied on top of names
}

// presetRule allows (allow = true) or refuses (with the spec's default
// action) a syscall when all args hold.
type presetRule struct {
	syscall string
	allow   bool
	args    []Cond
}

// presetNames are the values of Spec.Preset; "" means "none".
var presetNames = []string{"strict", "stdio", "daemon", "default", "none"}

func lookupPreset(name string) (preset, bool) {
	switch name {
	case "strict":
		return presetStrict(), true
	case "stdio":
		return presetStdio(), true
	case "daemon":
		return presetDaemon(), true
	case "default":
		return presetDefault(), true
	case "none", "":
		return preset{name: "none"}, true
	}
	return preset{}, false
}

// group concatenates name groups; presets keep one group per reason.
func group(groups ...[]string) []string {
	var all []string
	for _, g := range groups {
		all = append(all, g...)
	}
	sort.Strings(all)
	return all
}

// cloneNamespaceFlags are CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
// (0x7e020000, the mask docker uses). clone(2) with any of them makes a new
// namespace, which is what unshare(2) does and is refused for the same reason.
const cloneNamespaceFlags = 0x7e020000

// cloneWithoutNamespaces holds when clone's flags (arg0 on x86_64 and
// aarch64) create no namespace: fork and pthread_create, not unshare by another name.
var cloneWithoutNamespaces = []Cond{{Index: 0, Op: OpMaskedEq, Mask: cloneNamespaceFlags, Value: 0}}

// ownLimitsOnly allows (allowlist) prlimit64 on the calling process only,
// or refuses (denylist) it on any other: pid 0 is the kernel's "self" and
// what glibc's getrlimit/setrlimit and Go pass. Any other pid let an
// in-place decoder set RLIMIT_CPU to 1 s on a host process of its uid and
// kill it. Its own pid written out is refused too: a static filter cannot
// know it. The other PID-taking calls the daemon and default presets allow
// (kill, tgkill, pidfd_send_signal, setpriority, ioprio_set,
// sched_setaffinity) stay open, because daemons signal and tune their own
// workers by PID; what keeps them off the host's processes is the PID
// namespace (the default) and the daemon's uid.
func ownLimitsOnly(allowlist bool) presetRule {
	if allowlist {
		return presetRule{syscall: "prlimit64", allow: true, args: []Cond{{Index: 0, Op: OpEq, Value: 0}}}
	}
	return presetRule{syscall: "prlimit64", args: []Cond{{Index: 0, Op: OpNe, Value: 0}}}
}

// noSetID refuses to give a file the set-user-ID or set-group-ID bit, by
// chmod or at creation. A jail's rw binds and state dirs are host
// directories, mounted nosuid in the view but often not on the host: a
// root daemon could otherwise leave a set-user-ID root shell there for
// any host user to run, and owning the file is all chmod asks, no
// capability. (openat2 hides its mode in a struct: the presets that allow
// opens refuse it with ENOSYS, and libc falls back to openat.) A profile
// that really needs the bits allows the syscall by name, which drops these
// rules for it.
func noSetID() []presetRule {
	modeArg := []struct {
		syscall string
		index   int
	}{
		{"chmod", 1}, {"fchmod", 1}, {"fchmodat", 2}, {"fchmodat2", 2},
		{"creat", 1}, {"open", 2}, {"openat", 3}, {"mknod", 1}, {"mknodat", 2},
	}
	var rules []presetRule
	for _, m := range modeArg {
		for _, bit := range []uint64{0o4000, 0o2000} {
			rules = append(rules, presetRule{syscall: m.syscall, args: []Cond{{Index: m.index, Op: OpMaskedEq, Mask: bit, Value: bit}}})
		}
	}
	return rules
}
