package learn

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Options says what to learn and for how long.
type Options struct {
	Command []string // the daemon and its arguments
	Workdir string   // its working directory; "" is /
	// User runs the daemon as this user (name or number) and its primary
	// group; "" runs it as root.
	User string
	// Duration bounds the run; 0 runs until the daemon exits or fsviews
	// learn is interrupted (SIGINT, SIGTERM).
	Duration time.Duration
	// StopSignal is sent to the daemon to end the run (default SIGTERM);
	// after Grace (default 10s) everything left is killed.
	StopSignal syscall.Signal
	Grace      time.Duration
	// Self is the fsviews binary, re-executed for the learning stages
	// ("/proc/self/exe" when empty).
	Self string
	// Stdout is the daemon's stdout; nil is fsviews' stderr (its stderr
	// always is), when fsviews' stdout carries the profile.
	Stdout *os.File `json:"-"`
}

// Stage names: the hidden commands fsviews re-executes itself as.
// StageView runs as PID 1 of the learning namespaces and watches;
// StageExec enters the view and becomes the daemon.
const (
	StageView = "_view"
	StageExec = "_exec"
)

// Observe runs the daemon once in the learning view (see the package
// documentation) and returns what it saw. The daemon's stdin and stderr
// are fsviews', its stdout opt.Stdout. SIGINT and SIGTERM to the caller end the run
// gracefully: they are passed on as opt.StopSignal.
func Observe(opt Options) (*Observations, error) {
	if len(opt.Command) == 0 {
		return nil, errors.New("learn: no command: give the daemon after --")
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("learn: needs root: the learning view is an overlay of the host's root file system, which only root can mount; run it with sudo")
	}
	if !filepath.IsAbs(opt.Command[0]) {
		// The lower layer is the host's root: the host's lookup is the view's.
		path, err := lookPath(opt.Command[0])
		if err != nil {
			return nil, fmt.Errorf("learn: %w", err)
		}
		opt.Command = append([]string{path}, opt.Command[1:]...)
	}
	if opt.User != "" {
		if _, err := lookupUser(opt.User); err != nil {
			return nil, fmt.Errorf("learn: --user %s: %w", opt.User, err)
		}
	}
	if opt.Self == "" {
		opt.Self = "/proc/self/exe"
	}
	cfg, err := json.Marshal(opt)
	if err != nil {
		return nil, fmt.Errorf("learn: %w", bug(err))
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("learn: pipe: %w", err)
	}
	defer r.Close()
	cmd := exec.Command(opt.Self, "learn", StageView, string(cfg))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, opt.Stdout, os.Stderr
	if opt.Stdout == nil {
		cmd.Stdout = os.Stderr
	}
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// A mount namespace for the overlay, a PID namespace so that the
		// whole daemon dies with the watcher, its PID 1; IPC and UTS of
		// its own, as learned profiles give it.
		Cloneflags: unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS,
		Pdeathsig:  syscall.SIGKILL,
		// Its own process group: Ctrl-C reaches fsviews learn alone,
		// and the daemon gets the stop signal only.
		Setpgid: true,
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, fmt.Errorf("learn: start the learning view: %w", err)
	}
	w.Close()
	go func() {
		for s := range sigs {
			cmd.Process.Signal(s)
		}
	}()
	var obs Observations
	decErr := json.NewDecoder(r).Decode(&obs)
	waitErr := cmd.Wait()
	if waitErr != nil {
		return nil, fmt.Errorf("learn: the learning view failed (its message is above): %w", waitErr)
	}
	if decErr != nil {
		return nil, fmt.Errorf("learn: read the observations: %w", decErr)
	}
	return &obs, nil
}

// lookPath finds name in Environ's PATH, as the daemon's jail will.
func lookPath(name string) (string, error) {
	for _, dir := range filepath.SplitList(strings.TrimPrefix(Environ()[0], "PATH=")) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s is not in PATH (%s): give its absolute path", name, strings.TrimPrefix(Environ()[0], "PATH="))
}

// lookupUser resolves a user name or number to "UID:GID".
func lookupUser(name string) (string, error) {
	u, err := user.Lookup(name)
	if err != nil {
		if u, err = user.LookupId(name); err != nil {
			return "", fmt.Errorf("no such user on this host: %w", err)
		}
	}
	return u.Uid + ":" + u.Gid, nil
}

// bug marks an impossible state.
func bug(err error) error { return fmt.Errorf("bug: %w", err) }
