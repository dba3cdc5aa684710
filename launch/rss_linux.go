package launch

import (
	"bufio"
	"io"
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
// mappings are dropped from the page tables with MADV_DONTNEED, and the
// kernel faults back in, from the page cache, the few pages the idle loop
// still runs, but only a mapping no page of which was ever written: one
// whose smaps line says "Anonymous: 0 kB". DONTNEED on a private mapping
// throws away its written (copied) pages and reads the file again: a
// position-independent build relocates its read-only data at start and
// then write-protects it (RELRO), and dropping those pages crashed the
// supervisor (issue #15). Writable mappings are never touched.
func shrink() {
	debug.SetGCPercent(20)
	debug.FreeOSMemory()
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return
	}
	defer f.Close()
	for _, m := range cleanMappings(f, exe) {
		unix.Syscall(unix.SYS_MADVISE, m[0], m[1]-m[0], unix.MADV_DONTNEED)
	}
}

// cleanMappings lists, as [start, end), the read-only mappings of the file
// exe in an smaps listing that hold no written page.
func cleanMappings(smaps io.Reader, exe string) [][2]uintptr {
	var clean [][2]uintptr
	var cur [2]uintptr
	candidate := false
	sc := bufio.NewScanner(smaps)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if name, value, ok := strings.Cut(line, ":"); ok && !strings.Contains(name, " ") && !strings.Contains(name, "-") {
			// A field of the current mapping ("Anonymous:   4 kB").
			if candidate && name == "Anonymous" {
				if strings.TrimSpace(value) == "0 kB" {
					clean = append(clean, cur)
				}
				candidate = false
			}
			continue
		}
		// A mapping's header: start-end perms offset dev inode path.
		candidate = false
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
		cur, candidate = [2]uintptr{uintptr(lo), uintptr(hi)}, true
	}
	return clean
}
