package jailstate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/audit"
)

// Options tune Take.
type Options struct {
	Walk audit.WalkOptions
	// Alive, for a running jail, says whether the process is still the
	// jail (same PID and start time). Take calls it once the jail's tmpfs
	// roots are open, so the fds are known to be the jail's, and again
	// after every root was read, so a jail that exited meanwhile (and a
	// PID reused by another process) does not pass for a checkpoint.
	Alive func() error

	// afterOpen, when set (by tests), runs between the two Alive calls.
	afterOpen func()
}

// Take reads every source into a manifest. pid is the jail's process, 0
// when it is not running (then sources must not be InJail). A state dir or
// bind that does not exist on the host yet (a baseline before the first
// start) is recorded as an empty root.
func Take(ctx context.Context, sources []Source, pid int, opt Options) (audit.Manifest, error) {
	m := audit.Manifest{Taken: time.Now().UTC(), Stopped: pid == 0}
	// Open the jail's roots first, all together, then check it is still
	// the jail: from then on the fds pin its mounts, whatever happens.
	inJail := map[string]*os.File{}
	defer func() {
		for _, f := range inJail {
			f.Close()
		}
	}()
	for _, s := range sources {
		if !s.InJail {
			continue
		}
		if pid <= 0 {
			return m, fmt.Errorf("bug: tmpfs %s listed for a jail that is not running", s.Name)
		}
		f, err := audit.OpenViewPath(pid, s.Name)
		if err != nil {
			return m, fmt.Errorf("%s %s: %w", s.Kind, s.Name, err)
		}
		inJail[s.Name] = f
	}
	if pid > 0 && opt.Alive != nil {
		if err := opt.Alive(); err != nil {
			return m, err
		}
	}
	if opt.afterOpen != nil {
		opt.afterOpen()
	}
	for _, s := range sources {
		r, err := take(ctx, s, inJail[s.Name], opt.Walk)
		if err != nil {
			return m, err
		}
		r.Kind, r.HostPath = s.Kind, s.HostPath
		m.Roots = append(m.Roots, r)
	}
	if pid > 0 && opt.Alive != nil {
		if err := opt.Alive(); err != nil {
			return m, err
		}
	}
	return m, nil
}

func take(ctx context.Context, s Source, jailFile *os.File, opt audit.WalkOptions) (audit.Root, error) {
	if jailFile != nil {
		return audit.WalkFD(ctx, s.Name, jailFile, opt)
	}
	if s.Beneath == "" {
		r, err := audit.Walk(ctx, s.Name, s.HostPath, opt)
		if errors.Is(err, os.ErrNotExist) {
			return audit.Root{Name: s.Name}, nil
		}
		return r, err
	}
	f, err := openBeneath(s.Beneath, s.HostPath)
	if errors.Is(err, os.ErrNotExist) {
		return audit.Root{Name: s.Name}, nil
	}
	if err != nil {
		return audit.Root{}, fmt.Errorf("%s %s: %w", s.Kind, s.Name, err)
	}
	defer f.Close()
	return audit.WalkFD(ctx, s.Name, f, opt)
}

// openBeneath opens the directory hostPath, which lies below base, without
// following a symlink below base: a jail that swapped a state dir (or a
// parent shared with another state dir) for a link cannot point the audit
// elsewhere. base itself is the admin's path and is resolved normally.
func openBeneath(base, hostPath string) (*os.File, error) {
	rel, ok := strings.CutPrefix(hostPath, strings.TrimSuffix(base, "/")+"/")
	if !ok {
		return nil, fmt.Errorf("bug: state dir %s is not below %s", hostPath, base)
	}
	bfd, err := unix.Open(base, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: base, Err: err}
	}
	defer unix.Close(bfd)
	how := unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	// EAGAIN: a concurrent rename raced the lookup; retry a few times.
	for try := 0; ; try++ {
		fd, err := unix.Openat2(bfd, rel, &how)
		if (err == unix.EAGAIN || err == unix.EINTR) && try < 16 {
			continue
		}
		if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
			return nil, fmt.Errorf("open %s: not a directory, or a symlink is in the way (planted by the jail?); fsviews does not follow it, inspect and remove it: %w", hostPath, err)
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: hostPath, Err: err}
		}
		return os.NewFile(uintptr(fd), hostPath), nil
	}
}
