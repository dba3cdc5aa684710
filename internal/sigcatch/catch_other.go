//go:build !(linux && amd64)

package sigcatch

import (
	"os"
	"os/signal"
)

// Notify is os/signal's where this package has no handler of its own.
func Notify(c chan<- os.Signal, sigs ...os.Signal) error {
	signal.Notify(c, sigs...)
	return nil
}

// Stop is os/signal's where this package has no handler of its own.
func Stop(c chan<- os.Signal) { signal.Stop(c) }
