package jsonw

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzAppendString holds AppendString to encoding/json's quoting of the
// same string, whatever its bytes.
//
//	go test ./internal/jsonw -run '^$' -fuzz '^FuzzAppendString$' -fuzztime 60s
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "<a href=\"x\">&amp;</a>", "tab\there\nnl\r\b\f\x00\x1f\x7f",
		"\\back\\slash", "ü € 𝄞", "\u2028\u2029", "bad \xff\xfe utf8 \xe2\x82", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("AppendString(%q) = %s, encoding/json says %s", s, got, want)
		}
		strs := []string{s, ""}
		want, _ = json.Marshal(strs)
		if got := AppendStrings(nil, strs); !bytes.Equal(got, want) {
			t.Fatalf("AppendStrings = %s, encoding/json says %s", got, want)
		}
	})
}

func TestObject(t *testing.T) {
	var b []byte
	o := Open(&b)
	o.String("a", "x")
	o.Int("b", -3)
	o.Uint("c", 18446744073709551615)
	o.Bool("d", true)
	o.Strings("e", nil)
	o.Strings("f", []string{})
	o.Close()
	if want := `{"a":"x","b":-3,"c":18446744073709551615,"d":true,"e":null,"f":[]}`; string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
}
