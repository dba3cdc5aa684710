package e2e

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
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
	// Under nohup (or any caller that ignores them) SIGHUP and SIGINT
	// would be ignored by every fsviews and daemon the tests start,
	// since an ignored signal stays ignored across execve, and the
	// signal tests would fail. A handler here, which execve resets to
	// the default in children, gives them the default dispositions;
	// this process goes on ignoring what it receives, as nohup asked.
	for _, sig := range []os.Signal{syscall.SIGHUP, syscall.SIGINT} {
		if signal.Ignored(sig) {
			signal.Notify(make(chan os.Signal, 1), sig)
		}
	}
	os.Setenv("FSVIEWS_RUNTIME_DIR", dir)
	os.Setenv("FSVIEWS_CHECKPOINT_DIR", dir+"/checkpoints")
	return m.Run()
}
