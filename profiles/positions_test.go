package profiles

import (
	"reflect"
	"testing"
)

func TestScanKeyLines(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want map[string]int // key path -> line; every path scanned
	}{
		{"tables and keys",
			lines(`name = "x"`, ``, `[root]`, `size = "1M" # comment`, `[security]`, `user = "a"`),
			map[string]int{"name": 1, "root": 3, "root.size": 4, "security": 5, "security.user": 6}},
		{"arrays of tables are numbered",
			lines(`[[bind]]`, `source = "/a"`, `[[tmpfs]]`, `target = "/t"`, `[[bind]]`, `source = "/b"`, `mode = "rw"`),
			map[string]int{"bind#0": 1, "bind#0.source": 2, "tmpfs#0": 3, "tmpfs#0.target": 4, "bind#1": 5, "bind#1.source": 6, "bind#1.mode": 7}},
		{"comments, and '#' and '=' inside strings",
			lines(`# name = "no"`, `[[file]]  # [[bind]]`, `content = "a # b = c" # d = e`, `target = '/x#y'`),
			map[string]int{"file#0": 2, "file#0.content": 3, "file#0.target": 4}},
		{"quoted and dotted keys",
			lines(`"name" = "x"`, `security.user = "a"`, `[ env . set ]`, `'LANG' = "C"`, `"A.B" = "1"`),
			map[string]int{"name": 1, "security.user": 2, "env.set": 3, "env.set.LANG": 4, "env.set.A.B": 5}},
		{"multi-line basic string hides its lines",
			lines(`[[file]]`, `content = """`, `[[bind]]`, `x = 1 """ still inside \"""`, `"""`, `target = "/f"`, `[[bind]]`),
			map[string]int{"file#0": 1, "file#0.content": 2, "file#0.target": 6, "bind#0": 7}},
		{"multi-line literal string with basic quotes inside",
			lines(`content = '''say """hi`, `[x]`, `'''`, `name = "n"`),
			map[string]int{"content": 1, "name": 4}},
		{"multi-line string that closes on its line",
			lines(`content = """one line"""`, `name = "n"`),
			map[string]int{"content": 1, "name": 2}},
		{"multi-line string inside a multi-line array",
			lines(`command = [`, `  "/bin/sh", "-c", """`, `[[bind]]`, `a = 1`, `""", "x = 2",`, `]`, `[[bind]]`),
			map[string]int{"command": 1, "bind#0": 7}},
		{"quote characters inside single-line strings",
			lines(`a = "it's"`, `b = 'say "x"'`, `c = "\"\"\""`, `d = 1`),
			map[string]int{"a": 1, "b": 2, "c": 3, "d": 4}},
		{"first of a repeated key wins",
			lines(`[root]`, `size = "1M"`, `[root]`, `mode = "0755"`),
			map[string]int{"root": 1, "root.size": 2, "root.mode": 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := scanKeyLines([]byte(tc.text)).byKey
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("scanKeyLines:\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestKeyLinesLookups(t *testing.T) {
	kl := scanKeyLines([]byte(lines(
		`bind = [{ source = "/a" }, { source = "/b" }]`, // 1
		`[[tmpfs]]`,         // 2
		`target = "/t"`,     // 3
		`[[tmpfs]]`,         // 4
		`size = "1M"`,       // 5
		`[env]`,             // 6
		`set = { A = "1" }`, // 7
	)))
	for _, tc := range []struct {
		path string
		want int
	}{
		{"tmpfs#1.size", 5},
		{"tmpfs#1.target", 4}, // not written: its table's line
		{"bind#1.source", 1},  // inline array of tables: the array's line
		{"env.set.A", 7},      // inline table: the table's line
		{"env.keep", 6},
		{"hostname", 0},
	} {
		if got := kl.line(tc.path); got != tc.want {
			t.Errorf("line(%q) = %d, want %d", tc.path, got, tc.want)
		}
	}
	for _, tc := range []struct {
		key       string
		at        int
		wantLine  int
		wantIndex string
	}{
		{"tmpfs.size", 0, 5, "tmpfs#1.size"},
		{"tmpfs", 0, 2, "tmpfs#0"},
		{"tmpfs", 4, 4, "tmpfs#1"},
		{"nope", 0, 0, "nope"},
	} {
		line, indexed := kl.findAt(tc.key, tc.at)
		if line != tc.wantLine || indexed != tc.wantIndex {
			t.Errorf("findAt(%q, %d) = %d, %q; want %d, %q", tc.key, tc.at, line, indexed, tc.wantLine, tc.wantIndex)
		}
	}
}

func TestHumanKey(t *testing.T) {
	for path, want := range map[string]string{
		"name":          "name",
		"root.size":     "[root] size",
		"root":          "root",
		"bind#0":        "[[bind]] #1",
		"bind#2.source": "[[bind]] #3 source",
		"env.set.LANG":  "[env] set.LANG",
		"bind#x":        "[[bind]] #1",
		"#":             "[[]] #1",
	} {
		if got := humanKey(path); got != want {
			t.Errorf("humanKey(%q) = %q, want %q", path, got, want)
		}
	}
}
