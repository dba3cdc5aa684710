package e2e

import (
	"strings"
	"testing"
)

// A jail cannot exhaust the audit: 4,000 nested directories with 255-byte
// names in its state dir (quadratic in path bytes: 6.9 GB and 37 s before)
// and an 8 EiB sparse file in its tmpfs (still hashing after 60 s before).
// checkpoint ends, saves, and flags the part it did not walk; diff flags it
// too and exits 2.
func TestAuditWalkCannotBeExhausted(t *testing.T) {
	requireRoot(t)
	a := newAuditEnv(t)
	profile := writeProfile(t, hostDir(t), "deep", base+"[[state]]\ntarget = \"/var/lib/app\"\n[namespaces]\nnet = \"none\"\n")
	script := `python3 -c 'import os
os.chdir("/var/lib/app")
for i in range(4000):
    os.mkdir("n" * 255); os.chdir("n" * 255)' || exit 1
truncate -s 8E /tmp/huge && printf x | dd of=/tmp/huge bs=1 seek=4096 conv=notrunc status=none
echo ready; exec sleep 600`
	a.start(t, "run", "--state-dir", a.state, profile, "--", "/bin/sh", "-c", script)
	r := a.run(t, "checkpoint", "--label", "base", "deep")
	if r.code != 2 || !strings.Contains(r.stdout, "checkpoint base of jail deep:") ||
		!strings.Contains(r.stdout, "!! walk limit in /var/lib/app (base): ") ||
		!strings.Contains(r.stderr, "saved, but a walk limit cut it short") {
		t.Fatalf("checkpoint: %v", clipResult(r))
	}
	r = a.run(t, "diff", "--json", "deep")
	if r.code != 2 || !strings.Contains(r.stdout, `"limited"`) {
		t.Errorf("diff --json: %v", clipResult(r))
	}
	r = a.run(t, "diff", "deep")
	if r.code != 2 || !strings.Contains(r.stdout, "!! walk limit in /var/lib/app (now)") {
		t.Errorf("diff: %v", clipResult(r))
	}
}

// clipResult keeps a failing result readable: the deep paths are long.
func clipResult(r result) string {
	s := r.String()
	if len(s) > 4000 {
		s = s[:4000] + "..."
	}
	return s
}
