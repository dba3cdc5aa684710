package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// make install puts the binary, a man page per command (generated from
// the CLI definition) and the bash, zsh and fish completions under
// DESTDIR/PREFIX; the installed bash completion completes commands from
// the installed binary.
func TestMakeInstall(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI has make: .ci/run runs make test")
		}
		t.Skip("no make")
	}
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(file), "..")
	tmp := t.TempDir()
	dest := filepath.Join(tmp, "root")
	// BIN and DOCS in the temp dir: the repository's bin/ is left alone.
	cmd := exec.Command("make", "-C", repo, "install", "DESTDIR="+dest, "PREFIX=/usr",
		"BIN="+filepath.Join(tmp, "fsviews"), "DOCS="+filepath.Join(tmp, "docs"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	for _, f := range []string{"bin/fsviews", "share/man/man8/fsviews.8", "share/man/man8/fsviews-run.8", "share/man/man8/fsviews-checkpoints.8",
		"share/bash-completion/completions/fsviews", "share/zsh/site-functions/_fsviews", "share/fish/vendor_completions.d/fsviews.fish"} {
		if _, err := os.Stat(filepath.Join(dest, "usr", f)); err != nil {
			t.Errorf("make install did not install %s: %v", f, err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dest, "usr/share/man/man8/fsviews-run.8")); err != nil || !strings.Contains(string(b), "--state-dir") {
		t.Errorf("the run man page lacks its flags: %v", err)
	}
	bin := filepath.Join(dest, "usr/bin/fsviews")
	script := `source "$1"; COMP_WORDS=("$2" che); COMP_CWORD=1; _fsviews; echo "${COMPREPLY[@]}"`
	out, err := exec.Command("bash", "-c", script, "bash", filepath.Join(dest, "usr/share/bash-completion/completions/fsviews"), bin).Output()
	if err != nil || strings.TrimSpace(string(out)) != "check checkpoint checkpoints" {
		t.Errorf("bash completion of \"fsviews che\": %q %v", out, err)
	}
}
