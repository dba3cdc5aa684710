package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/inspect"
	"github.com/fsviews/fsviews/launch"
	"github.com/fsviews/fsviews/profiles"
	"github.com/fsviews/fsviews/registry"
	"github.com/fsviews/fsviews/views"
)

// jailRecord is what fsviews run registers about the jail it is about to
// start; PID, start time and namespaces are filled in by registry.AddSelf
// from the launching thread, after unshare.
func jailRecord(name string, p *profiles.Profile, plan *views.Plan, l profiles.Loader) (registry.Record, error) {
	rec := registry.Record{Name: name, Started: time.Now().UTC(), ProfilePath: absProfilePath(p.Origin.File)}
	for _, f := range p.FilesRead {
		sum, err := hashProfileFile(f, l.Library)
		if err != nil {
			return rec, fmt.Errorf("hash profile file %s: %w", f, err)
		}
		rec.ProfileFiles = append(rec.ProfileFiles, registry.FileHash{Path: absProfilePath(f), SHA256: sum})
		if f == p.Origin.File {
			rec.ProfileSHA256 = sum
		}
	}
	planJSON, err := json.Marshal(plan)
	if err != nil {
		return rec, fmt.Errorf("record plan: %w", err)
	}
	rec.Plan = planJSON
	// Each source as the launch opens it, by device and inode, for
	// inspect to tell a source swapped after the start. One the launch
	// cannot open makes it fail, and is left out here.
	for _, src := range inspect.ReadSources(plan) {
		if src.Err == "" {
			rec.Sources = append(rec.Sources, src.Source)
		}
	}
	for _, op := range plan.Ops {
		if op.Kind == views.State {
			if rec.StateDirs == nil {
				rec.StateDirs = map[string]string{}
			}
			rec.StateDirs[op.Target] = op.Source
		}
	}
	return rec, nil
}

// absStateDir returns the --state-dir flag as an absolute path: the plan
// is recorded for the audit commands, which run from another directory.
func absStateDir(c *cli.Context) (string, error) {
	dir := c.String("state-dir")
	if dir == "" {
		return "", nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("--state-dir %s: %w", dir, err)
	}
	return abs, nil
}

// absProfilePath makes a profile file name absolute unless it is a bundled
// one ("library:NAME"), for the record.
func absProfilePath(name string) string {
	if strings.HasPrefix(name, "library:") {
		return name
	}
	if abs, err := filepath.Abs(name); err == nil {
		return abs
	}
	return name
}

// hashProfileFile hashes a file as profiles.Profile.FilesRead names it: a
// host path, or "library:NAME" for a bundled profile.
func hashProfileFile(name string, lib fs.FS) (string, error) {
	var data []byte
	var err error
	if rest, ok := strings.CutPrefix(name, "library:"); ok {
		data, err = fs.ReadFile(lib, rest)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// execRegistered runs plan as jail name: it refuses a name a live jail
// holds before building anything, then registers the jail. In place, the
// record (profile hashes, the plan as JSON) is made on another thread
// while the launch checks the host, and written there while the view is
// built: the launching thread reads its new namespaces right after
// unshare (so the recorded mount namespace is the jail's) and hands them
// over, and waits for the write before it executes the daemon, so a jail
// that could not be registered never runs. Nothing remains to remove the
// record when the daemon exits, so it goes stale (see fsviews ps), and
// only a failed launch removes it here. Supervised (pid = true), the
// record names the jail's PID 1 and is removed here when the jail has
// ended.
func execRegistered(reg registry.Registry, name string, p *profiles.Profile, plan *views.Plan, l profiles.Loader) error {
	if err := registry.ValidName(name); err != nil {
		return &launch.Error{Code: 125, Err: fmt.Errorf("--name: %w", err)}
	}
	if e, err := reg.Get(name); err == nil && e.Health.Alive() {
		drift := ""
		if e.Health == registry.Drift {
			drift = fmt.Sprintf("; it is alive but drifted, %s (fsviews inspect %s)", e.Why, name)
		}
		return &launch.Error{Code: 125, Err: fmt.Errorf("jail %s is already running as PID %d (profile %s)%s; give this one another --name, or stop that one first (fsviews ps lists the jails): two jails of one name would share its state dirs", name, e.PID, e.ProfilePath, drift)}
	}
	if plan.PID {
		return execSupervised(reg, name, p, plan, l)
	}
	namespaces := make(chan map[string]uint64, 1)
	written := make(chan error, 1)
	go func() {
		rec, err := jailRecord(name, p, plan, l)
		ns, ok := <-namespaces
		if !ok {
			return // the launch failed before unshare: nothing to register
		}
		if err == nil {
			rec.Namespaces = ns
			err = reg.AddSelf(rec)
		}
		written <- err
	}()
	handedOver, waited := false, false
	var writeErr error
	wait := func() error {
		if !waited {
			writeErr, waited = <-written, true
		}
		return writeErr
	}
	err := launch.ExecWith(plan, os.Environ(), launch.Options{
		AfterUnshare: func() error {
			ns, err := registry.ThreadNamespaces()
			if err != nil {
				return fmt.Errorf("register jail %s: %w", name, err)
			}
			namespaces <- ns
			handedOver = true
			return nil
		},
		BeforeExec: wait,
		Warnings:   os.Stderr,
	})
	// Only a failed launch returns.
	if !handedOver {
		close(namespaces)
		return err
	}
	if wait() == nil {
		// The record names a process that will never be the jail. This
		// goroutine is still locked to the launching thread, which may
		// have pivoted into the view already: the registry is not at its
		// path there. A new goroutine runs on another thread, which never
		// left the host's namespace and root.
		removeRecord(reg, name, os.Getpid())
	}
	return err
}

// execSupervised runs plan with a PID namespace: the record names the
// jail's PID 1 and is removed when the jail has ended.
func execSupervised(reg registry.Registry, name string, p *profiles.Profile, plan *views.Plan, l profiles.Loader) error {
	rec, err := jailRecord(name, p, plan, l)
	if err != nil {
		return &launch.Error{Code: 125, Err: err}
	}
	registeredPID := 0
	err = launch.ExecWith(plan, os.Environ(), launch.Options{
		Started: func(pid int) error {
			rec.PID = pid
			if err := reg.Add(rec); err != nil {
				return err
			}
			registeredPID = pid
			return nil
		},
		Warnings: os.Stderr,
	})
	if registeredPID != 0 {
		removeRecord(reg, name, registeredPID)
	}
	return err
}

// removeRecord removes the record of name for pid, from a new goroutine:
// the caller may be locked to a thread that left the host's root.
func removeRecord(reg registry.Registry, name string, pid int) {
	done := make(chan error)
	go func() { done <- reg.Remove(name, pid) }()
	if err := <-done; err != nil {
		fmt.Fprintf(os.Stderr, "fsviews: %v\n", err)
	}
}
