package e2e

import (
	"fmt"
	"os"
	"testing"
)

// TestMain keeps every jail the tests start out of the host's registry
// (/run/fsviews/jails) and checkpoint store: fsviews run registers each
// jail, and a test run must leave nothing behind on the host. Tests that
// look at the registry set their own dirs (see auditEnv).
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fsviews-e2e-run-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Setenv("FSVIEWS_RUNTIME_DIR", dir)
	os.Setenv("FSVIEWS_CHECKPOINT_DIR", dir+"/checkpoints")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
