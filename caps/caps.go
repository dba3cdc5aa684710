// Package caps names Linux capabilities. It is pure: the numbers are the
// kernel ABI (capability.h), as golang.org/x/sys/unix spells them.
package caps

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/internal/suggest"
)

// names is indexed by capability number. The numbers come from
// golang.org/x/sys/unix (linux/capability.h), never typed here; the names
// are how profiles and capabilities(7) spell them.
func names() []string {
	known := []struct {
		n    int
		name string
	}{
		{unix.CAP_CHOWN, "CAP_CHOWN"},
		{unix.CAP_DAC_OVERRIDE, "CAP_DAC_OVERRIDE"},
		{unix.CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH"},
		{unix.CAP_FOWNER, "CAP_FOWNER"},
		{unix.CAP_FSETID, "CAP_FSETID"},
		{unix.CAP_KILL, "CAP_KILL"},
		{unix.CAP_SETGID, "CAP_SETGID"},
		{unix.CAP_SETUID, "CAP_SETUID"},
		{unix.CAP_SETPCAP, "CAP_SETPCAP"},
		{unix.CAP_LINUX_IMMUTABLE, "CAP_LINUX_IMMUTABLE"},
		{unix.CAP_NET_BIND_SERVICE, "CAP_NET_BIND_SERVICE"},
		{unix.CAP_NET_BROADCAST, "CAP_NET_BROADCAST"},
		{unix.CAP_NET_ADMIN, "CAP_NET_ADMIN"},
		{unix.CAP_NET_RAW, "CAP_NET_RAW"},
		{unix.CAP_IPC_LOCK, "CAP_IPC_LOCK"},
		{unix.CAP_IPC_OWNER, "CAP_IPC_OWNER"},
		{unix.CAP_SYS_MODULE, "CAP_SYS_MODULE"},
		{unix.CAP_SYS_RAWIO, "CAP_SYS_RAWIO"},
		{unix.CAP_SYS_CHROOT, "CAP_SYS_CHROOT"},
		{unix.CAP_SYS_PTRACE, "CAP_SYS_PTRACE"},
		{unix.CAP_SYS_PACCT, "CAP_SYS_PACCT"},
		{unix.CAP_SYS_ADMIN, "CAP_SYS_ADMIN"},
		{unix.CAP_SYS_BOOT, "CAP_SYS_BOOT"},
		{unix.CAP_SYS_NICE, "CAP_SYS_NICE"},
		{unix.CAP_SYS_RESOURCE, "CAP_SYS_RESOURCE"},
		{unix.CAP_SYS_TIME, "CAP_SYS_TIME"},
		{unix.CAP_SYS_TTY_CONFIG, "CAP_SYS_TTY_CONFIG"},
		{unix.CAP_MKNOD, "CAP_MKNOD"},
		{unix.CAP_LEASE, "CAP_LEASE"},
		{unix.CAP_AUDIT_WRITE, "CAP_AUDIT_WRITE"},
		{unix.CAP_AUDIT_CONTROL, "CAP_AUDIT_CONTROL"},
		{unix.CAP_SETFCAP, "CAP_SETFCAP"},
		{unix.CAP_MAC_OVERRIDE, "CAP_MAC_OVERRIDE"},
		{unix.CAP_MAC_ADMIN, "CAP_MAC_ADMIN"},
		{unix.CAP_SYSLOG, "CAP_SYSLOG"},
		{unix.CAP_WAKE_ALARM, "CAP_WAKE_ALARM"},
		{unix.CAP_BLOCK_SUSPEND, "CAP_BLOCK_SUSPEND"},
		{unix.CAP_AUDIT_READ, "CAP_AUDIT_READ"},
		{unix.CAP_PERFMON, "CAP_PERFMON"},
		{unix.CAP_BPF, "CAP_BPF"},
		{unix.CAP_CHECKPOINT_RESTORE, "CAP_CHECKPOINT_RESTORE"},
	}
	all := make([]string, unix.CAP_LAST_CAP+1)
	for _, k := range known {
		all[k.n] = k.name
	}
	return all
}

// Parse turns a name as an admin writes it ("net_bind_service",
// "CAP_NET_BIND_SERVICE", "Net_Bind_Service") into its number and
// canonical name.
func Parse(name string) (int, string, error) {
	canon := strings.ToUpper(strings.TrimSpace(name))
	if !strings.HasPrefix(canon, "CAP_") {
		canon = "CAP_" + canon
	}
	for n, known := range names() {
		if known == canon {
			return n, known, nil
		}
	}
	return -1, "", fmt.Errorf("unknown capability %q%s", name, suggestion(canon))
}

// Name returns the canonical name of capability n.
func Name(n int) string {
	all := names()
	if n >= 0 && n < len(all) {
		return all[n]
	}
	return fmt.Sprintf("CAP_%d", n)
}

// Last is the highest capability number this table knows.
func Last() int { return len(names()) - 1 }

func suggestion(canon string) string {
	if best := suggest.Closest(canon, names()); best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return "; see capabilities(7) for the names"
}
