package oci

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/fsviews/fsviews/profiles"
	"github.com/fsviews/fsviews/seccomp"
	"github.com/fsviews/fsviews/views"
)

var update = flag.Bool("update", false, "rewrite the saved bundles in testdata/ from the current exporter")

// fakeHost resolves every source to itself, and optional ones below
// /nonexistent to missing: the saved bundles do not depend on the host.
func fakeHost(op views.Op) (string, error) {
	if op.Optional && strings.HasPrefix(op.Source, "/nonexistent/") {
		return "", nil
	}
	return op.Source, nil
}

func exportText(t *testing.T, text string) (*views.Plan, *Bundle) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return exportFile(t, path)
}

func exportFile(t *testing.T, path string) (*views.Plan, *Bundle) {
	t.Helper()
	p, probs := profiles.Loader{Library: profiles.Library()}.Load(path)
	if p == nil {
		t.Fatalf("load %s: %v", path, probs)
	}
	plan := views.Compile(p, views.Options{StateRoot: "/var/lib/fsviews-test"})
	b, err := Export(plan, Options{Arch: seccomp.AMD64, Resolve: fakeHost})
	if err != nil {
		t.Fatalf("export %s: %v", path, err)
	}
	return plan, b
}

// The bundles of the testdata profiles are saved: config.json as written,
// and the skeleton, gaps and notes one a line. A change to the exporter
// shows up as a diff (go test ./oci -update rewrites them after review).
func TestSavedBundles(t *testing.T) {
	for _, name := range []string{"web", "daemon"} {
		t.Run(name, func(t *testing.T) {
			_, b := exportFile(t, filepath.Join("testdata", name+".toml"))
			js, err := json.MarshalIndent(b.Spec, "", "\t")
			if err != nil {
				t.Fatal(err)
			}
			var rest bytes.Buffer
			fmt.Fprintf(&rest, "rootfs mode %04o\n", b.RootMode)
			for _, op := range b.Skeleton {
				fmt.Fprintf(&rest, "skeleton: %s\n", op)
			}
			for _, g := range b.Gaps {
				fmt.Fprintf(&rest, "gap: %s\n", strings.ReplaceAll(g.String(), filepath.Join("testdata", name+".toml"), "PROFILE"))
			}
			for _, n := range b.Notes {
				fmt.Fprintf(&rest, "note: %s\n", strings.ReplaceAll(n.String(), filepath.Join("testdata", name+".toml"), "PROFILE"))
			}
			compareSaved(t, filepath.Join("testdata", name+".config.json"), append(js, '\n'))
			compareSaved(t, filepath.Join("testdata", name+".bundle"), rest.Bytes())
		})
	}
}

func compareSaved(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./oci -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the export (go test ./oci -update rewrites it after review)\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

// The mounts follow the plan's order exactly, and each mount of the plan
// is in the bundle once: the view under the runtime is built in the same
// order as under fsviews.
func TestMountsInPlanOrder(t *testing.T) {
	plan, b := exportFile(t, filepath.Join("testdata", "web.toml"))
	var want []string
	for _, op := range plan.Ops {
		switch op.Kind {
		case views.Bind, views.Tmpfs, views.State, views.Proc, views.DevNode, views.Devpts, views.Socket:
			if src, _ := fakeHost(op); src != "" || op.Source == "" {
				want = append(want, op.Target)
			}
		}
	}
	var got []string
	for _, m := range b.Spec.Mounts {
		got = append(got, m.Destination)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("mounts\n got %v\nwant %v", got, want)
	}
	if !b.Spec.Root.Readonly {
		t.Errorf("root not read-only")
	}
	if fmt.Sprint(b.Spec.Linux.ReadonlyPaths) != fmt.Sprint(views.ProcReadOnly()) || fmt.Sprint(b.Spec.Linux.MaskedPaths) != fmt.Sprint(views.ProcMasked()) {
		t.Errorf("read-only %v, masked %v: want fsviews' lists", b.Spec.Linux.ReadonlyPaths, b.Spec.Linux.MaskedPaths)
	}
}

func TestExportErrors(t *testing.T) {
	p, probs := profiles.Loader{Library: profiles.Library()}.Load(filepath.Join("testdata", "daemon.toml"))
	if p == nil {
		t.Fatal(probs)
	}
	plan := views.Compile(p, views.Options{StateRoot: "/x"})
	plan.Command = nil
	if _, err := Export(plan, Options{Arch: seccomp.AMD64, Resolve: fakeHost}); err == nil || !strings.Contains(err.Error(), "no command: set command in the profile") {
		t.Errorf("export without a command: %v", err)
	}
	plan = views.Compile(p, views.Options{StateRoot: "/x"})
	_, err := Export(plan, Options{Arch: seccomp.AMD64, Resolve: func(op views.Op) (string, error) {
		if op.Target == "/etc/passwd" {
			return "", fmt.Errorf("source: /etc/passwd is a symlink")
		}
		return op.Source, nil
	}})
	if err == nil || !strings.Contains(err.Error(), "/etc/passwd (library:base/libc.toml:") || !strings.Contains(err.Error(), "is a symlink") {
		t.Errorf("export with a bad source: %v", err)
	}
}

// A profile with nothing the runtime spec lacks exports without a gap,
// and one with each gap lists it with its profile line.
func TestGaps(t *testing.T) {
	_, b := exportText(t, "command = [\"/usr/bin/env\"]\ninclude = [\"base/libc.toml\"]\n[proc]\n[namespaces]\nnet = \"host\"\npid = false\n")
	if len(b.Gaps) != 0 {
		t.Errorf("gaps of a plain profile: %v", b.Gaps)
	}
	_, b = exportText(t, "command = [\"/usr/bin/env\"]\n[proc]\n[landlock]\n[namespaces]\npid = true\n")
	text := fmt.Sprint(b.Gaps)
	// A rule libseccomp cannot say on a syscall the filter otherwise allows.
	_, b2 := exportText(t, "command = [\"/usr/bin/env\"]\n[seccomp]\npreset = \"default\"\n"+
		"[[seccomp.rule]]\nsyscall = \"munmap\"\naction = \"kill-process\"\nargs = [{ index = 0, op = \"==\", value = 1 }, { index = 1, op = \"==\", value = 9 }]\n")
	text += fmt.Sprint(b2.Gaps)
	for _, want := range []string{"[landlock]: the runtime spec has no Landlock rules", "fsviews' init is PID 1",
		"p.toml:2: [seccomp] munmap: kill-process when arg0 == 0x1 && arg1 == 0x9: libseccomp cannot refine a syscall the filter otherwise gives allow"} {
		if !strings.Contains(text, want) {
			t.Errorf("gaps %s: want %q", text, want)
		}
	}
}

// evalOCI evaluates a seccomp section for one syscall as runc with
// libseccomp does, as observed with runc 1.1 (e2e/oci_test.go checks it
// for real): an unconditional entry decides alone; otherwise the first
// entry whose conditions hold, where runc joins conditions on one argument
// with "or" and the others with "and"; otherwise the default.
func evalOCI(s *specs.LinuxSeccomp, name string, args [6]uint64) seccomp.Action {
	act := func(a specs.LinuxSeccompAction, errno *uint) seccomp.Action {
		switch a {
		case specs.ActAllow:
			return seccomp.ActionAllow
		case specs.ActKillProcess:
			return seccomp.ActionKillProcess
		case specs.ActKillThread, specs.ActKill:
			return seccomp.ActionKillThread
		case specs.ActTrap:
			return seccomp.ActionTrap
		case specs.ActLog:
			return seccomp.ActionLog
		}
		n, _ := seccomp.Errno(uint16(*errno))
		return n
	}
	var entries []specs.LinuxSyscall
	for _, e := range s.Syscalls {
		for _, n := range e.Names {
			if n == name {
				entries = append(entries, e)
			}
		}
	}
	for _, e := range entries {
		if len(e.Args) == 0 {
			return act(e.Action, e.ErrnoRet)
		}
	}
	for _, e := range entries {
		perIndex := map[uint]int{}
		for _, a := range e.Args {
			perIndex[a.Index]++
		}
		or := false
		for _, n := range perIndex {
			or = or || n > 1
		}
		holds := !or
		for _, a := range e.Args {
			h := argHolds(a, args[a.Index])
			if or {
				holds = holds || h
			} else {
				holds = holds && h
			}
		}
		if holds {
			return act(e.Action, e.ErrnoRet)
		}
	}
	return act(s.DefaultAction, s.DefaultErrnoRet)
}

func argHolds(a specs.LinuxSeccompArg, v uint64) bool {
	switch a.Op {
	case specs.OpEqualTo:
		return v == a.Value
	case specs.OpNotEqual:
		return v != a.Value
	case specs.OpLessThan:
		return v < a.Value
	case specs.OpLessEqual:
		return v <= a.Value
	case specs.OpGreaterThan:
		return v > a.Value
	case specs.OpGreaterEqual:
		return v >= a.Value
	case specs.OpMaskedEqual:
		return v&a.Value == a.ValueTwo
	}
	panic("unknown op " + a.Op)
}

// For every preset, every syscall and argument values that hit each rule
// (with garbage in the high word of int arguments too), the exported
// filter gives what fsviews' own filter gives, unless Export reported the
// syscall as a gap.
func TestSeccompSameDecisions(t *testing.T) {
	for _, preset := range []string{"strict", "stdio", "daemon", "default", "none"} {
		for _, def := range []string{"errno", "kill-process", "errno:EACCES"} {
			text := fmt.Sprintf("command = [\"/usr/bin/env\"]\n[proc]\n[namespaces]\npid = false\nnet = \"host\"\n"+
				"[seccomp]\npreset = %q\ndefault_action = %q\ndeny = [\"chdir\"]\n"+
				"[[seccomp.rule]]\nsyscall = \"munmap\"\naction = \"kill-process\"\nargs = [{ index = 1, op = \">=\", value = 0x100000 }]\n", preset, def)
			plan, b := exportText(t, text)
			if len(b.Gaps) > 0 {
				t.Errorf("%s/%s: gaps %v", preset, def, b.Gaps)
			}
			res, err := plan.Seccomp.Spec.Resolve(seccomp.AMD64)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range res.Syscalls {
				for _, args := range probes(d) {
					want := d.Base
					for _, r := range d.Rules {
						if ruleHolds(r, args) {
							want = r.Action
							break
						}
					}
					if got := evalOCI(b.Spec.Linux.Seccomp, d.Name, args); got != want {
						t.Errorf("%s/%s: %s%x: exported filter gives %s, fsviews' %s", preset, def, d.Name, args, got, want)
					}
				}
			}
		}
	}
}

func probes(d seccomp.Decided) [][6]uint64 {
	all := ^uint64(0)
	ps := [][6]uint64{{}, {all, all, all, all, all, all}}
	for _, r := range d.Rules {
		for _, c := range r.Args {
			for _, v := range []uint64{c.Value, c.Value | 0xdead00000000, c.Value + 1, c.Value - 1, c.Value | c.Mask, c.Value ^ 8} {
				var a [6]uint64
				a[c.Index] = v
				ps = append(ps, a)
			}
		}
	}
	return ps
}

func ruleHolds(r seccomp.DecidedRule, args [6]uint64) bool {
	for _, c := range r.Args {
		v := args[c.Index]
		if c.Low32 {
			v &= 0xffffffff
		}
		if !argHolds(specs.LinuxSeccompArg{Op: map[seccomp.Op]specs.LinuxSeccompOperator(ociOps)[c.Op], Value: c.Value}, v) && c.Op != seccomp.OpMaskedEq {
			return false
		}
		if c.Op == seccomp.OpMaskedEq && v&c.Mask != c.Value {
			return false
		}
	}
	return true
}
