//go:build !linux

package seccomp

import (
	"errors"
	"runtime"
)

// Install fails: seccomp is a Linux feature.
func (p Program) Install() error { return p.InstallWith(0) }

// InstallWith fails: seccomp is a Linux feature.
func (p Program) InstallWith(InstallFlags) error {
	return errors.New("install seccomp filter: seccomp is Linux-only, this is " + runtime.GOOS)
}

// Available fails: seccomp is a Linux feature.
func Available() error {
	return errors.New("seccomp unavailable: seccomp is Linux-only, this is " + runtime.GOOS)
}
