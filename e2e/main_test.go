package e2e

import (
	"fmt"
	"os"
	"testing"
)

// binary is built at most once per test run; TestMain removes it.
var binary testBinary

// TestMain keeps every jail the tests start out of the host's registry
// (/run/fsviews/jails) and checkpoint store: fsviews run registers each
// jail, and a test run must leave nothing behind on the host. Tests that
// look at the registry set their own dirs (see auditEnv). For the same
// reason it removes the fsviews binary the tests built when FSVIEWS_BIN
// was not set.
func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "fsviews-e2e-run-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(dir)
	defer func() {
		if err := binary.remove(); err != nil {
			fmt.Fprintln(os.Stderr, "remove the test binary:", err)
		}
	}()
	os.Setenv("FSVIEWS_RUNTIME_DIR", dir)
	os.Setenv("FSVIEWS_CHECKPOINT_DIR", dir+"/checkpoints")
	return m.Run()
}
