package cgroups

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Limits are what a jail's cgroup enforces; a zero field is not set.
type Limits struct {
	// Pids caps the tasks (processes and threads) of the jail: pids.max.
	// Unlike RLIMIT_NPROC it holds for root and counts per jail, not per user.
	Pids int64 `json:"pids,omitempty"`
	// Memory caps the jail's memory in bytes: memory.max (v2) or
	// memory.limit_in_bytes (v1). Swap beyond it is refused as well
	// (memory.swap.max = 0, memory.memsw.limit_in_bytes = Memory), so a
	// jail over its limit is OOM-killed instead of pushing the host into swap.
	Memory int64 `json:"memory,omitempty"`
	// CPU is the jail's share of CPU time in thousandths of one CPU: 200
	// is 20% of one CPU, 1500 one and a half CPUs (cpu.max, or
	// cpu.cfs_quota_us over cpu.cfs_period_us on v1).
	CPU int64 `json:"cpu,omitempty"`
	// MemoryHigh throttles the jail and reclaims its memory above this
	// many bytes, without killing anything: memory.high (v2 only).
	MemoryHigh int64 `json:"memory_high,omitempty"`
	// Swap is the swap the jail may use beyond Memory, in bytes
	// (memory.swap.max, or memory.memsw.limit_in_bytes = Memory + Swap
	// on v1); 0, the default, refuses swap.
	Swap int64 `json:"swap,omitempty"`
	// CPUWeight and IOWeight are the jail's share of CPU and of block I/O
	// against its siblings when they compete, 1 to 10000 (100 is the
	// kernel's default): cpu.weight and io.weight, or cpu.shares and
	// blkio.weight scaled on v1.
	CPUWeight int64 `json:"cpu_weight,omitempty"`
	IOWeight  int64 `json:"io_weight,omitempty"`
}

// Set reports whether any limit is set.
func (l Limits) Set() bool { return len(l.Controllers()) > 0 }

// Controllers names the controllers the limits need, in a fixed order;
// "io" is the v2 name of v1's blkio.
func (l Limits) Controllers() []string {
	var c []string
	if l.Pids > 0 {
		c = append(c, "pids")
	}
	if l.Memory > 0 || l.MemoryHigh > 0 {
		c = append(c, "memory")
	}
	if l.CPU > 0 || l.CPUWeight > 0 {
		c = append(c, "cpu")
	}
	if l.IOWeight > 0 {
		c = append(c, "io")
	}
	return c
}

// Bounds of the weights, as cgroup v2 and systemd take them.
const (
	MinWeight = 1
	MaxWeight = 10000
)

// CPUShares is CPUWeight as cgroup v1's cpu.shares (1024 per 100, at
// least 2), the conversion systemd makes.
func (l Limits) CPUShares() int64 { return max(2, l.CPUWeight*1024/100) }

// BlkioWeight is IOWeight as cgroup v1's blkio.weight (10 to 1000).
func (l Limits) BlkioWeight() int64 { return min(1000, max(10, l.IOWeight/10)) }

// CPUPeriod is the period of the CPU quota, in microseconds: the kernel's
// default (100ms), as systemd's CPUQuota= uses.
const CPUPeriod = 100000

// CPUQuota is the quota per CPUPeriod, in microseconds.
func (l Limits) CPUQuota() int64 { return l.CPU * CPUPeriod / 1000 }

// Bounds of what ParseCPU accepts: the kernel refuses a quota below 1ms
// (1% of the period), and no host has more than 4096 CPUs.
const (
	MinCPU = 10          // 1% of one CPU
	MaxCPU = 4096 * 1000 // 4096 CPUs
)

// ParseCPU reads a CPU share as a profile writes it: "50%" (of one CPU),
// "1.5" or 1.5 or 2 (CPUs). It returns thousandths of one CPU.
func ParseCPU(v any) (int64, error) {
	const hint = "write a share of one CPU such as \"50%\", or a number of CPUs such as \"1.5\""
	var cpus float64
	switch v := v.(type) {
	case int64:
		cpus = float64(v)
	case float64:
		cpus = v
	case string:
		s := strings.TrimSpace(v)
		pct := strings.HasSuffix(s, "%")
		s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || s == "" || strings.ContainsAny(s, "xXpP_eEiInN+") {
			return 0, fmt.Errorf("bad cpu share %q: %s", v, hint)
		}
		if pct {
			f /= 100
		}
		cpus = f
	default:
		return 0, fmt.Errorf("bad cpu share %v: %s", v, hint)
	}
	if math.IsNaN(cpus) || cpus <= 0 {
		return 0, fmt.Errorf("cpu share %v must be positive: %s; leave the key out for no CPU limit", v, hint)
	}
	if cpus*1000 > MaxCPU {
		return 0, fmt.Errorf("cpu share %v is more than %d CPUs: leave the key out for no CPU limit", v, MaxCPU/1000)
	}
	milli := int64(math.Round(cpus * 1000))
	if milli < MinCPU {
		return 0, fmt.Errorf("cpu share %v is below 1%% of one CPU, the least the kernel enforces (a 1ms quota per 100ms): use at least \"1%%\"", v)
	}
	return milli, nil
}

// FormatCPU prints thousandths of a CPU the way ParseCPU reads them: "20%"
// below one CPU, else "1.5 CPUs".
func FormatCPU(milli int64) string {
	if milli < 1000 {
		return strconv.FormatFloat(float64(milli)/10, 'f', -1, 64) + "%"
	}
	if milli == 1000 {
		return "1 CPU"
	}
	return strconv.FormatFloat(float64(milli)/1000, 'f', -1, 64) + " CPUs"
}
