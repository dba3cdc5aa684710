package seccomp

import (
	"fmt"
	"strings"
)

// Disassemble prints the program one instruction per line, with absolute jump
// targets, decoded return actions and what each load and test is about:
//
//	0: ld   [4]                       ; arch
//	1: jeq  #0xc000003e   3, 2        ; x86_64
//	2: ret  #0x80000000               ; kill-process
func (p Program) Disassemble() string {
	var b strings.Builder
	for i, in := range p.insns {
		var text string
		switch in.Op {
		case opLdAbsW:
			text = fmt.Sprintf("ld   [%d]", in.K)
		case opAndK:
			text = fmt.Sprintf("and  #%#x", in.K)
		case opJa:
			text = fmt.Sprintf("ja   %d", i+1+int(in.K))
		case opJeqK, opJgtK, opJgeK, opJsetK:
			name := map[uint16]string{opJeqK: "jeq", opJgtK: "jgt", opJgeK: "jge", opJsetK: "jset"}[in.Op]
			text = fmt.Sprintf("%-4s #%-12s %d, %d", name, fmt.Sprintf("%#x", in.K), i+1+int(in.Jt), i+1+int(in.Jf))
		case opRetK:
			text = fmt.Sprintf("ret  #%#x", in.K)
		default:
			text = fmt.Sprintf("op %#x jt %d jf %d k %#x", in.Op, in.Jt, in.Jf, in.K)
		}
		note := ""
		if i < len(p.notes) {
			note = p.notes[i]
		}
		if in.Op == opRetK {
			if a, ok := actionOfRet(in.K); ok {
				note = strings.TrimPrefix(note+"; "+a.String(), "; ")
			}
		}
		if note != "" {
			fmt.Fprintf(&b, "%4d: %-34s ; %s\n", i, text, note)
		} else {
			fmt.Fprintf(&b, "%4d: %s\n", i, text)
		}
	}
	return b.String()
}
