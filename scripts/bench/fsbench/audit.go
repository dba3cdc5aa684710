package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/audit"
)

// makeTree writes files regular files, 100 to a directory, of random
// sizes averaging total/files bytes and random content, and returns the
// bytes written.
func makeTree(dir string, files int, total int64) (int64, error) {
	avg := int(total / int64(files))
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 2*avg+1)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	var written int64
	for i := 0; i < files; i++ {
		sub := filepath.Join(dir, fmt.Sprintf("d%02d", i/10000), fmt.Sprintf("d%03d", (i/100)%100))
		if i%100 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return 0, err
			}
		}
		n := rng.IntN(2*avg + 1)
		off := rng.IntN(len(buf) - n + 1) // different content per file
		if err := os.WriteFile(filepath.Join(sub, "f"+strconv.Itoa(i)), buf[off:off+n], 0o644); err != nil {
			return 0, err
		}
		written += int64(n)
	}
	return written, nil
}

// auditRun is one timed audit operation, in its own process so that the
// suite times it like the anchor: checkpoint walks the tree (hashing on
// every core) and saves the manifest; diff walks it again, loads the saved
// manifest and compares.
func auditRun(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("usage: fsbench audit-run checkpoint|diff DIR STORE")
	}
	root, err := audit.Walk(context.Background(), "/state", args[1], audit.WalkOptions{})
	if err != nil {
		return err
	}
	m := audit.Manifest{Roots: []audit.Root{root}}
	store := audit.Store{Dir: args[2]}
	switch args[0] {
	case "checkpoint":
		return store.Save("bench", "cp", m)
	case "diff":
		old, err := store.Load("bench", "cp")
		if err != nil {
			return err
		}
		if ch := audit.Diff(old, m); len(ch) != 0 {
			return fmt.Errorf("diff of an unchanged tree found %d changes", len(ch))
		}
		return nil
	}
	return fmt.Errorf("unknown audit-run mode %q", args[0])
}

// caseAudit is case f: checkpoint and diff of a large tree beside
// find | xargs -P$(nproc) sha256sum over the same tree, warm page cache.
func caseAudit(w io.Writer, c config) error {
	files, total := 100000, int64(1<<30)
	if c.quick {
		files, total = 10000, 100<<20
	}
	dir := filepath.Join(c.tmp, "audit-tree")
	store := filepath.Join(c.tmp, "audit-store")
	progress("f: writing a %d-file, %d MiB tree", files, total>>20)
	written, err := makeTree(dir, files, total)
	if err != nil {
		return fmt.Errorf("make audit tree: %w", err)
	}
	defer os.RemoveAll(dir)
	// Flush it now, so writeback does not run during a measurement.
	unix.Sync()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	progress("f: measuring")
	cp := newSeries("fsviews audit: checkpoint (walk + hash + save)", self, "audit-run", "checkpoint", dir, store)
	// check() runs the checkpoint once, which the diff needs.
	cp.check()
	df := newSeries("fsviews audit: diff (walk + hash + load + compare)", self, "audit-run", "diff", dir, store)
	anchor := newSeries("find -type f -print0 \\| xargs -0 -P$(nproc) sha256sum", "sh", "-c",
		`find "$1" -type f -print0 | xargs -0 -P"$(nproc)" sha256sum >/dev/null`, "sh", dir)
	interleave([]*series{cp, df, anchor}, 1, max(1, c.rounds(3)))
	fmt.Fprintf(w, "\n## f. Audit: checkpoint and diff throughput\n\n")
	fmt.Fprintf(w, "A tree of %d files, %.0f MiB, page cache warm, %d CPUs; median of %d interleaved rounds. Target: checkpoint and diff no slower than the anchor.\n\n", files, float64(written)/(1<<20), runtime.NumCPU(), len(anchor.walls))
	fmt.Fprintf(w, "| operation | time | MiB/s | files/s | / anchor |\n|---|---|---|---|---|\n")
	for _, s := range []*series{cp, df, anchor} {
		if !s.ok() {
			fmt.Fprintf(w, "| %s | %s | | | |\n", s.name, s.skip)
			continue
		}
		sec := s.median().Seconds()
		fmt.Fprintf(w, "| %s | %.2f s | %.0f | %.0f | %s |\n", s.name, sec, float64(written)/(1<<20)/sec, float64(files)/sec, ratio(s, anchor))
	}
	for _, s := range []*series{cp, df} {
		target := strings.SplitN(s.name, " (", 2)[0] + " of the tree no slower than the anchor"
		if !s.ok() || !anchor.ok() {
			c.targets.skip(target, firstSkip(s, anchor))
			continue
		}
		q := float64(s.median()) / float64(anchor.median())
		c.targets.add(target, fmt.Sprintf("%.2f× (%.2f s vs %.2f s)", q, s.median().Seconds(), anchor.median().Seconds()), q <= 1)
	}
	return nil
}
