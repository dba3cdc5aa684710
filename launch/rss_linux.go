package launch

import (
	"bufio"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// shrinkAfter is how long after the jail's start the supervisor and
// fsviews' init shrink. Not at once: shrinking takes a few milliseconds of
// CPU (a GC, a walk of /proc/self/maps, page faults back in), which, run
// while the view is built and the daemon starts, delays the daemon on a
// busy machine. Half a second is after most daemons' start and long
// before anyone measures an idle supervisor.
const shrinkAfter = 500 * time.Millisecond

// shrink makes an idle supervisor small. Most of a Go process's resident
// memory is the pages of its own binary it has touched (package inits,
// the profile parser, the mount code), plus a heap the plan grew. The
// heap goes back to the kernel with FreeOSMemory. The binary's read-only
// mappings (code and read-only data, mapped privately from the file and
// never written) are dropped from the page tables with MADV_DONTNEED: the
// kernel faults back in, from the page cache, the few pages the idle
// loop still runs. Writable mappings are never touched: DONTNEED would
// zero them.
func shrink() {
	debug.SetGCPercent(20)
	debug.FreeOSMemory()
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// start-end perms offset dev inode path
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[5] != exe || (fields[1] != "r-xp" && fields[1] != "r--p") {
			continue
		}
		start, end, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		lo, err1 := strconv.ParseUint(start, 16, 64)
		hi, err2 := strconv.ParseUint(end, 16, 64)
		if err1 != nil || err2 != nil || hi <= lo {
			continue
		}
		unix.Syscall(unix.SYS_MADVISE, uintptr(lo), uintptr(hi-lo), unix.MADV_DONTNEED)
	}
}
