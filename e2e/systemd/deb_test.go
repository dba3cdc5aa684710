package systemd

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// make deb builds a Debian package (nfpm, packaging/nfpm.yaml) that
// installs cleanly with dpkg on the container's fresh Debian (the host's
// OS, booted from an overlay, with no fsviews installed), and the
// installed fsviews runs a jail, has its man pages and completions, and
// names its version.
func TestDebianPackage(t *testing.T) {
	h := need(t)
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatalf("make test runs under make: %v", err)
	}
	tmp := t.TempDir()
	deb := filepath.Join(h.dir, "pkg", "fsviews.deb")
	// BIN and DOCS in the temp dir: the repository's bin/, which the
	// other tests run, is left alone.
	cmd := exec.Command("make", "-C", repoRoot(), "deb", "DEB="+deb, "BIN="+filepath.Join(tmp, "fsviews"), "DOCS="+filepath.Join(tmp, "docs"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make deb: %v\n%s", err, out)
	}
	h.exec(t, "dpkg", "-i", filepath.Join(inside, "pkg", "fsviews.deb"))
	files := h.exec(t, "dpkg", "-L", "fsviews")
	for _, f := range []string{"/usr/bin/fsviews", "/usr/share/man/man8/fsviews-run.8", "/usr/share/bash-completion/completions/fsviews", "/etc/fsviews"} {
		if !strings.Contains(files, f+"\n") {
			t.Errorf("the package lacks %s:\n%s", f, files)
		}
	}
	if out := h.exec(t, "/usr/bin/fsviews", "run", "minimal", "--", "/bin/sh", "-c", "echo jailed; ls /"); !strings.Contains(out, "jailed") {
		t.Errorf("fsviews run minimal from the package: %s", out)
	}
	if out := h.exec(t, "/usr/bin/fsviews", "--version"); !strings.HasPrefix(out, "fsviews ") {
		t.Errorf("fsviews --version from the package: %q", out)
	}
	h.exec(t, "dpkg", "-r", "fsviews")
}
