package seccomp

import (
	"strings"
	"testing"
)

// evalDecided evaluates an exported decision the way its doc says: the
// first rule whose conditions all hold, else the base action.
func evalDecided(d Decided, args [6]uint64) Action {
	for _, r := range d.Rules {
		holds := true
		for _, c := range r.Args {
			v := args[c.Index]
			if c.Low32 {
				v &= 0xffffffff
			}
			if !(ccond{Cond: c.Cond}).holds(v) {
				holds = false
				break
			}
		}
		if holds {
			return r.Action
		}
	}
	return d.Base
}

// TestResolvedMatchesProgram runs every preset's compiled program in the
// BPF VM over every syscall with argument values that hit each rule, and
// checks the exported decisions give the same action: an export written
// from Resolve is the filter fsviews installs.
func TestResolvedMatchesProgram(t *testing.T) {
	for _, preset := range presetNames {
		spec := Spec{Preset: preset, Deny: []string{"chdir"}, Rules: []Rule{
			{Syscall: "kill", Action: ActionKillProcess, Args: []Cond{{Index: 1, Op: OpGe, Value: 9}}},
		}}
		if preset == "none" {
			spec.Deny = nil
		}
		res, err := spec.Resolve(AMD64)
		if err != nil {
			t.Fatalf("%s: %v", preset, err)
		}
		run := newRunner(t, mustCompile(t, spec, AMD64))
		if len(res.Syscalls) != len(abiX8664.nums()) {
			t.Fatalf("%s: %d decisions for %d syscalls", preset, len(res.Syscalls), len(abiX8664.nums()))
		}
		for _, d := range res.Syscalls {
			probes := [][6]uint64{{}, {^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}}
			for _, r := range d.Rules {
				for _, c := range r.Args {
					for _, v := range []uint64{c.Value, c.Value | 0xdead00000000, c.Value + 1, c.Value | c.Mask} {
						var a [6]uint64
						a[c.Index] = v
						probes = append(probes, a)
					}
				}
			}
			for _, args := range probes {
				got := evalDecided(d, args)
				want := run.run(seccompData{nr: abiX8664.nums()[d.Name], arch: auditArchX8664, args: args})
				if got != want {
					t.Errorf("%s: %s%v: Resolve says %s, the program %s", preset, d.Name, args, got, want)
				}
			}
		}
		unknown := run.run(seccompData{nr: abiX8664.maxNr() + 1, arch: auditArchX8664})
		if unknown != res.Unknown {
			t.Errorf("%s: unknown numbers: Resolve says %s, the program %s", preset, res.Unknown, unknown)
		}
		if bad := run.run(seccompData{nr: 0, arch: auditArchI386}); bad != res.BadArch {
			t.Errorf("%s: i386: Resolve says %s, the program %s", preset, res.BadArch, bad)
		}
	}
}

func TestResolveRefusesWhatCheckRefuses(t *testing.T) {
	_, err := Spec{Preset: "daemom"}.Resolve(AMD64)
	if err == nil || !strings.Contains(err.Error(), `unknown preset "daemom"`) {
		t.Fatalf("Resolve of a bad preset: %v", err)
	}
}
