package wire

import (
	"errors"
	"testing"
)

// What the codecs built on wire rely on: nil and empty stay apart, a
// count larger than the data left fails before it allocates, and a
// reader says when it ran short or has bytes left.
func TestReaderKeepsItsWord(t *testing.T) {
	var w Writer
	w.Strings(nil)
	w.Strings([]string{})
	w.Blob(nil)
	w.Blob([]byte{})
	w.Strings([]string{"a", ""})
	w.Int(-5)
	w.Uint(1 << 63)
	w.Bool(true)
	r := NewReader(w.Bytes())
	if s := r.Strings(); s != nil {
		t.Errorf("nil strings came back as %#v", s)
	}
	if s := r.Strings(); s == nil || len(s) != 0 {
		t.Errorf("empty strings came back as %#v", s)
	}
	if b := r.Blob(); b != nil {
		t.Errorf("nil blob came back as %#v", b)
	}
	if b := r.Blob(); b == nil || len(b) != 0 {
		t.Errorf("empty blob came back as %#v", b)
	}
	if s := r.Strings(); len(s) != 2 || s[0] != "a" || s[1] != "" {
		t.Errorf("strings came back as %#v", s)
	}
	if v := r.Int(); v != -5 {
		t.Errorf("int came back as %d", v)
	}
	if v := r.Uint(); v != 1<<63 {
		t.Errorf("uint came back as %d", v)
	}
	if !r.Bool() {
		t.Error("bool came back false")
	}
	if err := r.Err(); err != nil {
		t.Errorf("a whole read failed: %v", err)
	}

	// A count of 2^40 strings in a few bytes: refused, nothing made.
	var big Writer
	big.Uint(1<<40 + 1)
	r = NewReader(big.Bytes())
	if s := r.Strings(); s != nil || !errors.Is(r.Err(), ErrShort) {
		t.Errorf("a huge count gave %d strings, error %v", len(s), r.Err())
	}
	r = NewReader([]byte{2})
	if r.Bool(); r.Err() == nil {
		t.Error("a bool byte of 2 read without error")
	}
	r = NewReader([]byte{5, 'a'})
	if s := r.String(); s != "" || !errors.Is(r.Err(), ErrShort) {
		t.Errorf("a string longer than the data gave %q, error %v", s, r.Err())
	}
	r = NewReader([]byte{1, 2})
	r.Bool()
	if err := r.Err(); err == nil || err.Error() != "1 bytes left after the last field" {
		t.Errorf("a byte left over: got %v", err)
	}
}
