package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/privs"
	"github.com/fsviews/fsviews/profiles"
	"github.com/fsviews/fsviews/rlimits"
)

// usernsFlag is run's and check's --userns.
func usernsFlag() cli.Flag {
	return &cli.BoolFlag{Name: "userns", Usage: "build a rootless jail, in a new user namespace, even as root (the default without CAP_SYS_ADMIN); see docs/rootless.md"}
}

// wantUserNS says whether the view of p is built in a user namespace:
// when --userns or the profile's [namespaces] user asks for it, and
// whenever the caller lacks CAP_SYS_ADMIN, which a view outside one needs.
func wantUserNS(c *cli.Context, p *profiles.Profile) (bool, error) {
	if c.Bool("userns") || p.Namespaces.User {
		return true, nil
	}
	ok, err := privs.HasSysAdmin()
	if err != nil {
		return false, fmt.Errorf("check privileges: %w", err)
	}
	return !ok, nil
}

// unprivileged says whether the rootless defaults apply: a caller other
// than root cannot write /var/lib/fsviews or /run/fsviews, so its state
// and registry live under its own XDG directories (docs/rootless.md).
func unprivileged() bool { return os.Geteuid() != 0 }

// userStateRoot is the state root of an unprivileged caller:
// $XDG_STATE_HOME/fsviews, else ~/.local/state/fsviews (the XDG Base
// Directory spec ignores a relative XDG_STATE_HOME).
func userStateRoot() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "fsviews"), nil
	}
	if h := os.Getenv("HOME"); filepath.IsAbs(h) {
		return filepath.Join(h, ".local/state/fsviews"), nil
	}
	return "", fmt.Errorf("no state root for a rootless jail: neither XDG_STATE_HOME nor HOME is an absolute path; name one with --state-dir DIR or state_root in the profile")
}

// stateRootFor is where run keeps p's state dirs, and where the profile
// said so: --state-dir, the profile's state_root, the caller's XDG state
// dir when unprivileged, else "" (views' default, /var/lib/fsviews).
func stateRootFor(c *cli.Context, p *profiles.Profile) (string, error) {
	dir, err := absStateDir(c)
	if err != nil || dir != "" || p.StateRoot != "" || !unprivileged() {
		return dir, err
	}
	return userStateRoot()
}

// rootlessCheck lists what cannot work in p's rootless jail for this
// caller, with stateRoot the state root run would use.
func rootlessCheck(c *cli.Context, p *profiles.Profile) profiles.Problems {
	root, err := stateRootFor(c, p)
	key := "default state root"
	switch {
	case err != nil:
		return profiles.Problems{{Pos: p.Origin, Key: "state_root", Msg: err.Error()}}
	case root == "" && p.StateRoot != "":
		root = p.StateRoot
	case root == "":
		root = profiles.DefaultStateRoot
	}
	switch {
	case c.String("state-dir") != "":
		key = "--state-dir"
	case p.StateRoot != "":
		key = "state_root"
	}
	return profiles.Rootless(p, profiles.Caller{
		UID: os.Getuid(), GID: os.Getgid(),
		Access: func(path string, mode uint32) error {
			if err := unix.Access(path, mode); err != nil {
				return &os.PathError{Op: "access", Path: path, Err: err}
			}
			return nil
		},
		HardLimit: rlimits.Hard,
		StateRoot: root,
		StateKey:  key,
	})
}

// rootlessRun decides whether run builds a rootless jail and, if so,
// stops it before anything is built when the profile asks for what a
// rootless jail cannot do (the errors check reports) or no registry
// directory can be found.
func rootlessRun(c *cli.Context, ref string, p *profiles.Profile) (bool, error) {
	userns, err := wantUserNS(c, p)
	if err != nil {
		return false, cli.Exit(fmt.Sprintf("fsviews: %s: %v", ref, err), 125)
	}
	if !userns {
		return false, nil
	}
	probs := rootlessCheck(c, p)
	for _, pr := range probs {
		fmt.Fprintln(os.Stderr, pr)
	}
	if n := len(probs.Errors()); n > 0 {
		return false, cli.Exit(fmt.Sprintf("fsviews: %s: %d error%s for a rootless jail (docs/rootless.md); nothing was changed", ref, n, plural(n)), 125)
	}
	if unprivileged() && !c.IsSet("runtime-dir") && !filepath.IsAbs(os.Getenv("XDG_RUNTIME_DIR")) {
		if _, err := os.Stat(filepath.Dir(runtimeDir(c))); err != nil {
			return false, cli.Exit(fmt.Sprintf("fsviews: %s: no runtime directory to register the jail in: XDG_RUNTIME_DIR is not set and %v; set XDG_RUNTIME_DIR to a directory of yours, or pass --runtime-dir DIR", ref, err), 125)
		}
	}
	return true, nil
}
