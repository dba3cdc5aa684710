// Package sigcatch delivers signals to channels, as os/signal does, for
// the processes that pass them on to a jail: fsviews' supervisor, its
// init (PID 1 of the jail) and fsviews exec. Each catches some fifty
// signals at every start.
//
// os/signal enables each signal with a round trip to the Go runtime's
// signal thread (a channel send and a reply, two thread wake-ups): for
// fifty signals 0.2-2.4 ms on the jail's start-up, in two processes that
// share the CPUs with each other (docs/performance.md). Here, on x86-64,
// a handler of this package's own (a few instructions of assembly that
// write the signal's number to a pipe, which is async-signal-safe and
// touches nothing of the Go runtime) is installed with one rt_sigaction
// per signal, and a goroutine reads the pipe and sends each signal on
// the channels that asked for it. Elsewhere Notify and Stop are
// os/signal's.
//
// A process that uses this package for a signal must not use os/signal
// for the same signal: the Go runtime installs its handler only once, so
// after Notify here os/signal's channels never get that signal. Within
// fsviews' launch, every signal goes through here.
//
// As with os/signal, a channel that is full when a signal comes misses
// it, and a signal that comes again before it is read is delivered once
// or more (the kernel merges pending standard signals; the pipe may hold
// 64 KiB of them).
package sigcatch
