package audit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// makeBenchTree writes files regular files of random content, averaging
// avgSize bytes, 100 to a directory, and returns the total size.
func makeBenchTree(b *testing.B, dir string, files, avgSize int) int64 {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 2*avgSize)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	var total int64
	for i := range files {
		sub := filepath.Join(dir, fmt.Sprintf("d%03d", i/10000), fmt.Sprintf("d%03d", (i/100)%100))
		if i%100 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				b.Fatal(err)
			}
		}
		n := rng.IntN(2 * avgSize)
		if err := os.WriteFile(filepath.Join(sub, "f"+strconv.Itoa(i)), buf[:n], 0o644); err != nil {
			b.Fatal(err)
		}
		total += int64(n)
	}
	return total
}

// BenchmarkWalk walks a generated tree (FSVIEWS_BENCH_FILES files, default
// 20000, averaging 10 KiB like the 100,000 files / 1 GiB) and, beside
// it, the anchor the issue sets: find | xargs -P$(nproc) sha256sum. Both
// run on a warm page cache. It reports; it never fails on timing.
func BenchmarkWalk(b *testing.B) {
	files := 20000
	if s := os.Getenv("FSVIEWS_BENCH_FILES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatalf("FSVIEWS_BENCH_FILES: %v", err)
		}
		files = n
	}
	dir := b.TempDir()
	total := makeBenchTree(b, dir, files, 10<<10)
	// Flush the new tree now, so writeback does not run during a
	// measurement and favour whichever side comes second.
	unix.Sync()
	b.Logf("tree: %d files, %.1f MiB, GOMAXPROCS %d", files, float64(total)/(1<<20), runtime.GOMAXPROCS(0))

	var ours, anchor time.Duration
	b.Run("fsviews", func(b *testing.B) {
		b.SetBytes(total)
		start := time.Now()
		for b.Loop() {
			r, err := Walk(context.Background(), "/bench", dir, WalkOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if len(r.Entries) < files {
				b.Fatalf("%d entries", len(r.Entries))
			}
		}
		ours = time.Since(start) / time.Duration(b.N)
	})
	script := `find "$1" -type f -print0 | xargs -0 -P"$(nproc)" sha256sum >/dev/null`
	if _, err := exec.LookPath("sha256sum"); err != nil {
		b.Log("sha256sum not found: anchor skipped")
		return
	}
	b.Run("find-xargs-sha256sum", func(b *testing.B) {
		b.SetBytes(total)
		start := time.Now()
		for b.Loop() {
			if out, err := exec.Command("sh", "-c", script, "sh", dir).CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, out)
			}
		}
		anchor = time.Since(start) / time.Duration(b.N)
	})
	if ours > 0 && anchor > 0 {
		b.Logf("walk %v, find|xargs sha256sum %v: walk takes %.2fx the anchor's time", ours, anchor, float64(ours)/float64(anchor))
	}
}
