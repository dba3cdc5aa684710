package views

import "github.com/fsviews/fsviews/profiles"

// ProcReadOnly are the parts of a full procfs through which a root daemon
// changes the whole host, rebound read-only (as runc and Docker do):
// sysctls (kernel.core_pattern runs a program as host root at the next
// crash), the magic SysRq trigger (reboot, crash), IRQ affinity, PCI
// config space, file system tunables (nfsd, ...) and x86 memory type
// ranges.
func ProcReadOnly() []string {
	return []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/mtrr", "/proc/sys", "/proc/sysrq-trigger"}
}

// ProcMasked are files and directories of a full procfs that leak host
// secrets or kernel internals useful to an attacker, hidden behind an
// empty file or directory: physical memory (kcore), every user's keyring
// names and quotas (keys, key-users), timer and scheduler internals that
// name host processes and kernel addresses (timer_list, sched_debug,
// latency_stats, timer_stats), interrupt counts (a keystroke timing side
// channel), and hardware trees with writable knobs (acpi, asound, scsi).
func ProcMasked() []string {
	return []string{"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/key-users",
		"/proc/keys", "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list", "/proc/timer_stats"}
}

// procOps mounts the view's procfs and, unless it shows process
// directories only, makes ProcReadOnly read-only and hides ProcMasked.
// Both lists are optional: which of these files exist depends on the
// kernel's configuration. They are mounted before pivot_root; only the
// mount syscalls, which every seccomp preset refuses, could undo them.
func procOps(p *profiles.Proc) []Op {
	origin := p.Pos.String()
	ops := []Op{{Kind: Proc, Target: "/proc", Options: p.Options(), Origin: origin}}
	if p.Subset == "pid" {
		return ops
	}
	for _, t := range ProcReadOnly() {
		ops = append(ops, Op{Kind: Rebind, Target: t, ReadOnly: true, Optional: true, Origin: origin})
	}
	if p.NetSysctls == profiles.ReadWrite {
		ops = append(ops, Op{Kind: Rebind, Target: "/proc/sys/net", Optional: true, Origin: p.NetSysctlsPos.String()})
	}
	for _, t := range ProcMasked() {
		ops = append(ops, Op{Kind: Mask, Target: t, Optional: true, Origin: origin})
	}
	return ops
}
