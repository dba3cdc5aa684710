package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// htResult is what a hosttable-child reports for one tool.
type htResult struct {
	Name   string        `json:"name"`
	Median time.Duration `json:"median"`
	Skip   string        `json:"skip,omitempty"`
	Rounds int           `json:"rounds"`
}

// caseHostTable is case c: the base view's start-up when the mount
// namespace it starts from holds K extra mounts. Each K runs in a fresh
// private namespace (unshare -m --propagation private), never on the host.
func caseHostTable(w io.Writer, c config, t *tools) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	ourNS, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		return err
	}
	counts := []int{0, 1000, 10000}
	res := map[int][]htResult{}
	for _, k := range counts {
		progress("c: host mount table + %d mounts", k)
		cmd := exec.Command("unshare", "-m", "--propagation", "private", self, "hosttable-child",
			"-k", strconv.Itoa(k), "-not-ns", ourNS, "-rounds", strconv.Itoa(c.rounds(40)),
			"-fsviews", t.fsviews, "-plain", t.plain, "-plaindir", t.plainDir, "-tmp", t.tmp)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("host table %d: %w", k, err)
		}
		var r []htResult
		if err := json.Unmarshal(out, &r); err != nil {
			return fmt.Errorf("host table %d: %w: %s", k, err, out)
		}
		res[k] = r
	}
	fmt.Fprintf(w, "\n## c. Size of the mount table fsviews starts from\n\n")
	fmt.Fprintf(w, "The base view, started inside a private mount namespace holding K extra bind mounts (made there, never on the host). unshare copies every mount and pivot_root + the lazy unmount of the old root drop them all: kernel work every tool pays. Growth = t(K) − t(0); fsviews should grow no faster than plain.\n\n")
	fmt.Fprintf(w, "| extra mounts K | rounds | fsviews | bwrap | plain (C) | growth: fsviews | bwrap | plain | fsviews growth / plain growth |\n|---|---|---|---|---|---|---|---|---|\n")
	get := func(k int, name string) htResult {
		for _, r := range res[k] {
			if r.Name == name {
				return r
			}
		}
		return htResult{Skip: "missing"}
	}
	show := func(r htResult) string {
		if r.Skip != "" {
			return r.Skip
		}
		return ms(r.Median)
	}
	growth := func(k int, name string) (time.Duration, bool) {
		a, b := get(k, name), get(0, name)
		return a.Median - b.Median, a.Skip == "" && b.Skip == ""
	}
	for _, k := range counts {
		row := fmt.Sprintf("| %d | %d | %s | %s | %s |", k, get(k, "fsviews").Rounds, show(get(k, "fsviews")), show(get(k, "bwrap")), show(get(k, "plain")))
		for _, name := range []string{"fsviews", "bwrap", "plain"} {
			if g, ok := growth(k, name); ok && k > 0 {
				row += " " + ms(g) + " |"
			} else {
				row += " — |"
			}
		}
		gf, ok1 := growth(k, "fsviews")
		gp, ok2 := growth(k, "plain")
		if k > 0 && ok1 && ok2 && gp > 0 {
			row += fmt.Sprintf(" %.2f |", float64(gf)/float64(gp))
		} else {
			row += " — |"
		}
		fmt.Fprintln(w, row)
	}
	const target = "start-up grows with the host's mount table no faster than plain's (growth ratio at K = 10000 ≤ 1.2)"
	gf, ok1 := growth(10000, "fsviews")
	gp, ok2 := growth(10000, "plain")
	if ok1 && ok2 && gp > 0 {
		q := float64(gf) / float64(gp)
		c.targets.add(target, fmt.Sprintf("%.2f (%s vs %s)", q, ms(gf), ms(gp)), q <= 1.2)
	} else {
		c.targets.skip(target, "not measured")
	}
	return nil
}

// hostTableChild runs inside the private namespace: it adds k bind mounts
// below a tmpfs of its own, times the three tools and prints JSON.
func hostTableChild(args []string) error {
	fl := flag.NewFlagSet("hosttable-child", flag.ContinueOnError)
	k := fl.Int("k", 0, "extra mounts")
	rounds := fl.Int("rounds", 40, "rounds")
	t := &tools{}
	fl.StringVar(&t.fsviews, "fsviews", "", "")
	fl.StringVar(&t.plain, "plain", "", "")
	fl.StringVar(&t.plainDir, "plaindir", "", "")
	fl.StringVar(&t.tmp, "tmp", "", "")
	notNS := fl.String("not-ns", "", "the suite's mount namespace, which this must not run in")
	if err := fl.Parse(args); err != nil {
		return err
	}
	// Refuse to run in the host's namespace: the mounts below must die
	// with a private one.
	self, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil || *notNS == "" || self == *notNS {
		return fmt.Errorf("hosttable-child must run in a private mount namespace (unshare -m --propagation private)")
	}
	dir := filepath.Join(t.tmp, "hosttable")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "mode=0755"); err != nil {
		return fmt.Errorf("mount tmpfs on %s: %w", dir, err)
	}
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		return err
	}
	for i := 0; i < *k; i++ {
		m := filepath.Join(dir, strconv.Itoa(i))
		if err := os.Mkdir(m, 0o755); err != nil {
			return err
		}
		if err := unix.Mount(src, m, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind %s on %s: %w", src, m, err)
		}
	}
	if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		progress("c: namespace holds %d mounts", strings.Count(string(b), "\n"))
	}
	fs, bw, pl, err := t.trio(view{}, "/bin/true")
	if err != nil {
		return err
	}
	interleave([]*series{fs, bw, pl}, 3, *rounds)
	var out []htResult
	for _, s := range []*series{fs, bw, pl} {
		out = append(out, htResult{Name: s.name, Median: s.median(), Skip: s.skip, Rounds: len(s.walls)})
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}
