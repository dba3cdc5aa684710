// Command fsbench is the benchmark suite behind `make bench`: it runs
// fsviews and the anchors (bubblewrap, and "plain", the bare unshare +
// mount + pivot_root recipe in C) side by side and prints markdown tables
// of medians and ratios. scripts/bench/run.sh installs what it needs,
// builds the C helpers and calls it; run that, not this.
//
// Every case interleaves the commands it compares (one run of each per
// round, in a new random order each round), so load from other processes
// hits all of them alike. Benchmarks report; they never fail on timing.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

func main() {
	if len(os.Args) > 1 {
		// Internal modes, run by the suite itself.
		switch os.Args[1] {
		case "hosttable-child":
			exitOn(hostTableChild(os.Args[2:]))
			return
		case "seccomp-emit":
			exitOn(seccompEmit(os.Args[2:]))
			return
		case "audit-run":
			exitOn(auditRun(os.Args[2:]))
			return
		case "compare":
			exitOn(compare(os.Stdout, os.Args[2:]))
			return
		}
	}
	var cfg config
	flag.StringVar(&cfg.fsviews, "fsviews", "bin/fsviews", "fsviews binary under test")
	flag.StringVar(&cfg.plain, "plain", "", "the plain recipe (scripts/bench/plain.c), built")
	flag.StringVar(&cfg.loader, "loader", "", "the seccomp loader (scripts/bench/seccomp_loader.c), built")
	flag.StringVar(&cfg.hello, "hello", "", "a static Go hello-world, for the runtime's own start-up")
	flag.StringVar(&cfg.tmp, "tmp", "", "scratch directory (removed by the caller)")
	flag.StringVar(&cfg.cases, "cases", "a,b,c,d,e,f,x", "cases to run: a start-up, b binds, c host mount table, d seccomp, e memory, f audit, x size/syscalls")
	flag.BoolVar(&cfg.quick, "quick", false, "fewer rounds and a smaller audit tree: a smoke test, not figures to publish")
	flag.Parse()
	cfg.targets = &targets{}
	exitOn(cfg.run(os.Stdout))
}

func exitOn(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "fsbench:", err)
		os.Exit(1)
	}
}

type config struct {
	fsviews, plain, loader, hello, tmp, cases string
	quick                                     bool
	targets                                   *targets
}

func (c config) want(name string) bool {
	for _, x := range strings.Split(c.cases, ",") {
		if x == name {
			return true
		}
	}
	return false
}

// rounds scales a round count down for -quick.
func (c config) rounds(n int) int {
	if c.quick {
		return max(3, n/10)
	}
	return n
}

func progress(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "fsbench: "+format+"\n", a...)
}

func (c config) run(w io.Writer) error {
	if c.tmp == "" || c.plain == "" {
		return fmt.Errorf("-tmp and -plain are required: run scripts/bench/run.sh (make bench)")
	}
	t := &tools{fsviews: c.fsviews, plain: c.plain, tmp: c.tmp, plainDir: c.tmp + "/plain-root"}
	for _, d := range []string{t.plainDir, c.tmp + "/bind-src"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	t.detectPID()
	start := time.Now()
	header(w, c, t)
	if c.want("a") {
		if err := caseStartup(w, c, t); err != nil {
			return err
		}
	}
	if c.want("b") {
		if err := caseBinds(w, c, t); err != nil {
			return err
		}
	}
	if c.want("c") {
		if err := caseHostTable(w, c, t); err != nil {
			return err
		}
	}
	if c.want("d") {
		if err := caseSeccomp(w, c); err != nil {
			return err
		}
	}
	if c.want("e") {
		if err := caseMemory(w, c, t); err != nil {
			return err
		}
	}
	if c.want("f") {
		if err := caseAudit(w, c); err != nil {
			return err
		}
	}
	if c.want("x") {
		if err := caseSizeSyscalls(w, c, t); err != nil {
			return err
		}
	}
	c.targets.print(w)
	fmt.Fprintf(w, "\nWhole run: %s.\n", time.Since(start).Round(time.Second))
	return nil
}

// detectPID finds out by trying whether this fsviews build gives the jail
// a PID namespace: a profile asking for one must be accepted, and a
// command run with it must see a PID namespace other than ours. (A build
// that accepts the key but ignores it counts as not having it.)
func (t *tools) detectPID() {
	p, err := t.fsviewsProfile(view{pid: true}, "/bin/true")
	if err != nil {
		t.pidWhy = err.Error()
		return
	}
	if out, err := exec.Command(t.fsviews, "check", p).CombinedOutput(); err != nil {
		t.pidWhy = "fsviews check: " + firstLine(string(out))
		return
	}
	host, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		t.pidWhy = err.Error()
		return
	}
	probe := `test "$(readlink /proc/self/ns/pid)" != "$1"`
	out, err := exec.Command(t.fsviews, "run", p, "--", "/bin/sh", "-c", probe, "sh", host).CombinedOutput()
	switch {
	case err == nil:
		t.pidOK = true
	case len(out) > 0:
		t.pidWhy = "fsviews run: " + firstLine(string(out))
	default:
		t.pidWhy = "pid = true is accepted, but the command still runs in the host's PID namespace"
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.ReplaceAll(s, "|", "/")
}

func header(w io.Writer, c config, t *tools) {
	kernel, _ := exec.Command("uname", "-r").Output()
	bw, _ := exec.Command("bwrap", "--version").Output()
	cpu := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimLeft(v, " \t:"))
				break
			}
		}
	}
	load := "unknown"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil && len(strings.Fields(string(b))) >= 3 {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	fmt.Fprintf(w, "# fsviews benchmark\n\n")
	fmt.Fprintf(w, "%s; Linux %s; %d CPUs (%s); %s; %s; load average at start %s.\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), strings.TrimSpace(string(kernel)), runtime.NumCPU(), cpu,
		runtime.Version(), strings.TrimSpace(string(bw)), load)
	if c.quick {
		fmt.Fprintf(w, "\n**-quick run: few rounds, small audit tree; a smoke test, not figures to publish.**\n")
	}
	fmt.Fprintf(w, "\nTimes are wall-clock medians from fork to reaping, over interleaved rounds (each round runs every command of a table once, in random order). `plain` is scripts/bench/plain.c: unshare + mount + pivot_root + exec in C, nothing else. Ratios below 1 mean fsviews is faster.\n")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

func ratio(a, b *series) string {
	if !a.ok() || !b.ok() {
		return "—"
	}
	return fmt.Sprintf("%.2f", float64(a.median())/float64(b.median()))
}

// cell is a series' median, or why it has none.
func cell(s *series) string {
	if s.ok() {
		return ms(s.median())
	}
	return s.skip
}

// spread is the interquartile range, to show how noisy a median is.
func spread(s *series) string {
	if !s.ok() {
		return "—"
	}
	return fmt.Sprintf("%s–%s", ms(quantile(s.walls, 0.25)), ms(quantile(s.walls, 0.75)))
}

// compare times command lines (words split on blanks) against each other
// in interleaved rounds: fsbench compare ROUNDS '[VAR=VALUE...] CMD ARGS'...
// It is how the before/after figures of optimisation commits are taken.
func compare(w io.Writer, args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: fsbench compare ROUNDS 'CMD ARGS'...")
	}
	rounds, err := strconv.Atoi(args[0])
	if err != nil {
		return fmt.Errorf("rounds: %w", err)
	}
	var all []*series
	for _, a := range args[1:] {
		// Leading NAME=VALUE words set environment variables.
		words := strings.Fields(a)
		var env []string
		for len(words) > 1 && strings.Contains(words[0], "=") {
			env, words = append(env, words[0]), words[1:]
		}
		s := newSeries(a, words...)
		s.env = env
		all = append(all, s)
	}
	interleave(all, 10, rounds)
	for _, s := range all {
		if !s.ok() {
			fmt.Fprintf(w, "%-60s %s\n", s.name, s.skip)
			continue
		}
		fmt.Fprintf(w, "%-60s median %s  p25-p75 %s  cpu %s\n", s.name, ms(s.median()), spread(s), ms(quantile(cpu(s), 0.5)))
	}
	return nil
}
