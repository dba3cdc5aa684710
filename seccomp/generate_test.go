package seccomp

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// The syscall and errno tables are what `go generate` makes from the
// golang.org/x/sys that go.mod requires: a bump of x/sys without
// regenerating them (new syscalls unknown to filters, renumbered errnos)
// fails here, naming the command that fixes it.
func TestGeneratedTablesAreCurrent(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to run the generator")
	}
	dir := t.TempDir()
	cmd := exec.Command("go", "run", "./internal/mksyscalls", "-o", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./internal/mksyscalls: %v\n%s", err, out)
	}
	generated, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(generated) == 0 {
		t.Fatalf("the generator wrote nothing into %s (%v)", dir, err)
	}
	for _, g := range generated {
		want, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(g)
		got, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("%s is generated but not in seccomp/: run go generate ./seccomp/ and commit it (%v)", name, err)
			continue
		}
		if string(got) != string(want) {
			t.Errorf("seccomp/%s is not what go generate makes from go.mod's golang.org/x/sys: run go generate ./seccomp/ and commit the result", name)
		}
	}
}

// The precompiled bare presets are what this compiler makes of them, for
// every preset and both architectures: a change to a preset or to the
// compiler without go generate fails here (and Compiled would install the
// old filter).
func TestPrecompiledPresetsAreCurrent(t *testing.T) {
	for _, name := range presetNames {
		if name == "none" {
			continue
		}
		for _, arch := range []Arch{AMD64, ARM64} {
			want, err := Spec{Preset: name}.Compile(arch)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range precompiledPresets {
				found = found || (p.preset == name && p.arch == arch)
			}
			got, err := Spec{Preset: name}.Compiled(arch)
			if err != nil || !found || got.Arch() != arch || !slices.Equal(got.Instructions(), want.Instructions()) {
				t.Errorf("preset %s for %s: precompiled (found %v, %v) is not what Compile makes: run go generate ./seccomp/ and commit zpresets.go", name, arch, found, err)
			}
		}
	}
	// Anything more than a bare preset is compiled, with its notes.
	for _, s := range []Spec{{Preset: "default", Deny: []string{"chmod"}}, {Preset: "daemon", AllowI386: true}, {Preset: "none", Allow: []string{"read"}}} {
		got, err := s.Compiled(AMD64)
		want, _ := s.Compile(AMD64)
		if err != nil || !slices.Equal(got.Instructions(), want.Instructions()) || got.Disassemble() != want.Disassemble() {
			t.Errorf("%+v: Compiled differs from Compile (%v)", s, err)
		}
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to run the generator")
	}
	dir := t.TempDir()
	if out, err := exec.Command("go", "run", "./internal/mkpresets", "-o", dir).CombinedOutput(); err != nil {
		t.Fatalf("go run ./internal/mkpresets: %v\n%s", err, out)
	}
	want, err := os.ReadFile(filepath.Join(dir, "zpresets.go"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile("zpresets.go"); err != nil || string(got) != string(want) {
		t.Errorf("seccomp/zpresets.go is not what go generate makes: run go generate ./seccomp/ and commit it (%v)", err)
	}
}
