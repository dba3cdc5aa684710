//go:build !race

#include "textflag.h"

// func cloneVM(flags, stack, tls uintptr, s *spawnJob) (pid uintptr, errno syscall.Errno)
//
// The child starts on stack and calls daemonChild(s), which ends in
// execve or exit_group; nothing of the parent's stack is used after the
// system call, which is why this cannot be Go code.
TEXT ·cloneVM(SB),NOSPLIT|NOFRAME,$0-48
	MOVQ	flags+0(FP), DI
	MOVQ	stack+8(FP), SI
	MOVQ	tls+16(FP), R8
	MOVQ	s+24(FP), R12 // the kernel keeps it, in both processes
	MOVQ	$0, DX
	MOVQ	$0, R10
	MOVL	$56, AX // SYS_clone
	SYSCALL
	CMPQ	AX, $0
	JEQ	child
	CMPQ	AX, $0xfffffffffffff001
	JLS	ok
	MOVQ	$-1, pid+32(FP)
	NEGQ	AX
	MOVQ	AX, errno+40(FP)
	RET
ok:
	MOVQ	AX, pid+32(FP)
	MOVQ	$0, errno+40(FP)
	RET
child:
	MOVQ	SI, SP
	SUBQ	$16, SP
	MOVQ	R12, 0(SP) // daemonChild's argument (ABI0)
	CALL	·daemonChild(SB)
	MOVL	$125, DI // not reached
	MOVL	$231, AX // SYS_exit_group
	SYSCALL
	INT	$3
