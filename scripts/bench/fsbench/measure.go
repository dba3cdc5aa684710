package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// A series is one command measured many times.
type series struct {
	name string
	argv []string
	env  []string // added to the environment
	// skip says why the command cannot run in this build or on this
	// machine; the table prints it instead of dropping the row.
	skip  string
	walls []time.Duration
	// cpu is user + system time. The kernel's split between the two is
	// sampled at timer ticks, useless for millisecond processes; the sum
	// is exact.
	cpu []time.Duration
}

func newSeries(name string, argv ...string) *series { return &series{name: name, argv: argv} }

// check runs the command once and marks the series skipped, with the
// command's own message, when it fails: a case that cannot run says so.
func (s *series) check() {
	if s.skip != "" {
		return
	}
	var out bytes.Buffer
	cmd := exec.Command(s.argv[0], s.argv[1:]...)
	if s.env != nil {
		cmd.Env = append(os.Environ(), s.env...)
	}
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if i := strings.IndexByte(msg, '\n'); i > 0 {
			msg = msg[:i]
		}
		s.skip = fmt.Sprintf("fails here: %v: %s", err, msg)
	}
}

// runOnce times one run from fork to reaping.
func (s *series) runOnce() error {
	cmd := exec.Command(s.argv[0], s.argv[1:]...)
	if s.env != nil {
		cmd.Env = append(os.Environ(), s.env...)
	}
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	s.walls = append(s.walls, time.Since(start))
	s.cpu = append(s.cpu, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
	return nil
}

// interleave runs every runnable series once per round, in a fresh random
// order each round, so that noise from other load on the machine (a shared
// 2-core box) hits all of them alike instead of whichever ran during a
// burst. The warm-up rounds are discarded.
func interleave(all []*series, warmup, rounds int) {
	var run []*series
	for _, s := range all {
		s.check()
		if s.skip == "" {
			run = append(run, s)
		}
	}
	rng := rand.New(rand.NewPCG(uint64(rounds), uint64(len(run))))
	for r := 0; r < warmup+rounds; r++ {
		order := slices.Clone(run)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, s := range order {
			if s.skip != "" {
				continue
			}
			if err := s.runOnce(); err != nil {
				s.skip = fmt.Sprintf("failed during the run: %v", err)
				continue
			}
			if r < warmup {
				s.walls, s.cpu = s.walls[:0], s.cpu[:0]
			}
		}
	}
}

func (s *series) ok() bool { return s.skip == "" && len(s.walls) > 0 }

// median of the wall times.
func (s *series) median() time.Duration { return quantile(s.walls, 0.5) }

func quantile[T int64 | time.Duration](xs []T, q float64) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	pos := q * float64(len(s)-1)
	lo := int(pos)
	if lo+1 >= len(s) {
		return s[lo]
	}
	frac := pos - float64(lo)
	return s[lo] + T(frac*float64(s[lo+1]-s[lo]))
}

func cpu(s *series) []time.Duration { return s.cpu }
