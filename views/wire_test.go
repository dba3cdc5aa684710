package views

import (
	"reflect"
	"testing"

	"github.com/fsviews/fsviews/internal/wire"
	"github.com/fsviews/fsviews/internal/wire/wiretest"
)

// checkWireRoundTrip hands p through its binary form and wants it back
// as it was, nil slices and maps included.
func checkWireRoundTrip(t *testing.T, p *Plan) {
	t.Helper()
	var w wire.Writer
	p.AppendWire(&w)
	r := wire.NewReader(w.Bytes())
	got := ReadWire(r)
	if err := r.Err(); err != nil {
		t.Fatalf("read the plan back: %v", err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("the plan changed on the way:\n got %#v\nwant %#v", got, p)
	}
}

// Every field of a Plan, down to the seccomp conditions, survives the
// trip to PID 1; so do the zero plan and one whose slices are empty but
// not nil.
func TestPlanWireRoundTrip(t *testing.T) {
	var full Plan
	wiretest.Fill(t, &full)
	checkWireRoundTrip(t, &full)
	checkWireRoundTrip(t, &Plan{})
	checkWireRoundTrip(t, &Plan{Ops: []Op{{Options: []string{}}}, Unshare: []string{}, Env: EnvRules{Set: map[string]string{}}, Limits: []LimitPlan{}, Landlock: &LandlockPlan{Rules: []LandlockRule{}}})
	checkWireRoundTrip(t, Compile(load(t, "web"), Options{StateRoot: "/var/lib/fsviews-test"}))
}

// A plan cut short anywhere is an error, never a panic or a plan.
func TestPlanWireTruncated(t *testing.T) {
	var w wire.Writer
	Compile(load(t, "web"), Options{StateRoot: "/var/lib/fsviews-test"}).AppendWire(&w)
	b := w.Bytes()
	for i := range len(b) {
		r := wire.NewReader(b[:i])
		ReadWire(r)
		if r.Err() == nil {
			t.Fatalf("a plan cut at byte %d of %d read without error", i, len(b))
		}
	}
	r := wire.NewReader(append(b, 0))
	ReadWire(r)
	if err := r.Err(); err == nil || err.Error() != "1 bytes left after the last field" {
		t.Fatalf("a byte too many: got %v", err)
	}
}

// FuzzReadWire reads arbitrary bytes as a plan: no panic, no huge
// allocation from a corrupt count, and whatever reads without error
// writes back to a plan equal to it.
//
//	go test ./views -run '^$' -fuzz '^FuzzReadWire$' -fuzztime 60s
func FuzzReadWire(f *testing.F) {
	var w wire.Writer
	Compile(load(f, "web"), Options{StateRoot: "/var/lib/fsviews-test"}).AppendWire(&w)
	f.Add(w.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		r := wire.NewReader(data)
		p := ReadWire(r)
		if r.Err() != nil {
			return
		}
		checkWireRoundTrip(t, p)
	})
}
