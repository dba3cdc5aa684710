package oci

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/mounts"
	"github.com/fsviews/fsviews/views"
)

// HostSources resolves bind sources as fsviews run does at start: the
// path opened one component at a time without following links (except
// the last with follow), and the file it leads to. It changes nothing on
// the host: state dirs resolve to their path, and MakeStateDirs creates
// them once everything else has succeeded.
func HostSources(plan *views.Plan) Resolve {
	return func(op views.Op) (string, error) {
		if op.Kind == views.State {
			return op.Source, nil
		}
		src, err := mounts.OpenSource(op.Source, unix.O_PATH, mounts.SourceLinks(plan.UserNS, op.Follow))
		if errors.Is(err, os.ErrNotExist) && op.Optional {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		defer src.Close()
		// The path of what was opened: with follow, where the link led.
		return os.Readlink("/proc/self/fd/" + strconv.Itoa(int(src.Fd())))
	}
}

// MakeStateDirs creates the plan's state dirs as fsviews run does
// (mounts.OpenState: the profile's owner and mode, no link followed below
// the jail's directory), since a runtime does not.
func MakeStateDirs(plan *views.Plan) error {
	for _, op := range plan.Ops {
		if op.Kind != views.State {
			continue
		}
		dir, err := mounts.OpenState(plan.StateDir, strings.TrimPrefix(op.Target, "/"), uint32(op.Mode), op.UID, op.GID)
		if err != nil {
			return fmt.Errorf("state dir %s (%s): %w", op.Target, op.Origin, err)
		}
		dir.Close()
	}
	return nil
}

// Remove deletes what Write wrote into dir, for a caller whose next step
// failed.
func Remove(dir string) error {
	if err := os.Remove(filepath.Join(dir, "config.json")); err != nil {
		return err
	}
	return os.RemoveAll(filepath.Join(dir, "rootfs"))
}

// Write creates the bundle in dir: config.json and rootfs with the
// skeleton. dir must be new or empty, so that nothing of an older bundle
// (a file the old profile wrote, a mount point) survives into this one.
func Write(dir string, b *Bundle) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("bundle directory: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("bundle directory: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("bundle directory %s is not empty: remove it (rm -r %s) or name a new one", dir, dir)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("bundle directory: %w", err)
	}
	defer root.Close()
	js, err := json.MarshalIndent(b.Spec, "", "\t")
	if err != nil {
		return fmt.Errorf("config.json: %w", err)
	}
	if err := root.WriteFile("config.json", append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(dir, "config.json"), err)
	}
	if err := root.Mkdir("rootfs", 0o700); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(dir, "rootfs"), err)
	}
	for _, op := range b.Skeleton {
		if err := writeOp(root, op); err != nil {
			return fmt.Errorf("%s: %s %s (%s): %w", filepath.Join(dir, "rootfs"), op.Kind, op.Target, op.Origin, err)
		}
	}
	// Last, so that a failed write leaves a directory no runtime can use
	// by accident only with a private 0700 root.
	if err := root.Chmod("rootfs", os.FileMode(b.RootMode)); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(dir, "rootfs"), err)
	}
	return nil
}

// writeOp writes one skeleton entry below dir/rootfs; os.Root keeps every
// path inside the bundle.
func writeOp(root *os.Root, op views.Op) error {
	name := path.Join("rootfs", op.Target)
	switch op.Kind {
	case views.Mkdir:
		if err := root.Mkdir(name, 0o700); err != nil {
			return err
		}
		return root.Chmod(name, os.FileMode(op.Mode))
	case views.Symlink:
		return root.Symlink(op.Link, name)
	case views.File:
		f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := copyContent(f, op); err != nil {
			return err
		}
		if err := f.Chmod(os.FileMode(op.Mode)); err != nil {
			return err
		}
		return f.Close()
	}
	return fmt.Errorf("bug: %s is not a skeleton op", op.Kind)
}

func copyContent(f *os.File, op views.Op) error {
	if op.Source == "" {
		_, err := io.WriteString(f, op.Content)
		return err
	}
	src, err := mounts.OpenSource(op.Source, unix.O_RDONLY|unix.O_NONBLOCK, mounts.SourceLinks(false, op.Follow))
	if err != nil {
		return fmt.Errorf("copy of %s: %w", op.Source, err)
	}
	defer src.Close()
	if fi, err := src.Stat(); err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("copy of %s: not a regular file (%v)", op.Source, err)
	}
	_, err = io.Copy(f, src)
	return err
}
