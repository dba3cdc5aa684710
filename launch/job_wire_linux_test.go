package launch

import (
	"reflect"
	"testing"

	"github.com/fsviews/fsviews/internal/wire/wiretest"
)

// Every exported field of the job reaches PID 1 as it left the
// supervisor; the unexported ones are PID 1's own and stay zero.
func TestJobWireRoundTrip(t *testing.T) {
	var full job
	wiretest.Fill(t, &full)
	for _, want := range []*job{&full, {Plan: full.Plan, RelayFD: -1}} {
		got, err := readJob(want.wire())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("the job changed on the way:\n got %#v\nwant %#v", got, want)
		}
	}
	b := full.wire()
	if _, err := readJob(b[:len(b)-1]); err == nil {
		t.Fatal("a job cut short read without error")
	}
}
