package registry

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/fsviews/fsviews/internal/wire/wiretest"
)

func checkRecordJSON(t *testing.T, rec *Record) {
	t.Helper()
	want, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := rec.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("AppendJSON differs from encoding/json:\n got %s\nwant %s", got, want)
	}
}

// A record written by hand is what encoding/json writes, every field set
// or none.
func TestRecordJSONMatches(t *testing.T) {
	var full Record
	wiretest.Fill(t, &full)
	// What Fill cannot make: times (unexported fields) and a plan that is
	// JSON (compact, as Plan.AppendJSON writes it).
	full.Started = time.Date(2026, 12, 5, 18, 0, 0, 123456789, time.UTC)
	full.Plan = json.RawMessage(`{"name":"x","ops":[]}`)
	for i := range full.Execs {
		full.Execs[i].Time = time.Date(2026, 12, 5, 19, i, 0, 0, time.FixedZone("x", 3600))
	}
	checkRecordJSON(t, &full)
	checkRecordJSON(t, &Record{})
	checkRecordJSON(t, &Record{Namespaces: map[string]uint64{}, ProfileFiles: []FileHash{}, Plan: json.RawMessage{}, StateDirs: map[string]string{}, Sources: []Source{}, Execs: []Exec{{}}})
}
