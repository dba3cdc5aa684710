package launch

import (
	"reflect"
	"strings"
	"testing"
)

// Only read-only mappings of the binary with no written page are dropped:
// the relocated, then write-protected, data of a PIE build (Anonymous > 0)
// would come back from the file unrelocated.
func TestCleanMappings(t *testing.T) {
	smaps := `00400000-00500000 r-xp 00000000 fe:00 42 /usr/bin/fsviews
Size:               1024 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me
00500000-00600000 r--p 00100000 fe:00 42 /usr/bin/fsviews
Size:               1024 kB
Anonymous:             8 kB
VmFlags: rd mr mw me
00600000-00610000 r--p 00200000 fe:00 42 /usr/bin/fsviews
Anonymous:             0 kB
00610000-00620000 rw-p 00210000 fe:00 42 /usr/bin/fsviews
Anonymous:             0 kB
00620000-00630000 r--p 00000000 fe:00 43 /usr/lib/other.so
Anonymous:             0 kB
7ffc0000-7ffd0000 rw-p 00000000 00:00 0 [stack]
Anonymous:            64 kB
`
	got := cleanMappings(strings.NewReader(smaps), "/usr/bin/fsviews")
	want := [][2]uintptr{{0x400000, 0x500000}, {0x600000, 0x610000}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cleanMappings = %#x, want %#x", got, want)
	}
}

// shrink runs in this test binary (static or PIE, as go test builds it)
// and the process goes on.
func TestShrinkKeepsRunning(t *testing.T) {
	shrink()
	if got := strings.Repeat("ok", 2); got != "okok" {
		t.Fatal(got)
	}
}
