// Package wire is the compact binary form in which one fsviews process
// hands data to another (the supervisor its job to the jail's PID 1):
// fields in a fixed order, each a varint or length-prefixed bytes, with
// no names and no reflection. PID 1 is a fresh Go runtime that decodes
// the job on the jail's critical path, where encoding/json spent some
// 300 µs building its reflection caches for one small plan; this takes
// a few microseconds.
//
// Both ends are the same binary, so the format carries no version. The
// types that travel (views.Plan, launch's job) each have a test that
// fills every field and checks the round trip, so a field added to a
// type and forgotten by its codec fails a test instead of vanishing on
// the way.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Writer appends fields to a buffer.
type Writer struct{ buf []byte }

// Bytes returns what was written.
func (w *Writer) Bytes() []byte { return w.buf }

// Uint writes v as a uvarint.
func (w *Writer) Uint(v uint64) { w.buf = binary.AppendUvarint(w.buf, v) }

// Int writes v as a varint.
func (w *Writer) Int(v int64) { w.buf = binary.AppendVarint(w.buf, v) }

// Bool writes v as one byte.
func (w *Writer) Bool(v bool) {
	if v {
		w.buf = append(w.buf, 1)
	} else {
		w.buf = append(w.buf, 0)
	}
}

// String writes s, length first.
func (w *Writer) String(s string) {
	w.Uint(uint64(len(s)))
	w.buf = append(w.buf, s...)
}

// Len writes the length of a slice or map, 0 for nil and length+1
// otherwise, so that nil and empty stay apart.
func (w *Writer) Len(n int, isNil bool) {
	if isNil {
		w.Uint(0)
		return
	}
	w.Uint(uint64(n) + 1)
}

// Strings writes a string slice.
func (w *Writer) Strings(s []string) {
	w.Len(len(s), s == nil)
	for _, v := range s {
		w.String(v)
	}
}

// Blob writes a byte slice.
func (w *Writer) Blob(b []byte) {
	w.Len(len(b), b == nil)
	w.buf = append(w.buf, b...)
}

// ErrShort is the error of a Reader that ran out of data.
var ErrShort = errors.New("data ends before its last field")

// Reader reads fields in the order a Writer wrote them. After the first
// failure every read returns a zero value, and Err says what failed.
type Reader struct {
	buf []byte
	err error
}

// NewReader reads b.
func NewReader(b []byte) *Reader { return &Reader{buf: b} }

// Err returns the first failure, or an error if bytes are left over
// once the caller has read every field it knows.
func (r *Reader) Err() error {
	if r.err == nil && len(r.buf) > 0 {
		return fmt.Errorf("%d bytes left after the last field", len(r.buf))
	}
	return r.err
}

// Fail records err as the reader's failure, unless it has one already.
func (r *Reader) Fail(err error) {
	if r.err == nil {
		r.err = err
		r.buf = nil
	}
}

// Uint reads a uvarint.
func (r *Reader) Uint() uint64 {
	v, n := binary.Uvarint(r.buf)
	if n <= 0 {
		r.Fail(ErrShort)
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

// Int reads a varint.
func (r *Reader) Int() int64 {
	v, n := binary.Varint(r.buf)
	if n <= 0 {
		r.Fail(ErrShort)
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

// Bool reads one byte written by Bool.
func (r *Reader) Bool() bool {
	if len(r.buf) == 0 {
		r.Fail(ErrShort)
		return false
	}
	b := r.buf[0]
	r.buf = r.buf[1:]
	if b > 1 {
		r.Fail(fmt.Errorf("bool byte %d", b))
	}
	return b == 1
}

// take returns the next n bytes.
func (r *Reader) take(n uint64) []byte {
	if n > uint64(len(r.buf)) {
		r.Fail(ErrShort)
		return nil
	}
	b := r.buf[:n:n]
	r.buf = r.buf[n:]
	return b
}

// String reads a string.
func (r *Reader) String() string { return string(r.take(r.Uint())) }

// Len reads what Len wrote: the length, and whether the slice or map
// was nil. A length longer than the data left is a failure, so that a
// corrupt count allocates nothing.
func (r *Reader) Len() (n int, isNil bool) {
	v := r.Uint()
	if v == 0 {
		return 0, true
	}
	if v-1 > uint64(len(r.buf)) {
		r.Fail(ErrShort)
		return 0, true
	}
	return int(v - 1), false
}

// Strings reads a string slice.
func (r *Reader) Strings() []string {
	n, isNil := r.Len()
	if isNil {
		return nil
	}
	s := make([]string, n)
	for i := range s {
		s[i] = r.String()
	}
	return s
}

// Blob reads a byte slice.
func (r *Reader) Blob() []byte {
	n, isNil := r.Len()
	if isNil {
		return nil
	}
	return append([]byte{}, r.take(uint64(n))...)
}
