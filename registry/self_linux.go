package registry

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ThreadNamespaces returns the namespace inodes of the calling OS thread,
// read from /proc/thread-self/ns. The caller must have locked its goroutine
// to the thread (runtime.LockOSThread), or the answer is some other
// thread's.
func ThreadNamespaces() (map[string]uint64, error) {
	return namespacesIn("/proc/thread-self/ns")
}

// AddSelf registers the calling process as jail rec.Name from the thread
// that is about to execve the daemon: fsviews run calls it (through
// launch.Registration) right after unshare, before the view is
// built. PID and StartTime are this process's; Namespaces, when nil, are
// the calling thread's (see ThreadNamespaces).
//
// Why not Add: unshare(2) on a locked thread moves that thread only, and it
// need not be the thread-group leader, whose links /proc/PID/ns shows. Until
// execve (which makes the exec'ing thread the leader, keeping the PID and
// the start time) /proc/PID/ns/mnt may still show the host's namespace, so
// Add's check would call the record drifted. AddSelf checks the PID and
// start time only; from execve on, List and Get check the namespaces too.
// In the moment before execve a concurrent `fsviews ps` may therefore see
// the new record as drift, alive: never stale, so never pruned.
//
// Nothing stays behind to remove the record when the daemon exits (it
// replaced fsviews in the same process): the record goes stale and List
// reports it, Add of the same name replaces it, and Prune deletes it. A
// caller that does stay (a supervisor) calls Remove(name, pid) on exit.
func (r Registry) AddSelf(rec Record) error {
	rec.PID = os.Getpid()
	if rec.Namespaces == nil {
		ns, err := ThreadNamespaces()
		if err != nil {
			return fmt.Errorf("register jail %s: %w", rec.Name, err)
		}
		rec.Namespaces = ns
	}
	// The record names this very process, alive by definition: no
	// second read of its stat (add read its start time just now).
	return r.add(rec, func(Record) (Health, string) { return Running, "" })
}

// Prune removes the stale records and returns them. A live jail's record,
// Running or Drift, is never removed. A record that turned live again
// meanwhile (a new jail took the name) is left alone: Remove
// deletes a record only while it names the same PID.
func (r Registry) Prune() ([]Entry, error) {
	entries, err := r.List()
	if err != nil {
		return nil, err
	}
	var pruned []Entry
	for _, e := range entries {
		if e.Health != Stale {
			continue
		}
		if err := r.removeStale(e); err != nil {
			return pruned, err
		}
		pruned = append(pruned, e)
	}
	return pruned, nil
}

// removeStale deletes the record of e under the lock if it is still the
// same stale record (same PID and start time, still not running).
func (r Registry) removeStale(e Entry) error {
	dirfd, unlock, err := r.lock()
	if err != nil {
		return fmt.Errorf("prune jail %s: %w", e.Name, err)
	}
	defer unlock()
	rec, err := r.readRecord(dirfd, e.Name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil {
		if rec.PID != e.PID || rec.StartTime != e.StartTime {
			return nil // replaced by a new jail since List
		}
		if h, _ := check(rec); h.Alive() {
			return nil // alive after all: a live jail is never pruned
		}
	}
	// A corrupt record (err != nil) is stale by definition: remove it too.
	if err := unlinkRecord(dirfd, r.Dir, e.Name); err != nil {
		return fmt.Errorf("prune jail %s: %w", e.Name, err)
	}
	return nil
}
