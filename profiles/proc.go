package profiles

// Proc is the [proc] table: a procfs at /proc. fsviews always makes the
// kernel-wide writable parts read-only and hides the files that leak host
// secrets (views.ProcReadOnly, views.ProcMasked); these keys choose more.
type Proc struct {
	Pos Pos
	// Subset "pid" mounts procfs with subset=pid: only process
	// directories, none of the kernel's files. "" shows them all.
	Subset string
	// HidePID is the procfs hidepid option ("" leaves the kernel's
	// default, "off"): "noaccess", "invisible" or "ptraceable".
	HidePID string
	// NetSysctls "rw" leaves /proc/sys/net writable, for a daemon that
	// sets sysctls of its own network namespace. Only with net = "none"
	// or "loopback", where they are the jail's own.
	NetSysctls    BindMode
	NetSysctlsPos Pos
}

type rawProc struct {
	Subset     *string `toml:"subset"`
	HidePID    any     `toml:"hidepid"`
	NetSysctls *string `toml:"net_sysctls"`
}

func (b *builder) proc(l layer, r rawProc) {
	pos, _ := at(l, "proc")
	if b.p.Proc == nil {
		b.p.Proc = &Proc{NetSysctls: ReadOnly}
	}
	p := b.p.Proc
	p.Pos = pos
	if r.Subset != nil {
		kpos, key := at(l, "proc.subset")
		switch *r.Subset {
		case "", "pid":
			p.Subset = *r.Subset
		default:
			b.errorf(kpos, key, "bad subset %q: use \"pid\" (process directories only) or \"\" (the whole procfs)", *r.Subset)
		}
	}
	if r.HidePID != nil {
		kpos, key := at(l, "proc.hidepid")
		if name, ok := hidePIDName(r.HidePID); ok {
			p.HidePID = name
		} else {
			b.errorf(kpos, key, "bad hidepid %v: use \"off\" (0), \"noaccess\" (1), \"invisible\" (2) or \"ptraceable\" (4), as in proc(5)", r.HidePID)
		}
	}
	if r.NetSysctls != nil {
		kpos, key := at(l, "proc.net_sysctls")
		switch BindMode(*r.NetSysctls) {
		case ReadOnly, ReadWrite:
			p.NetSysctls, p.NetSysctlsPos = BindMode(*r.NetSysctls), kpos
		default:
			b.errorf(kpos, key, "bad value %q: use \"ro\" (the default) or \"rw\" (the daemon may set net.* sysctls of its own network namespace)", *r.NetSysctls)
		}
	}
}

// procChecks runs once all layers are merged: whether net sysctls are the
// jail's own depends on [namespaces] net, and /dev's links on [proc],
// which any layer may set.
func (b *builder) procChecks() {
	if b.p.Dev != nil && b.p.Proc == nil {
		b.warnf(b.p.Dev.Pos, "[dev]", "/dev/stdin, /dev/stdout, /dev/stderr and /dev/fd link into /proc/self/fd, and the view has no /proc: a daemon that opens them (a log file set to /dev/stderr) gets ENOENT; add a [proc] table with subset = \"pid\" (the jail's processes only, none of the kernel's files)")
	}
	p := b.p.Proc
	if p == nil || p.NetSysctls != ReadWrite {
		return
	}
	if b.p.Namespaces.Net == NetHost {
		b.errorf(p.NetSysctlsPos, "[proc] net_sysctls", "net_sysctls = \"rw\" with the host's network would let the daemon change the host's net.* sysctls: set [namespaces] net = \"none\" or \"loopback\", or remove the line")
		return
	}
	if p.Subset == "pid" {
		b.errorf(p.NetSysctlsPos, "[proc] net_sysctls", "net_sysctls = \"rw\" with subset = \"pid\": that procfs has no /proc/sys; remove one of the two")
		return
	}
	b.warnf(p.NetSysctlsPos, "[proc] net_sysctls", "/proc/sys/net stays writable: the daemon can change every net.* sysctl of its %s network namespace (not the host's)", b.p.Namespaces.Net)
}

// Options are the procfs mount options the table asks for, as fsconfig
// key=value pairs.
func (p *Proc) Options() []string {
	var opts []string
	if p.Subset != "" {
		opts = append(opts, "subset="+p.Subset)
	}
	if p.HidePID != "" && p.HidePID != "off" {
		opts = append(opts, "hidepid="+p.HidePID)
	}
	return opts
}

// hidePIDName accepts hidepid as proc(5) spells it, a name or a number.
func hidePIDName(v any) (string, bool) {
	names := map[int64]string{0: "off", 1: "noaccess", 2: "invisible", 4: "ptraceable"}
	switch v := v.(type) {
	case int64:
		name, ok := names[v]
		return name, ok
	case string:
		for _, name := range names {
			if v == name {
				return name, true
			}
		}
	}
	return "", false
}
