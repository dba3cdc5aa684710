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
// holds before building anything, then registers the jail. In place, that
// happens from the launching thread right after unshare (so the recorded
// mount namespace is the jail's); nothing remains to remove the record
// when the daemon exits, so it goes stale (see fsviews ps), and only a
// failed launch removes it here. Supervised (pid = true), the record names
// the jail's PID 1 and is removed here when the jail has ended.
func execRegistered(reg registry.Registry, name string, p *profiles.Profile, plan *views.Plan, l profiles.Loader) error {
	if err := registry.ValidName(name); err != nil {
		return &launch.Error{Code: 125, Err: fmt.Errorf("--name: %w", err)}
	}
	if e, err := reg.Get(name); err == nil && e.Health == registry.Running {
		return &launch.Error{Code: 125, Err: fmt.Errorf("jail %s is already running as PID %d (profile %s); give this one another --name, or stop that one first (fsviews ps lists the jails)", name, e.PID, e.ProfilePath)}
	}
	rec, err := jailRecord(name, p, plan, l)
	if err != nil {
		return &launch.Error{Code: 125, Err: err}
	}
	registeredPID := 0
	err = launch.ExecWith(plan, os.Environ(), launch.Options{
		AfterUnshare: func() error {
			if err := reg.AddSelf(rec); err != nil {
				return err
			}
			registeredPID = os.Getpid()
			return nil
		},
		// Supervised (pid = true): the record names the jail's PID 1, and
		// the supervisor removes it when the jail is gone.
		Started: func(pid int) error {
			rec.PID = pid
			if err := reg.Add(rec); err != nil {
				return err
			}
			registeredPID = pid
			return nil
		},
	})
	// In place, only a failed launch returns: the record, if written,
	// names a process that will never be the jail. Supervised, the jail
	// has ended.
	if registeredPID != 0 {
		// This goroutine is still locked to the launching thread, which may
		// have pivoted into the view already: the registry is not at its
		// path there. A new goroutine runs on another thread, which never
		// left the host's namespace and root.
		done := make(chan error)
		go func() { done <- reg.Remove(name, registeredPID) }()
		if rmErr := <-done; rmErr != nil {
			fmt.Fprintf(os.Stderr, "fsviews: %v\n", rmErr)
		}
	}
	return err
}
