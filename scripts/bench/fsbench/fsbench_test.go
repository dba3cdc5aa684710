package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fsviews/fsviews/profiles"
	"github.com/fsviews/fsviews/seccomp"
	"github.com/fsviews/fsviews/views"
)

func TestQuantile(t *testing.T) {
	for _, tc := range []struct {
		xs   []int64
		q    float64
		want int64
	}{
		{nil, 0.5, 0},
		{[]int64{7}, 0.5, 7},
		{[]int64{3, 1, 2}, 0.5, 2},
		{[]int64{4, 1, 3, 2}, 0.5, 2}, // interpolated 2.5, truncated
		{[]int64{10, 20, 30, 40, 50}, 0.25, 20},
		{[]int64{10, 20, 30, 40, 50}, 1, 50},
	} {
		in := slices.Clone(tc.xs)
		if got := quantile(tc.xs, tc.q); got != tc.want {
			t.Errorf("quantile(%v, %v) = %d, want %d", tc.xs, tc.q, got, tc.want)
		}
		if !slices.Equal(in, tc.xs) {
			t.Errorf("quantile reordered its input: %v", tc.xs)
		}
	}
	if got := quantile([]time.Duration{time.Millisecond, 3 * time.Millisecond}, 0.5); got != 2*time.Millisecond {
		t.Errorf("median of 1ms and 3ms = %v", got)
	}
}

// The rule filters fsviews compiles and the rules file the libseccomp
// loader reads are the same rules, and the spec compiles.
func TestRuleSpecsMatchTheLoaderFile(t *testing.T) {
	for _, n := range []int{60, 300} {
		name := "rules" + strconv.Itoa(n)
		spec, rules, err := benchSpec(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(spec.Rules) != n || len(rules) != n {
			t.Fatalf("%s: %d spec rules, %d file rules", name, len(spec.Rules), len(rules))
		}
		if _, err := spec.Compile(seccomp.AMD64); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		getpgid := 0
		for i, r := range rules {
			sr := spec.Rules[i]
			if sr.Syscall != r.Syscall || len(sr.Args) != 1 || sr.Args[0].Index != r.Index || sr.Args[0].Value != r.Value || sr.Args[0].Op != seccomp.OpEq {
				t.Errorf("%s rule %d: spec %+v, file %+v", name, i, sr, r)
			}
			if r.Syscall == "getpgid" {
				getpgid++
				if r.Index != 0 || r.Value == 0 {
					t.Errorf("%s rule %d: getpgid(0) must pass every getpgid rule: %+v", name, i, r)
				}
			}
		}
		if getpgid != n/10 {
			t.Errorf("%s: %d getpgid rules, want %d", name, getpgid, n/10)
		}
	}
	dir := t.TempDir()
	bpf, txt := filepath.Join(dir, "p.bpf"), filepath.Join(dir, "p.rules")
	if err := seccompEmit([]string{"rules60", bpf, txt}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(txt)
	if got := strings.Count(string(b), "\n"); got != 60 {
		t.Errorf("rules file has %d lines, want 60", got)
	}
	if fi, err := os.Stat(bpf); err != nil || fi.Size() == 0 || fi.Size()%8 != 0 {
		t.Errorf("program file: %v, %v", fi, err)
	}
}

// The profile fsbench writes for fsviews builds the view bwrap and plain
// are given: the same binds, links and mounts.
func TestProfileMatchesBwrapView(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/usr"); err != nil {
		t.Skip("no /usr on this machine")
	}
	tl := &tools{tmp: dir}
	v := view{binds: 3, bindSrc: src}
	p, err := tl.fsviewsProfile(v, "/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	prof, probs := profiles.Loader{Host: profiles.OSHost{}}.Load(p)
	if prof == nil {
		t.Fatalf("bench profile does not load: %v", probs)
	}
	plan := views.Compile(prof, views.Options{})
	got := map[string]bool{}
	for _, op := range plan.Ops {
		switch op.Kind {
		case views.Bind:
			got["bind "+op.Source+" "+op.Target] = op.ReadOnly
		case views.Symlink:
			got["symlink "+op.Link+" "+op.Target] = true
		case views.Proc, views.Tmpfs:
			got[string(op.Kind)+" "+op.Target] = true
		}
	}
	args := bwrapArgs(v, "/bin/true")
	want := []string{"proc /proc", "tmpfs /tmp", "tmpfs /dev"}
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--ro-bind":
			want = append(want, "bind "+args[i+1]+" "+args[i+2])
		case "--symlink":
			want = append(want, "symlink "+args[i+1]+" "+args[i+2])
		}
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("fsviews plan lacks %q (read-only where a bind): %v", w, got)
		}
	}
	if args[len(args)-1] != "/bin/true" || !slices.Equal(plan.Command, []string{"/bin/true"}) {
		t.Errorf("commands differ: bwrap %v, fsviews %v", args, plan.Command)
	}
	pl := tl.plainArgs(v, "/bin/true")
	if !slices.Contains(pl, "--binds") || pl[slices.Index(pl, "--binds")+1] != "3" {
		t.Errorf("plain args %v lack the 3 binds", pl)
	}
}
