package main

import (
	"os"
	"runtime"
	"slices"

	"github.com/fsviews/fsviews/launch"
)

// The hidden stages run on the main thread from their start. The jail's
// PID 1 drops its privileges on every thread with AllThreadsSyscall,
// which Go refuses in a binary that links C code (a race-detector build):
// there it drops them on the main thread alone, the thread /proc shows
// and kill(2) and ptrace(2) check (launch.dropInitPrivs). main.main
// starts on whichever thread the scheduler gives it unless an init
// function locks it to the main one, and a race build's extra goroutines
// made it start elsewhere now and then: PID 1 then refused to go on.
func init() {
	if len(os.Args) > 1 && slices.Contains(launch.Stages(), os.Args[1]) {
		runtime.LockOSThread()
	}
}
