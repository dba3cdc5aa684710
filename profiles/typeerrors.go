package profiles

import (
	"encoding"
	"reflect"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// typeProblems reports every value of the wrong type in a file the decoder
// refused with a type error. The decoder walks each table by ranging over a
// Go map and stops at the first value of the wrong type it meets, so with
// two such values which one it names changes from run to run (and a
// profile's problems with it). Here each key is decoded on its own, tables
// and arrays of tables key by key in sorted order, so every wrong value is
// reported, the same way every time, with the decoder's own message.
func typeProblems(file, data string, decodeErr error, keys keyLines) Problems {
	var top map[string]toml.Primitive
	md, err := toml.Decode(data, &top)
	if err != nil {
		// Not a type error after all: report what the decoder said.
		return Problems{decodeProblem(file, err, keys)}
	}
	var errs []error
	typeErrors(&md, top, reflect.TypeFor[rawProfile](), &errs)
	if len(errs) == 0 {
		// A kind of error this walk does not reproduce: the decoder's.
		errs = append(errs, decodeErr)
	}
	probs := make(Problems, 0, len(errs))
	for _, err := range errs {
		probs = append(probs, decodeProblem(file, err, keys))
	}
	probs.sort() // by line, as they appear in the file
	return probs
}

// typeErrors appends the errors of decoding each value of table into the
// field of struct type t the decoder would choose.
func typeErrors(md *toml.MetaData, table map[string]toml.Primitive, t reflect.Type, errs *[]error) {
	names := make([]string, 0, len(table))
	for k := range table {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if ft, ok := fieldFor(t, k); ok {
			valueErrors(md, table[k], ft, errs)
		}
	}
}

// fieldFor finds the field the decoder fills from key: the exact toml tag,
// else the first tag equal to it ignoring case. Unknown keys have none;
// unknownKeys reports them.
func fieldFor(t reflect.Type, key string) (reflect.Type, bool) {
	var folded reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == key {
			return f.Type, true
		}
		if folded == nil && strings.EqualFold(name, key) {
			folded = f.Type
		}
	}
	return folded, folded != nil
}

var (
	tomlUnmarshaler = reflect.TypeFor[toml.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// valueErrors decodes v into a value of type t, descending into tables
// (structs and maps) and arrays of tables key by key.
func valueErrors(md *toml.MetaData, v toml.Primitive, t reflect.Type, errs *[]error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	custom := reflect.PointerTo(t).Implements(tomlUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler)
	switch {
	case custom:
	case t.Kind() == reflect.Struct || (t.Kind() == reflect.Map && t.Key().Kind() == reflect.String):
		var sub map[string]toml.Primitive
		if md.PrimitiveDecode(v, &sub) != nil {
			break // not a table: the decoder's own error below
		}
		if t.Kind() == reflect.Struct {
			typeErrors(md, sub, t, errs)
			return
		}
		names := make([]string, 0, len(sub))
		for k := range sub {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			valueErrors(md, sub[k], t.Elem(), errs)
		}
		return
	case t.Kind() == reflect.Slice:
		var items []toml.Primitive
		if md.PrimitiveDecode(v, &items) != nil {
			break
		}
		for _, item := range items {
			valueErrors(md, item, t.Elem(), errs)
		}
		return
	}
	if err := md.PrimitiveDecode(v, reflect.New(t).Interface()); err != nil {
		*errs = append(*errs, err)
	}
}
