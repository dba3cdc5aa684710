// Package caps names Linux capabilities. It is pure: the numbers are the
// kernel ABI (capability.h), so profiles can be checked on any platform.
package caps

import (
	"fmt"
	"strings"

	"github.com/fsviews/fsviews/internal/suggest"
)

// names is indexed by capability number, as in linux/capability.h.
func names() []string {
	return []string{
		"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
		"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
		"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
		"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
		"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
		"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
		"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
		"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
		"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
		"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
		"CAP_CHECKPOINT_RESTORE",
	}
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
