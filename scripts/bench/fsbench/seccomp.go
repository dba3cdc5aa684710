package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/fsviews/fsviews/seccomp"
)

// rulePool are syscalls the loader's timing loop never makes, on which the
// N-rule filters put their rules. None is an int-typed argument fsviews
// compares on the low word only (seccomp's int32Args), so fsviews and
// libseccomp compare the same 64 bits and the two filters mean the same.
func rulePool() []string {
	return []string{
		"mbind", "set_mempolicy", "get_mempolicy", "migrate_pages", "move_pages", "keyctl", "add_key",
		"request_key", "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "mount", "umount2",
		"swapon", "swapoff", "reboot", "sethostname", "setdomainname", "init_module", "delete_module",
		"finit_module", "kexec_load", "acct", "quotactl", "syslog", "bpf", "perf_event_open",
		"userfaultfd", "mknod", "mknodat", "chroot", "pivot_root", "unshare", "setpriority",
		"getpriority", "sched_setaffinity", "sched_getaffinity", "madvise", "mlock", "munlock", "mremap",
		"msync", "flock", "truncate", "ftruncate", "chmod", "fchmod", "chown", "fchown", "lchown",
		"setxattr", "getxattr", "listxattr", "removexattr", "inotify_add_watch", "fanotify_init",
		"timer_create", "memfd_create", "pidfd_open",
	}
}

// benchRule fails Syscall with EPERM when argument Index equals Value.
type benchRule struct {
	Syscall string
	Index   int
	Value   uint64
}

// nRules makes n rules: a tenth on getpgid (the loader's rule path: getpgid(0)
// is compared with each and passes), the rest spread over rulePool.
func nRules(n int) []benchRule {
	var rs []benchRule
	pool := rulePool()
	for i := 0; i < n; i++ {
		r := benchRule{Index: i % 3, Value: 0xfee10000 + uint64(i)}
		if i%10 == 0 {
			r.Syscall, r.Index = "getpgid", 0
		} else {
			r.Syscall = pool[i%len(pool)]
		}
		rs = append(rs, r)
	}
	return rs
}

// benchSpec is the spec named by the suite: a preset, or "rulesN".
func benchSpec(name string) (seccomp.Spec, []benchRule, error) {
	if n, ok := strings.CutPrefix(name, "rules"); ok {
		count, err := strconv.Atoi(n)
		if err != nil {
			return seccomp.Spec{}, nil, fmt.Errorf("spec %q: %w", name, err)
		}
		rs := nRules(count)
		spec := seccomp.Spec{Preset: "none"}
		for _, r := range rs {
			spec.Rules = append(spec.Rules, seccomp.Rule{Syscall: r.Syscall, Action: seccomp.ActionErrno,
				Args: []seccomp.Cond{{Index: r.Index, Op: seccomp.OpEq, Value: r.Value}}})
		}
		return spec, rs, nil
	}
	return seccomp.Spec{Preset: name}, nil, nil
}

// seccompEmit compiles a spec with package seccomp and writes the program
// (struct sock_filter, native byte order) and, for rule specs, the same
// rules for the libseccomp loader.
func seccompEmit(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("usage: fsbench seccomp-emit SPEC OUT.bpf OUT.rules")
	}
	spec, rules, err := benchSpec(args[0])
	if err != nil {
		return err
	}
	prog, err := spec.Compile(seccomp.NativeArch())
	if err != nil {
		return fmt.Errorf("compile %s: %w", args[0], err)
	}
	var buf []byte
	for _, in := range prog.Instructions() {
		buf = binary.NativeEndian.AppendUint16(buf, in.Op)
		buf = append(buf, in.Jt, in.Jf)
		buf = binary.NativeEndian.AppendUint32(buf, in.K)
	}
	if err := os.WriteFile(args[1], buf, 0o644); err != nil {
		return err
	}
	var txt strings.Builder
	for _, r := range rules {
		fmt.Fprintf(&txt, "%s %d %#x\n", r.Syscall, r.Index, r.Value)
	}
	return os.WriteFile(args[2], []byte(txt.String()), 0o644)
}

// loaderResult is one line of seccomp_loader's output.
type loaderResult map[string]string

func runLoader(loader string, env []string, args ...string) (loaderResult, error) {
	cmd := exec.Command(loader, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v: %s", loader, strings.Join(args, " "), err, firstLine(string(out)))
	}
	r := loaderResult{}
	for _, f := range strings.Fields(string(out)) {
		if k, v, ok := strings.Cut(f, "="); ok {
			r[k] = v
		}
	}
	return r, nil
}

// caseSeccomp is case d: the cost a filter adds to a syscall, for fsviews'
// presets and for 60- and 300-rule filters beside libseccomp's compilation
// of the same rules, all timed by the same C loop.
func caseSeccomp(w io.Writer, c config) error {
	fmt.Fprintf(w, "\n## d. Seccomp: cost per syscall\n\n")
	if c.loader == "" {
		fmt.Fprintf(w, "not run: the libseccomp loader was not built (libseccomp-dev or gcc missing).\n")
		return nil
	}
	progress("d: seccomp")
	self, err := os.Executable()
	if err != nil {
		return err
	}
	type filterRun struct {
		name, mode, file string
		env              []string
		runs             []loaderResult
	}
	configs := []*filterRun{{name: "no filter", mode: "none", file: "-"}}
	for _, spec := range []string{"strict", "stdio", "daemon", "default", "rules60", "rules300"} {
		bpf := filepath.Join(c.tmp, spec+".bpf")
		rules := filepath.Join(c.tmp, spec+".rules")
		if out, err := exec.Command(self, "seccomp-emit", spec, bpf, rules).CombinedOutput(); err != nil {
			return fmt.Errorf("seccomp-emit %s: %v: %s", spec, err, out)
		}
		fs := &filterRun{name: "fsviews " + spec, mode: "bpf", file: bpf}
		if _, rs, _ := benchSpec(spec); rs != nil {
			fs.env = []string{fmt.Sprintf("PROBE=%#x", rs[0].Value)}
			configs = append(configs, fs, &filterRun{name: "libseccomp " + spec, mode: "libseccomp", file: rules})
		} else {
			configs = append(configs, fs)
		}
	}
	iters, rounds, passes := "50000", "11", c.rounds(7)
	if c.quick {
		iters = "20000"
	}
	for p := 0; p < passes; p++ {
		// Alternate the order of the passes so neither compiler always goes first.
		for i := range configs {
			cf := configs[i]
			if p%2 == 1 {
				cf = configs[len(configs)-1-i]
			}
			r, err := runLoader(c.loader, cf.env, cf.mode, cf.file, iters, rounds)
			if err != nil {
				return err
			}
			cf.runs = append(cf.runs, r)
		}
	}
	// med is the median over runs of a figure; over is the median over
	// runs of (figure - the same run's figure before the filter).
	med := func(cf *filterRun, key string, minus bool) float64 {
		var xs []int64
		for _, r := range cf.runs {
			f, _ := strconv.ParseFloat(r[key], 64)
			if minus {
				b, _ := strconv.ParseFloat(r["base_"+key], 64)
				f -= b
			}
			xs = append(xs, int64(f*10))
		}
		return float64(quantile(xs, 0.5)) / 10
	}
	fmt.Fprintf(w, "ns per syscall: median over %d loader runs (interleaved, alternating order), each the median of %s rounds of %s calls. Overhead = with the filter − without it: the loader forks a child that installs the filter, and the unfiltered parent and the child take turns round by round, so load from other processes hits both alike (the no-filter row shows the noise of that difference). getppid is decided by the syscall number alone, which the kernel's action cache can answer without running the filter (the allow path); getpgid(0) is checked against every getpgid rule and passes (the rule path); ioctl(-1, FIONREAD) meets the presets' ioctl rules. Target: fsviews' overhead no larger than libseccomp's for the same rules.\n\n", passes, rounds, iters)
	fmt.Fprintf(w, "| filter | BPF insns | getppid | getpgid(0) | ioctl | overhead getppid | overhead getpgid | overhead ioctl | rules enforced |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, cf := range configs {
		row := fmt.Sprintf("| %s | %s |", cf.name, cf.runs[0]["insns"])
		for _, k := range []string{"getppid", "getpgid", "ioctl"} {
			mark := ""
			if r := cf.runs[0][k+"_res"]; r != "ok" {
				mark = " (" + r + ")"
			}
			row += fmt.Sprintf(" %.1f%s |", med(cf, k+"_ns", false), mark)
		}
		for _, k := range []string{"getppid_ns", "getpgid_ns", "ioctl_ns"} {
			row += fmt.Sprintf(" %+.1f |", med(cf, k, true))
		}
		probe := cf.runs[0]["probe"]
		if probe == "-" {
			probe = "—"
		}
		fmt.Fprintln(w, row+" "+probe+" |")
	}
	for _, n := range []string{"rules60", "rules300"} {
		var fs, ls *filterRun
		for _, cf := range configs {
			switch cf.name {
			case "fsviews " + n:
				fs = cf
			case "libseccomp " + n:
				ls = cf
			}
		}
		a, b := med(fs, "getpgid_ns", true), med(ls, "getpgid_ns", true)
		c.targets.add("seccomp "+strings.TrimPrefix(n, "rules")+"-rule filter: rule-path overhead ≤ libseccomp's",
			fmt.Sprintf("%+.1f ns vs %+.1f ns per getpgid", a, b), a <= b)
	}
	fmt.Fprintf(w, "\nA call the filter refuses is marked with its errno: it returns before the syscall's own work, so it can cost less than with no filter. Any filter, even one the kernel's action cache answers, sends every syscall through the kernel's slower entry path for traced tasks; the overhead of an allowed getppid is that floor. \"rules enforced\": errno of getpgid(value of its first rule) under the filter; EPERM for both compilers shows the same rules are in force. libseccomp is used with its defaults (seccomp_init(SCMP_ACT_ALLOW), one seccomp_rule_add per rule).\n")
	return nil
}
