package rlimits

import (
	"strings"
	"testing"
)

func TestParseValue(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value any
		want  uint64
		err   string
	}{
		{"nofile", int64(4096), 4096, ""},
		{"nofile", "4096", 4096, ""},
		{"nofile", "infinity", Infinity, ""},
		{"as", "unlimited", Infinity, ""},
		{"as", "64M", 64 << 20, ""},
		{"memlock", "512k", 512 << 10, ""},
		{"fsize", "2GiB", 2 << 30, ""},
		{"core", int64(0), 0, ""},
		{"stack", "1T", 1 << 40, ""},
		{"nofile", "64M", 0, `bad value "64M": use a number or "infinity"`},
		{"cpu", "1.5", 0, `bad value "1.5": use a number or "infinity"`},
		{"nproc", int64(-1), 0, "negative value -1"},
		{"as", "99999999999T", 0, `value "99999999999T" is too large`},
		{"as", "18446744073709551615", 0, `is too large`},
		{"nice", int64(41), 0, "value 41 out of range: nice limits go up to 40"},
		{"rtprio", int64(99), 99, ""},
		{"nofile", true, 0, "bad value true"},
		{"as", 1.5, 0, "bad value 1.5"},
	} {
		r, err := Lookup(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseValue(r, tc.value)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("ParseValue(%s, %v) = %d, %v; want %d", tc.name, tc.value, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseValue(%s, %v) = %d, %v; want error %q", tc.name, tc.value, got, err, tc.err)
		}
	}
}

func TestLookupSuggests(t *testing.T) {
	_, err := Lookup("nofiles")
	if err == nil || !strings.Contains(err.Error(), `unknown limit "nofiles"; did you mean "nofile"?`) {
		t.Errorf("Lookup(nofiles) = %v", err)
	}
}

func TestFormatRoundTrips(t *testing.T) {
	for _, r := range Resources() {
		for _, v := range []uint64{0, 1, 1000, 1 << 20, 3 << 30, Infinity} {
			if r.Max != 0 && v > r.Max && v != Infinity {
				continue
			}
			back, err := ParseValue(r, Format(r, v))
			if err != nil || back != v {
				t.Errorf("%s: Format(%d) = %q parses to %d, %v", r.Name, v, Format(r, v), back, err)
			}
		}
	}
}

// FuzzParseValue: any string either parses to a value that Format prints
// back to the same value, or is an error; it never panics.
func FuzzParseValue(f *testing.F) {
	for _, s := range []string{"64M", "infinity", "0", "18446744073709551614", "1k", "12X", " 7 ", "8MiB"} {
		f.Add("as", s)
		f.Add("nofile", s)
	}
	f.Fuzz(func(t *testing.T, name, s string) {
		r, err := Lookup(name)
		if err != nil {
			return
		}
		v, err := ParseValue(r, s)
		if err != nil {
			return
		}
		back, err := ParseValue(r, Format(r, v))
		if err != nil || back != v {
			t.Errorf("%s %q -> %d -> %q -> %d, %v", name, s, v, Format(r, v), back, err)
		}
	})
}
