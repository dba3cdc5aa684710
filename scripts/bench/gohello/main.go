// Command gohello is the start-up floor of a Go launcher: with no
// arguments it does nothing (the Go runtime's own start and exit); with
// "exec" it locks its thread and executes /bin/true, as fsviews does at
// the end of a run, so its time is the least any Go program that ends in
// execve can take.
package main

import (
	"os"
	"runtime"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "exec" {
		runtime.LockOSThread()
		err := syscall.Exec("/bin/true", []string{"/bin/true"}, nil)
		os.Stderr.WriteString("gohello: exec /bin/true: " + err.Error() + "\n")
		os.Exit(126)
	}
}
