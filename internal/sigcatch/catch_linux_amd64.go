package sigcatch

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The assembly (handler_linux_amd64.s): called by the kernel, never by Go.
func handler()
func restorer()
func handlerPCs() (handler, restorer uintptr)

// writeFD is the write end of the pipe that handler writes to. A signal
// handler gets nothing from the kernel but the signal, so this is state
// of the whole process, like its signal dispositions: set once, before
// the first handler is installed, and never again; the handler reads it
// without a lock, on any thread, between any two instructions.
var writeFD int32 = -1

// catcher is the rest of that state: the pipe's reader and who wants
// which signal.
var catcher struct {
	once  sync.Once
	err   error
	mu    sync.Mutex
	wants map[syscall.Signal][]chan<- os.Signal
}

// Flags of the kernel's struct sigaction (uapi asm/signal.h), which
// x/sys/unix does not export.
const (
	saOnstack  = 0x08000000
	saRestart  = 0x10000000
	saRestorer = 0x04000000
)

// Notify makes the process catch each of sigs, from now on sending
// every one that comes on c as well as on the channels that asked for it
// before. It fails for a signal that cannot be caught or is not one.
func Notify(c chan<- os.Signal, sigs ...os.Signal) error {
	catcher.once.Do(start)
	if catcher.err != nil {
		return catcher.err
	}
	h, r := handlerPCs()
	// handler, flags, restorer, mask: every signal blocked while the
	// handler runs, as the Go runtime's own are.
	act := [4]uint64{uint64(h), saOnstack | saRestart | saRestorer, uint64(r), ^uint64(0)}
	catcher.mu.Lock()
	defer catcher.mu.Unlock()
	for _, s := range sigs {
		sig, ok := s.(syscall.Signal)
		if !ok || sig <= 0 || sig > 64 {
			return fmt.Errorf("catch signal %v: not a signal number from 1 to 64", s)
		}
		if !slices.Contains(catcher.wants[sig], c) {
			catcher.wants[sig] = append(catcher.wants[sig], c)
		}
		if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0); e != 0 {
			return fmt.Errorf("catch signal %d (%s): rt_sigaction: %w", int(sig), unix.SignalName(sig), e)
		}
	}
	return nil
}

// Stop sends c no more signals. A signal no channel wants any more gets
// its default action back, as after os/signal's Stop.
func Stop(c chan<- os.Signal) {
	catcher.mu.Lock()
	defer catcher.mu.Unlock()
	for sig, chans := range catcher.wants {
		chans = slices.DeleteFunc(chans, func(w chan<- os.Signal) bool { return w == c })
		if len(chans) > 0 {
			catcher.wants[sig] = chans
			continue
		}
		delete(catcher.wants, sig)
		var dfl [4]uint64 // SIG_DFL, no flags, no mask
		unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0)
	}
}

// start makes the pipe and its reader. The read end blocks (its reader
// parks a thread, as os/signal's does); the write end does not.
func start() {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		catcher.err = fmt.Errorf("catch signals: pipe: %w", err)
		return
	}
	if err := unix.SetNonblock(p[1], true); err != nil {
		catcher.err = fmt.Errorf("catch signals: pipe: %w", err)
		return
	}
	writeFD = int32(p[1])
	catcher.wants = map[syscall.Signal][]chan<- os.Signal{}
	go deliver(p[0])
}

// deliver reads the signals the handler wrote and sends each to the
// channels that want it, dropping it for a channel that is full.
func deliver(fd int) {
	var buf [64]byte
	for {
		n, err := unix.Read(fd, buf[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return // not reached: nothing closes the write end
		}
		catcher.mu.Lock()
		for _, b := range buf[:n] {
			for _, c := range catcher.wants[syscall.Signal(b)] {
				select {
				case c <- syscall.Signal(b):
				default:
				}
			}
		}
		catcher.mu.Unlock()
	}
}
