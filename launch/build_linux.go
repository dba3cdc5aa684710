package launch

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/mounts"
	"github.com/fsviews/fsviews/views"
)

// build runs the plan's ops against a new root and returns it, attached
// over "/" and ready for pivot_root. relayFD is the notify relay's socket
// for a notify-relay op, -1 when there is none.
func build(plan *views.Plan, relayFD int) (*mounts.Root, error) {
	var root *mounts.Root
	// The policies sources are opened with, worked out once: each asks
	// the kernel for the caller's uid, and a view may have a thousand
	// binds.
	links := map[bool]mounts.Links{false: mounts.SourceLinks(plan.UserNS, false), true: mounts.SourceLinks(plan.UserNS, true)}
	for _, op := range plan.Ops {
		var err error
		if op.Kind == views.MakeRoot {
			root, err = mounts.NewRoot(op.Size, uint32(op.Mode))
		} else if root == nil {
			err = errors.New("bug: plan does not start with the root")
		} else if op.Kind == views.NotifyRelay {
			err = bindRelay(root, op, relayFD)
		} else {
			err = apply(root, plan, op, links)
		}
		if err != nil {
			if op.Origin != "" && !strings.HasPrefix(op.Origin, "(") {
				return nil, fmt.Errorf("%s: %s %s: %w", op.Origin, op.Kind, op.Target, err)
			}
			return nil, fmt.Errorf("%s %s: %w", op.Kind, op.Target, err)
		}
	}
	if root == nil {
		return nil, errors.New("bug: empty plan")
	}
	return root, nil
}

func apply(root *mounts.Root, plan *views.Plan, op views.Op, links map[bool]mounts.Links) error {
	switch op.Kind {
	case views.Mkdir:
		return root.Mkdir(op.Target, uint32(op.Mode))
	case views.Symlink:
		return root.Symlink(op.Target, op.Link)
	case views.File:
		if op.Source == "" {
			return root.WriteFile(op.Target, op.Content, nil, uint32(op.Mode))
		}
		// O_NONBLOCK: a FIFO swapped in for the source fails the check
		// below instead of blocking fsviews until a writer shows up.
		src, err := mounts.OpenSource(op.Source, unix.O_RDONLY|unix.O_NONBLOCK, mounts.SourceLinks(plan.UserNS, op.Follow))
		if err != nil {
			return fmt.Errorf("copy into %s: %w", op.Target, err)
		}
		defer src.Close()
		if fi, err := src.Stat(); err != nil || !fi.Mode().IsRegular() {
			return fmt.Errorf("copy into %s: source %s is not a regular file (%v)", op.Target, op.Source, err)
		}
		return root.WriteFile(op.Target, op.Content, src, uint32(op.Mode))
	case views.RemountRO:
		return root.SetReadOnly()
	case views.Bind:
		src, err := mounts.OpenBindSource(op.Source, links[op.Follow])
		if errors.Is(err, os.ErrNotExist) && op.Optional {
			return nil
		}
		if err != nil {
			return fmt.Errorf("source: %w", err)
		}
		attrs := mounts.NoSuid | mounts.NoDev
		if op.ReadOnly {
			attrs |= mounts.ReadOnly
		}
		tree, err := mounts.CloneSource(src, attrs)
		src.Close() // the tree holds what it needs of the source
		if err != nil {
			return err
		}
		return root.Attach(tree, op.Target, src.Kind())
	case views.Socket:
		return bindSocket(root, plan, op)
	case views.DevNode:
		// Device nodes only work without nodev; they are single files
		// the kernel itself makes harmless (null, zero, ...).
		tree, err := mounts.Clone(op.Source, mounts.NoSuid|mounts.NoExec)
		if err != nil {
			return err
		}
		return root.Attach(tree, op.Target, mounts.RegularFile)
	case views.State:
		dir, err := mounts.OpenState(plan.StateDir, strings.TrimPrefix(op.Target, "/"), uint32(op.Mode), op.UID, op.GID)
		if err != nil {
			return err
		}
		defer dir.Close()
		tree, err := mounts.CloneFD(dir, mounts.NoSuid|mounts.NoDev)
		if err != nil {
			return err
		}
		return root.Attach(tree, op.Target, mounts.Directory)
	case views.Tmpfs:
		tree, err := mounts.NewFS("tmpfs", mounts.OwnedTmpfsOptions(op.Size, uint32(op.Mode), op.UID, op.GID), mounts.NoSuid|mounts.NoDev)
		if err != nil {
			return err
		}
		return root.Attach(tree, op.Target, mounts.Directory)
	case views.Proc:
		opts := map[string]string{}
		for _, o := range op.Options {
			k, v, _ := strings.Cut(o, "=")
			opts[k] = v
		}
		tree, err := mounts.NewFS("proc", opts, mounts.NoSuid|mounts.NoDev|mounts.NoExec)
		if err != nil {
			return err
		}
		return root.Attach(tree, op.Target, mounts.Directory)
	case views.Rebind:
		found, err := root.Rebind(op.Target, op.ReadOnly)
		return missing(op, found, err)
	case views.Mask:
		found, err := root.Mask(op.Target)
		return missing(op, found, err)
	case views.Devpts:
		tree, err := mounts.NewFS("devpts", map[string]string{"ptmxmode": "0666", "mode": "0620"}, mounts.NoSuid|mounts.NoExec)
		if err != nil {
			return err
		}
		return root.Attach(tree, op.Target, mounts.Directory)
	}
	return fmt.Errorf("bug: unknown op %q in %s", op.Kind, path.Base(plan.Profile))
}

// missing turns an absent target into an error unless the op is optional:
// which /proc files exist depends on the kernel's configuration.
func missing(op views.Op, found bool, err error) error {
	if err == nil && !found && !op.Optional {
		return fmt.Errorf("%s is not in the view", op.Target)
	}
	return err
}
