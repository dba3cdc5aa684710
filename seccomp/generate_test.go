package seccomp

import (
	"os"
	"os/exec"
	"path/filepath"
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
