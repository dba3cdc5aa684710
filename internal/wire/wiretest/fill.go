// Package wiretest helps test the codecs built on package wire.
package wiretest

import (
	"fmt"
	"reflect"
	"testing"
)

// Fill sets every exported field reachable from ptr to a value of its
// own, so that a field a codec forgets shows in a round trip. Unexported
// fields are left as they are: they do not travel.
func Fill(t testing.TB, ptr any) {
	t.Helper()
	n := 0
	fill(t, reflect.ValueOf(ptr).Elem(), &n)
}

func fill(t testing.TB, v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d \"<&>\" \u2028 ü", *n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(-int64(*n) * 1000003)
	case reflect.Uint8:
		v.SetUint(uint64(*n % 200))
	case reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n) * 4000037)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), n)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(t, v.Index(i), n)
		}
	case reflect.Array:
		for i := range v.Len() {
			fill(t, v.Index(i), n)
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for range 2 {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(t, k, n)
			fill(t, e, n)
			v.SetMapIndex(k, e)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(t, v.Field(i), n)
			}
		}
	default:
		t.Fatalf("wiretest.Fill: no value for a %s (%s): teach Fill, and the codec", v.Kind(), v.Type())
	}
}
