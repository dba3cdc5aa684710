//go:build linux && (!amd64 || race)

package launch

import "syscall"

// cloneDaemon forks where fsviews has no clone(CLONE_VM) trampoline for
// the architecture (spawn_linux_amd64.s), and in the race detector's
// build: the child then copies the init's page tables, which costs time
// but changes nothing else.
func cloneDaemon(s *spawnJob) (int, syscall.Errno) { return forkDaemon(s) }
