package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// caseStartup is case a, the headline: /bin/true in the base view, with
// and without a PID namespace, beside the floors (bare /bin/true, a static
// Go program that does nothing, fsviews --help).
func caseStartup(w io.Writer, c config, t *tools) error {
	progress("a: start-up of /bin/true")
	fs, bw, pl, err := t.trio(view{}, "/bin/true")
	if err != nil {
		return err
	}
	fsP, bwP, plP, err := t.trio(view{pid: true}, "/bin/true")
	if err != nil {
		return err
	}
	floor := []*series{newSeries("/bin/true", "/bin/true"), newSeries("fsviews --help", t.fsviews, "--help")}
	if c.hello != "" {
		floor = append(floor, newSeries("Go, empty main", c.hello), newSeries("Go, exec /bin/true", c.hello, "exec"))
	}
	interleave(append([]*series{fs, bw, pl, fsP, bwP, plP}, floor...), 10, c.rounds(300))

	fmt.Fprintf(w, "\n## a. Start-up: /bin/true in the view\n\n")
	fmt.Fprintf(w, "%d interleaved rounds. Targets: fsviews ≤ 0.80× bwrap; and (#15) at most the Go lower bound printed below + 15%% of bwrap's time, with a PID namespace one Go empty main more (see Targets).\n\n", len(fs.walls))
	fmt.Fprintf(w, "| view | fsviews | bwrap | plain (C) | fsviews / bwrap | fsviews / plain |\n|---|---|---|---|---|---|\n")
	for _, r := range []struct {
		v          view
		fs, bw, pl *series
	}{{view{}, fs, bw, pl}, {view{pid: true}, fsP, bwP, plP}} {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.v, cell(r.fs), cell(r.bw), cell(r.pl), ratio(r.fs, r.bw), ratio(r.fs, r.pl))
	}
	// The least a Go launcher that builds this view can take: its runtime
	// and exec, plus the kernel's work for the view, which is what plain
	// spends beyond the /bin/true it execs. It holds whatever the process
	// model: a launcher with a PID namespace starts at least one Go runtime
	// and execs the daemon once.
	bound := func(plain *series) (time.Duration, bool) {
		if len(floor) < 4 || !floor[3].ok() || !floor[0].ok() || !plain.ok() {
			return 0, false
		}
		return floor[3].median() + plain.median() - floor[0].median(), true
	}
	for _, r := range []struct {
		name       string
		fs, bw, pl *series
	}{{"start-up ≤ 0.80× bwrap, base view", fs, bw, pl}, {"start-up ≤ 0.80× bwrap, with a PID namespace", fsP, bwP, plP}} {
		if !r.fs.ok() || !r.bw.ok() {
			c.targets.skip(r.name, firstSkip(r.fs, r.bw))
			continue
		}
		q := float64(r.fs.median()) / float64(r.bw.median())
		result := fmt.Sprintf("%.2f× (%s vs %s)", q, ms(r.fs.median()), ms(r.bw.median()))
		if b, ok := bound(r.pl); ok {
			result += fmt.Sprintf("; lower bound for any Go launcher %.2f×", float64(b)/float64(r.bw.median()))
		}
		c.targets.add(r.name, result, q <= 0.80)
	}
	// Issue #15's targets, relative to the floor: at most the lower
	// bound plus 15% of bwrap's time, and with a PID namespace one more
	// Go runtime start (an empty main) on top.
	for _, r := range []struct {
		name       string
		fs, bw, pl *series
		runtimes   int
	}{{"start-up ≤ Go lower bound + 15% of bwrap, base view (#15)", fs, bw, pl, 0},
		{"start-up ≤ Go lower bound + one Go empty main + 15% of bwrap, with a PID namespace (#15)", fsP, bwP, plP, 1}} {
		b, ok := bound(r.pl)
		if !ok || !r.fs.ok() || !r.bw.ok() || (r.runtimes > 0 && !floor[2].ok()) {
			c.targets.skip(r.name, "not measured: a series or a floor is missing")
			continue
		}
		limit := b + time.Duration(0.15*float64(r.bw.median()))
		how := fmt.Sprintf("bound %s + 15%% of %s", ms(b), ms(r.bw.median()))
		if r.runtimes > 0 {
			limit += floor[2].median()
			how = fmt.Sprintf("bound %s + empty main %s + 15%% of %s", ms(b), ms(floor[2].median()), ms(r.bw.median()))
		}
		c.targets.add(r.name, fmt.Sprintf("%s vs %s (%s); %s over", ms(r.fs.median()), ms(limit), how, ms(r.fs.median()-limit)), r.fs.median() <= limit)
	}
	fmt.Fprintf(w, "\nSpread (25th–75th percentile) and CPU time (median, user + system, all the command's processes):\n\n| command | p25–p75 | CPU |\n|---|---|---|\n")
	for _, s := range append([]*series{fs, bw, pl, fsP, bwP, plP}, floor...) {
		name := s.name
		if s == fsP || s == bwP || s == plP {
			name += " (pid ns)"
		}
		if !s.ok() {
			fmt.Fprintf(w, "| %s | %s | |\n", name, s.skip)
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", name, spread(s), ms(quantile(s.cpu, 0.5)))
	}
	fmt.Fprintf(w, "\nStart-up floors, same rounds: ")
	for i, s := range floor {
		if i > 0 {
			fmt.Fprintf(w, "; ")
		}
		fmt.Fprintf(w, "%s %s", s.name, cell(s))
	}
	fmt.Fprintf(w, ". \"Go, empty main\" is a static Go program that does nothing: the Go runtime's own start and exit. \"Go, exec /bin/true\" locks its thread and execs /bin/true, as fsviews does last: no Go launcher can be faster.\n")
	if b, ok := bound(pl); ok && bw.ok() {
		fmt.Fprintf(w, "\nLower bound for a Go launcher of this view = (Go, exec /bin/true) + (plain − /bin/true) = %s = %.2f× bwrap; fsviews spends %s above it (CLI, profile loading, planning, the fd-based mount calls, privilege dropping).\n",
			ms(b), float64(b)/float64(bw.median()), ms(fs.median()-b))
	}
	if b, ok := bound(plP); ok && bwP.ok() {
		fmt.Fprintf(w, "\nWith a PID namespace, the same bound = (Go, exec /bin/true) + (plain with a PID namespace − /bin/true) = %s = %.2f× bwrap with a PID namespace: one Go runtime start and one exec, which no process model can go below; fsviews spends %s above it (one more Go runtime start, the job handed over, signal set-up in both processes; see docs/performance.md).\n",
			ms(b), float64(b)/float64(bwP.median()), ms(fsP.median()-b))
	}
	hyperfineCheck(w, c, []*series{fs, bw, pl})
	return nil
}

// hyperfineCheck times the base view again with hyperfine, as a cross-check
// of the suite's own runner by a public tool. hyperfine runs one command's
// runs back to back rather than interleaved, so it is more exposed to load
// bursts from other processes.
func hyperfineCheck(w io.Writer, c config, all []*series) {
	if _, err := exec.LookPath("hyperfine"); err != nil {
		fmt.Fprintf(w, "\nhyperfine not found: cross-check skipped.\n")
		return
	}
	md := c.tmp + "/hyperfine.md"
	args := []string{"-N", "--style", "none", "-w", "10", "-r", strconv.Itoa(c.rounds(200)), "--export-markdown", md}
	for _, s := range all {
		if s.skip == "" {
			args = append(args, strings.Join(s.argv, " "))
		}
	}
	if out, err := exec.Command("hyperfine", args...).CombinedOutput(); err != nil {
		fmt.Fprintf(w, "\nhyperfine cross-check failed: %v: %s\n", err, firstLine(string(out)))
		return
	}
	b, err := os.ReadFile(md)
	if err != nil {
		fmt.Fprintf(w, "\nhyperfine cross-check: %v\n", err)
		return
	}
	fmt.Fprintf(w, "\nCross-check by hyperfine (base view; mean ± σ, its runs back to back, not interleaved; paths shortened):\n\n%s", strings.ReplaceAll(string(b), c.tmp+"/", ""))
}

// caseBinds is case b: N extra read-only binds, beside the base view in
// the same rounds, so that the cost per mount is (t(N) - t(0)) / N.
func caseBinds(w io.Writer, c config, t *tools) error {
	type group struct {
		n          int
		base, with [3]*series
	}
	var groups []group
	src := t.tmp + "/bind-src"
	for _, g := range []struct{ n, rounds int }{{10, 100}, {100, 50}, {1000, 10}} {
		progress("b: %d read-only binds", g.n)
		b0, b1, b2, err := t.trio(view{}, "/bin/true")
		if err != nil {
			return err
		}
		n0, n1, n2, err := t.trio(view{binds: g.n, bindSrc: src}, "/bin/true")
		if err != nil {
			return err
		}
		interleave([]*series{b0, b1, b2, n0, n1, n2}, 2, c.rounds(g.rounds))
		groups = append(groups, group{g.n, [3]*series{b0, b1, b2}, [3]*series{n0, n1, n2}})
	}
	fmt.Fprintf(w, "\n## b. N extra read-only binds\n\n")
	fmt.Fprintf(w, "Each N is its own interleaved run together with the base view (N = 0); per mount = (t(N) − t(0)) / N. Targets at N = 1000: fsviews ≤ 0.05× bwrap (1/20); a per-mount cost that stays flat as N grows (linear total); and (#15) a per-mount cost at most twice plain's.\n\n")
	fmt.Fprintf(w, "| N | rounds | fsviews | bwrap | plain (C) | fsviews / bwrap | fsviews / plain | per mount: fsviews | bwrap | plain |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, g := range groups {
		per := func(i int) string {
			if !g.with[i].ok() || !g.base[i].ok() {
				return "—"
			}
			d := g.with[i].median() - g.base[i].median()
			return fmt.Sprintf("%.1f µs", float64(d)/float64(g.n)/1e3)
		}
		fmt.Fprintf(w, "| %d | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", g.n, len(g.with[0].walls),
			cell(g.with[0]), cell(g.with[1]), cell(g.with[2]), ratio(g.with[0], g.with[1]), ratio(g.with[0], g.with[2]),
			per(0), per(1), per(2))
	}
	last, mid := groups[len(groups)-1], groups[len(groups)-2]
	if fs, bw := last.with[0], last.with[1]; fs.ok() && bw.ok() {
		q := float64(fs.median()) / float64(bw.median())
		c.targets.add("N = 1000 binds ≤ 1/20 (0.05×) of bwrap", fmt.Sprintf("%.3f× (%s vs %s)", q, ms(fs.median()), ms(bw.median())), q <= 0.05)
	} else {
		c.targets.skip("N = 1000 binds ≤ 1/20 (0.05×) of bwrap", firstSkip(fs, bw))
	}
	if last.with[0].ok() && mid.with[0].ok() && last.base[0].ok() && mid.base[0].ok() {
		pm := func(g group) float64 {
			return float64(g.with[0].median()-g.base[0].median()) / float64(g.n) / 1e3
		}
		q := pm(last) / pm(mid)
		c.targets.add("mount cost linear in N (fsviews per mount at N = 1000 / at N = 100 ≤ 1.5)",
			fmt.Sprintf("%.1f µs / %.1f µs = %.2f", pm(last), pm(mid), q), q <= 1.5)
	}
	const perMount = "N = 1000 binds: fsviews' cost per mount ≤ 2× the C recipe's (#15)"
	if g := last; g.with[0].ok() && g.base[0].ok() && g.with[2].ok() && g.base[2].ok() {
		f := float64(g.with[0].median()-g.base[0].median()) / float64(g.n) / 1e3
		p := float64(g.with[2].median()-g.base[2].median()) / float64(g.n) / 1e3
		c.targets.add(perMount, fmt.Sprintf("%.1f µs vs %.1f µs = %.1f×", f, p, f/p), f <= 2*p)
	} else {
		c.targets.skip(perMount, firstSkip(last.with[0], last.with[2], last.base[0], last.base[2]))
	}
	return nil
}

// caseMemory is case e: peak RSS, as /usr/bin/time reports it (wait4's
// ru_maxrss of a process it forked). fsviews executes the daemon in place,
// so the process's peak before execve is fsviews' own, and /bin/true's
// after it is far smaller. The runner cannot take ru_maxrss itself: Go
// starts children with vfork semantics, so the child's peak starts at the
// runner's own RSS.
func caseMemory(w io.Writer, c config, t *tools) error {
	progress("e: memory")
	fmt.Fprintf(w, "\n## e. Memory\n\n")
	timeBin, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		fmt.Fprintf(w, "/usr/bin/time not found: peak RSS not measured.\n\n%s\n", supervisorRSS(c, t))
		return nil
	}
	fs, bw, pl, err := t.trio(view{}, "/bin/true")
	if err != nil {
		return err
	}
	all := []*series{fs, bw, pl, newSeries("/bin/true", "/bin/true")}
	runs := c.rounds(20)
	fmt.Fprintf(w, "Peak RSS of one start-up of /bin/true in the base view, by `/usr/bin/time -f %%M` (median of %d runs): for fsviews that is its own peak before it execs the daemon in place; for bwrap and plain (--pid off) the peak of their processes.\n\n", runs)
	fmt.Fprintf(w, "| command | peak RSS |\n|---|---|\n")
	for _, s := range all {
		if s.skip != "" {
			fmt.Fprintf(w, "| %s | %s |\n", s.name, s.skip)
			continue
		}
		var kib []int64
		for i := 0; i < runs; i++ {
			out, err := exec.Command(timeBin, append([]string{"-f", "%M"}, s.argv...)...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("/usr/bin/time %s: %v: %s", s.name, err, out)
			}
			lines := strings.Fields(string(out))
			n, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
			if err != nil {
				return fmt.Errorf("/usr/bin/time %s: %q: %w", s.name, out, err)
			}
			kib = append(kib, n)
		}
		fmt.Fprintf(w, "| %s | %.1f MiB |\n", s.name, float64(quantile(kib, 0.5))/1024)
	}
	fmt.Fprintf(w, "\n%s\n", supervisorRSS(c, t))
	return nil
}

// supervisorRSS measures the process fsviews leaves outside a PID
// namespace while the daemon runs, when this build has one.
func supervisorRSS(c config, t *tools) string {
	const target = "supervisor RSS ≤ 4 MiB while the daemon runs"
	if !t.pidOK {
		c.targets.skip(target, pidUnavailable+"; without a PID namespace fsviews leaves no process behind")
		return fmt.Sprintf("PID-namespace supervisor RSS: %s (%s). Without it fsviews leaves no process behind: the daemon is the process fsviews was.", pidUnavailable, t.pidWhy)
	}
	p, err := t.fsviewsProfile(view{pid: true}, "/bin/sleep", "3")
	if err != nil {
		return "PID-namespace supervisor RSS: " + err.Error()
	}
	rss, kib, err := watchRSS(t.fsviews, p, 1500*time.Millisecond)
	if err != nil {
		c.targets.skip(target, "not measured: "+err.Error())
		return "PID-namespace supervisor RSS: not measured: " + err.Error()
	}
	c.targets.add(target, fmt.Sprintf("%.1f MiB", float64(kib)/1024), kib <= 4096)
	return "PID-namespace supervisor, while the daemon (sleep 3) runs: " + rss + ". Target ≤ 4 MiB."
}

// firstSkip says why the first of some series did not run.
func firstSkip(all ...*series) string {
	for _, s := range all {
		if s.skip != "" {
			return s.name + ": " + s.skip
		}
	}
	return "no samples"
}
