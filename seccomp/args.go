package seccomp

import (
	"fmt"
	"strconv"
)

// argBlock emits one syscall's argument rules: each rule's conditions in
// turn, jumping to the next rule at the first that fails; after the last rule,
// the base action. Only syscalls with rules get here, so syscalls decided by
// number alone never load an argument and stay in the kernel's action cache.
func (c *compiler) argBlock(b argBlock) {
	c.a.bind(b.l)
	inA := noWord
	for i, r := range b.d.rules {
		fail := c.a.newLabel()
		atFail := noWord // what the accumulator holds at fail, whichever condition jumped there
		for j, cond := range r.conds {
			pass := c.retLabel(r.action)
			var after label
			if j < len(r.conds)-1 {
				after = c.a.newLabel()
				pass = after
			}
			inA = c.cond(cond, pass, fail, inA, b.name+" rule "+strconv.Itoa(i)+": "+cond.Cond.String())
			if j == 0 {
				atFail = inA
			} else if inA != atFail {
				atFail = noWord
			}
			if j < len(r.conds)-1 {
				c.a.bind(after)
			}
		}
		c.a.bind(fail)
		inA = atFail
	}
	c.a.ret(b.d.base, b.name+": no rule holds")
}

// noWord says the accumulator's content is not a known seccomp_data word.
const noWord = ^uint32(0)

// cond emits one condition: jump to pass when it holds, to fail otherwise.
// 64-bit arguments are compared as two 32-bit words, high word first: a
// filter that checked only the low word could be passed by setting the high
// one. Comparisons are unsigned. inA is the seccomp_data word the
// accumulator holds on entry (or noWord); cond returns the word it holds on
// every exit, so that a run of rules testing one 32-bit argument (ioctl
// commands, personality values) loads it once.
func (c *compiler) cond(cd ccond, pass, fail label, inA uint32, note string) uint32 {
	a := c.a
	lo, hi := uint32(cd.Value), uint32(cd.Value>>32)
	mlo, mhi := uint32(cd.Mask), uint32(cd.Mask>>32)
	arg := "args[" + strconv.Itoa(cd.Index) + "]"
	loNote, hiNote := arg+" low", arg+" high"
	if cd.low32 {
		// The kernel truncates this argument to 32 bits: compare what it uses.
		if inA != argLow(cd.Index) {
			a.load(argLow(cd.Index), loNote+" (32-bit argument) for "+note)
		}
		c.cmp32(cd.Op, lo, mlo, pass, fail)
		if cd.Op == OpMaskedEq && mlo != 0xffffffff {
			return noWord
		}
		return argLow(cd.Index)
	}
	if cd.Op == OpMaskedEq {
		if mhi != 0 {
			a.load(argHigh(cd.Index), hiNote+" for "+note)
			if mhi != 0xffffffff {
				a.and(mhi)
			}
			if mlo == 0 {
				a.jump(opJeqK, hi, pass, fail, "")
				return noWord
			}
			a.jump(opJeqK, hi, next, fail, "")
		}
		a.load(argLow(cd.Index), loNote+forNote(mhi, note))
		c.cmp32(OpMaskedEq, lo, mlo, pass, fail)
		return noWord
	}
	a.load(argHigh(cd.Index), hiNote+" for "+note)
	switch cd.Op {
	case OpEq:
		a.jump(opJeqK, hi, next, fail, "")
	case OpNe:
		a.jump(opJeqK, hi, next, pass, "")
	case OpGt, OpGe: // high word greater: holds; smaller: fails; equal: low word decides
		a.jump(opJgtK, hi, pass, next, "")
		a.jump(opJeqK, hi, next, fail, "")
	case OpLt, OpLe: // high word greater: fails; smaller: holds; equal: low word decides
		a.jump(opJgtK, hi, fail, next, "")
		a.jump(opJeqK, hi, next, pass, "")
	}
	a.load(argLow(cd.Index), loNote)
	c.cmp32(cd.Op, lo, mlo, pass, fail)
	return noWord // the fail path may leave either word in the accumulator
}

// forNote names the condition on the first load of a masked test.
func forNote(mhi uint32, note string) string {
	if mhi != 0 {
		return ""
	}
	return " for " + note
}

// cmp32 compares the accumulator with k as an unsigned 32-bit number.
func (c *compiler) cmp32(op Op, k, mask uint32, pass, fail label) {
	a := c.a
	switch op {
	case OpEq:
		a.jump(opJeqK, k, pass, fail, "")
	case OpNe:
		a.jump(opJeqK, k, fail, pass, "")
	case OpGt:
		a.jump(opJgtK, k, pass, fail, "")
	case OpGe:
		a.jump(opJgeK, k, pass, fail, "")
	case OpLt:
		a.jump(opJgeK, k, fail, pass, "")
	case OpLe:
		a.jump(opJgtK, k, fail, pass, "")
	case OpMaskedEq:
		if mask != 0xffffffff {
			a.and(mask)
		}
		a.jump(opJeqK, k, pass, fail, "")
	default:
		panic(fmt.Sprintf("seccomp: bug: op %d reached code generation", op))
	}
}
