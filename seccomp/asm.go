package seccomp

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// Classic BPF opcodes (linux/bpf_common.h). The compiler emits only these,
// which are also the ones the kernel's seccomp action cache can emulate when
// they touch nr and arch (kernel/seccomp.c seccomp_is_const_allow).
const (
	opLdAbsW = 0x20 // BPF_LD | BPF_W | BPF_ABS
	opAndK   = 0x54 // BPF_ALU | BPF_AND | BPF_K
	opJa     = 0x05 // BPF_JMP | BPF_JA
	opJeqK   = 0x15 // BPF_JMP | BPF_JEQ | BPF_K
	opJgtK   = 0x25 // BPF_JMP | BPF_JGT | BPF_K
	opJgeK   = 0x35 // BPF_JMP | BPF_JGE | BPF_K
	opJsetK  = 0x45 // BPF_JMP | BPF_JSET | BPF_K
	opRetK   = 0x06 // BPF_RET | BPF_K
)

// maxInsns is the kernel's BPF_MAXINSNS for classic filters.
const maxInsns = 4096

// label names a position in a program under construction. next is the
// instruction after the jump (a fall-through).
type label int

const next label = -1

// ainsn is an instruction whose jump targets are still labels.
type ainsn struct {
	code   uint16
	k      uint32
	jt, jf label // conditional jumps; jt alone for ja
	note   string
}

func (i ainsn) isCond() bool {
	return i.code == opJeqK || i.code == opJgtK || i.code == opJgeK || i.code == opJsetK
}

// assembler builds a forward-only program with symbolic jumps. Classic BPF
// conditional jumps have 8-bit offsets; assemble inserts trampolines after a
// jump whose target is further than 255 instructions away.
type assembler struct {
	insns  []ainsn
	labels []int // label -> index of the instruction it is bound to, -1 until bound
}

func (a *assembler) newLabel() label {
	a.labels = append(a.labels, -1)
	return label(len(a.labels) - 1)
}

func (a *assembler) bind(l label) {
	if a.labels[l] != -1 {
		panic(fmt.Sprintf("seccomp: bug: label %d bound twice", l))
	}
	a.labels[l] = len(a.insns)
}

func (a *assembler) emit(i ainsn) { a.insns = append(a.insns, i) }

func (a *assembler) load(off uint32, note string) {
	a.emit(ainsn{code: opLdAbsW, k: off, note: note})
}

func (a *assembler) and(k uint32) { a.emit(ainsn{code: opAndK, k: k}) }

func (a *assembler) jump(code uint16, k uint32, jt, jf label, note string) {
	a.emit(ainsn{code: code, k: k, jt: jt, jf: jf, note: note})
}

func (a *assembler) ja(l label) { a.emit(ainsn{code: opJa, jt: l}) }

func (a *assembler) ret(act Action, note string) {
	a.emit(ainsn{code: opRetK, k: act.ret(), note: note})
}

// trampoline is an instruction inserted right after a far conditional jump:
// a copy of the target when it is a ret (no extra instruction on the path),
// else a ja with a 32-bit offset.
type trampoline struct {
	target int // instruction index in a.insns
	isJT   bool
}

// assemble resolves labels and returns the final program and its notes.
func (a *assembler) assemble() ([]bpf.RawInstruction, []string, error) {
	n := len(a.insns)
	target := func(i int, l label) int {
		if l == next {
			return i + 1
		}
		t := a.labels[l]
		if t < 0 {
			panic(fmt.Sprintf("seccomp: bug: label %d never bound", l))
		}
		if t <= i || t >= n {
			panic(fmt.Sprintf("seccomp: bug: jump from %d to %d is not forward into the program", i, t))
		}
		return t
	}
	tramps := make([][]trampoline, n)
	pos := make([]int, n+1) // final index of each instruction; pos[n] = length
	// Relax: trampolines only lengthen the program, so each pass can only add
	// more; the loop ends because each branch gets at most one.
	for {
		p := 0
		for i := range a.insns {
			pos[i] = p
			p += 1 + len(tramps[i])
		}
		pos[n] = p
		changed := false
		for i, in := range a.insns {
			if !in.isCond() {
				continue
			}
			for _, isJT := range []bool{true, false} {
				l := in.jf
				if isJT {
					l = in.jt
				}
				t := target(i, l)
				if hasTramp(tramps[i], isJT) || pos[t]-(pos[i]+1) <= 255 {
					continue
				}
				tramps[i] = append(tramps[i], trampoline{target: t, isJT: isJT})
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	if pos[n] > maxInsns {
		return nil, nil, fmt.Errorf("program has %d instructions, more than the kernel's limit of %d: use fewer rules or conditions", pos[n], maxInsns)
	}
	out := make([]bpf.RawInstruction, 0, pos[n])
	notes := make([]string, 0, pos[n])
	for i, in := range a.insns {
		raw := bpf.RawInstruction{Op: in.code, K: in.k}
		switch {
		case in.code == opJa:
			raw.K = uint32(pos[target(i, in.jt)] - (pos[i] + 1))
		case in.isCond():
			for _, isJT := range []bool{true, false} {
				l := in.jf
				if isJT {
					l = in.jt
				}
				dest := pos[target(i, l)]
				for k, tr := range tramps[i] {
					if tr.isJT == isJT {
						dest = pos[i] + 1 + k
					}
				}
				off := uint8(dest - (pos[i] + 1))
				if isJT {
					raw.Jt = off
				} else {
					raw.Jf = off
				}
			}
		}
		out = append(out, raw)
		notes = append(notes, in.note)
		for k, tr := range tramps[i] {
			t := a.insns[tr.target]
			if t.code == opRetK {
				out = append(out, bpf.RawInstruction{Op: opRetK, K: t.k})
				notes = append(notes, t.note)
				continue
			}
			here := pos[i] + 1 + k
			out = append(out, bpf.RawInstruction{Op: opJa, K: uint32(pos[tr.target] - (here + 1))})
			notes = append(notes, "trampoline")
		}
	}
	if err := validate(out); err != nil {
		return nil, nil, fmt.Errorf("seccomp: bug: assembled program is invalid: %w", err)
	}
	return out, notes, nil
}

func hasTramp(ts []trampoline, isJT bool) bool {
	for _, t := range ts {
		if t.isJT == isJT {
			return true
		}
	}
	return false
}

// seccompDataSize is sizeof(struct seccomp_data): loads must stay inside it.
const seccompDataSize = 64

// validate checks what the kernel's seccomp_check_filter and bpf_check_classic
// check for the instructions we emit: known opcodes, aligned loads inside
// seccomp_data, jumps that land inside the program, and a ret at the end so
// that no path runs off it.
func validate(p []bpf.RawInstruction) error {
	if len(p) == 0 || len(p) > maxInsns {
		return fmt.Errorf("program length %d not in 1..%d", len(p), maxInsns)
	}
	for i, in := range p {
		switch in.Op {
		case opLdAbsW:
			if in.K%4 != 0 || in.K >= seccompDataSize {
				return fmt.Errorf("instruction %d: load of offset %d outside seccomp_data", i, in.K)
			}
		case opAndK, opRetK:
		case opJa:
			if uint64(i)+1+uint64(in.K) >= uint64(len(p)) {
				return fmt.Errorf("instruction %d: ja +%d jumps past the end", i, in.K)
			}
		case opJeqK, opJgtK, opJgeK, opJsetK:
			if i+1+int(max(in.Jt, in.Jf)) >= len(p) {
				return fmt.Errorf("instruction %d: jump +%d/+%d past the end", i, in.Jt, in.Jf)
			}
		default:
			return fmt.Errorf("instruction %d: unexpected opcode %#x", i, in.Op)
		}
	}
	if last := p[len(p)-1]; last.Op != opRetK {
		return fmt.Errorf("last instruction is %#x, not a ret", last.Op)
	}
	return nil
}
