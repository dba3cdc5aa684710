package launch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// hostCommand finds the command on the host, before the view hides it,
// so that a command missing from the view can be explained.
func hostCommand(name string, env []string) string {
	if p, err := search(name, env); err == nil {
		return p
	}
	return ""
}

// lookPath finds the command inside the view (after pivot_root, paths are
// the view's). onHost says where it was on the host, for the message.
func lookPath(name string, env []string, onHost string) (string, error) {
	p, err := search(name, env)
	if err == nil {
		return p, nil
	}
	if errors.Is(err, errNotExecutable) {
		return "", &Error{Code: 126, Err: fmt.Errorf("command %s is in the view but not executable: %w", name, err)}
	}
	if onHost != "" {
		return "", &Error{Code: 127, Err: fmt.Errorf("command %s not found inside the view, but it exists on the host at %s: bind its directory (and its libraries) into the view", name, onHost)}
	}
	return "", &Error{Code: 127, Err: fmt.Errorf("command %s not found inside the view nor on the host: install it, or fix the command", name)}
}

var errNotExecutable = errors.New("permission denied")

// search resolves name like execvp: a path is taken as is, a bare name is
// looked up in the daemon's PATH.
func search(name string, env []string) (string, error) {
	if strings.ContainsRune(name, '/') {
		return name, executable(name)
	}
	pathVar := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathVar = v
		}
	}
	var firstErr error = os.ErrNotExist
	for _, dir := range filepath.SplitList(pathVar) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		err := executable(p)
		if err == nil {
			return p, nil
		}
		if errors.Is(err, errNotExecutable) && errors.Is(firstErr, os.ErrNotExist) {
			firstErr = err
		}
	}
	return "", firstErr
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s: %w", p, errNotExecutable)
	}
	return nil
}
