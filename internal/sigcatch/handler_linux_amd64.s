#include "textflag.h"

// The handler the kernel calls (C calling convention: DI holds the
// signal's number), on the thread's alternate signal stack, which the Go
// runtime gives every thread: it writes the number, one byte, to the
// pipe ·writeFD and returns through ·restorer. The kernel restores every
// register from the signal frame afterwards, so clobbering them is safe;
// the write end is non-blocking, so a full pipe never stalls a thread
// the signal interrupted (it may hold a lock of the Go runtime).
TEXT ·handler(SB),NOSPLIT|NOFRAME,$0
	SUBQ	$16, SP
	MOVB	DI, 0(SP)
	MOVL	·writeFD(SB), DI
	MOVQ	SP, SI
	MOVL	$1, DX
	MOVL	$1, AX // SYS_write
	SYSCALL
	ADDQ	$16, SP
	RET

// The sa_restorer that returns from the handler: x86-64 wants one in
// every sigaction, and a static Go binary has no C library's.
TEXT ·restorer(SB),NOSPLIT|NOFRAME,$0
	MOVL	$15, AX // SYS_rt_sigreturn
	SYSCALL
	INT	$3

// func handlerPCs() (handler, restorer uintptr)
//
// The assembly's own entry points: a Go func value would name the ABI
// wrapper the linker makes for Go callers, which expects a goroutine.
TEXT ·handlerPCs(SB),NOSPLIT,$0-16
	LEAQ	·handler(SB), AX
	MOVQ	AX, handler+0(FP)
	LEAQ	·restorer(SB), AX
	MOVQ	AX, restorer+8(FP)
	RET
