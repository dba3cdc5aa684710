package main

import (
	"crypto/sha256"
	"encoding/hex"
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
	planJSON, err := plan.AppendJSON(nil)
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

// execRegistered runs plan as jail name: it makes the jail's record
// (profile hashes, the plan as JSON, the sources) and opens the
// registry's directory, and hands both to the launch, which writes the
// record on its own thread (see launch.Registration): in place right
// after unshare, so a jail that could not be registered never runs,
// supervised once PID 1 exists. Adding the record refuses a name a live
// jail holds, before anything is built. Nothing calls back into this
// package.
func execRegistered(reg registry.Registry, name string, p *profiles.Profile, plan *views.Plan, l profiles.Loader) error {
	if err := registry.ValidName(name); err != nil {
		return &launch.Error{Code: 125, Err: fmt.Errorf("--name: %w", err)}
	}
	// A name a live jail holds is refused when the launch adds the
	// record (registry.RunningError), before anything of this jail is
	// built or runs: in place right after unshare, supervised before PID 1
	// has its job. No check of it here first: it read and decoded the
	// previous record once more on every start.
	rec, err := jailRecord(name, p, plan, l)
	if err != nil {
		return &launch.Error{Code: 125, Err: err}
	}
	held, err := reg.Hold()
	if err != nil {
		return &launch.Error{Code: 125, Err: fmt.Errorf("register jail %s: %w", name, err)}
	}
	defer held.Release()
	return launch.ExecWith(plan, os.Environ(), launch.Options{
		Register: &launch.Registration{Registry: held, Record: rec},
		Warnings: os.Stderr,
	})
}
