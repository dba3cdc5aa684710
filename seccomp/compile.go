package seccomp

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"

	"golang.org/x/net/bpf"
)

// Program is a compiled filter, ready to Install or print.
type Program struct {
	arch  Arch
	insns []bpf.RawInstruction
	notes []string // per instruction, for Disassemble
}

// Len is the number of instructions.
func (p Program) Len() int { return len(p.insns) }

// Arch is the architecture the program was compiled for.
func (p Program) Arch() Arch { return p.arch }

// Instructions returns a copy of the program's instructions.
func (p Program) Instructions() []bpf.RawInstruction {
	return append([]bpf.RawInstruction(nil), p.insns...)
}

// Offsets in struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer;
// __u64 args[6]; }. Loads are 32-bit and in the kernel's byte order; both
// supported architectures are little endian, so args[i]'s low word comes first.
const (
	offNr   = 0
	offArch = 4
	offArgs = 16
)

func argLow(i int) uint32  { return offArgs + 8*uint32(i) }
func argHigh(i int) uint32 { return argLow(i) + 4 }

// badArchAction is what a syscall from a refused ABI gets (i386 or x32 on
// x86_64, arm on aarch64): a process entering the kernel through an ABI it
// was not built for is, under a filter, almost always an exploit.
const badArchAction = ActionKillProcess

// Compile checks the spec and compiles it for arch. The program:
//
//  1. loads seccomp_data.arch and kills the process on a foreign ABI (i386
//     jumps to its own decision tree when AllowI386);
//  2. on x86_64, kills the process for x32 numbers (bit 30) unless AllowX32,
//     which clears the bit and uses the x86_64 tree;
//  3. walks a binary decision tree over the syscall number, whose leaves
//     return an action directly or jump to the syscall's argument checks.
func (s Spec) Compile(arch Arch) (Program, error) {
	if ps := s.Check(arch); len(ps) > 0 {
		return Program{}, Problems(ps)
	}
	c := compiler{a: &assembler{}, pool: map[uint32]label{}}
	native := arch.native()
	nativeTree := c.a.newLabel()
	bad := c.retLabel(badArchAction)

	c.a.load(offArch, "arch")
	if arch == AMD64 && s.AllowI386 {
		i386Tree := c.a.newLabel()
		c.a.jump(opJeqK, native.auditArch, nativeTree, next, native.name)
		c.a.jump(opJeqK, abiI386.auditArch, i386Tree, bad, abiI386.name)
		c.tree(nativeTree, s.resolve(native), arch == AMD64, s.AllowX32)
		c.tree(i386Tree, s.resolve(abiI386), false, false)
	} else {
		c.a.jump(opJeqK, native.auditArch, next, bad, native.name)
		c.tree(nativeTree, s.resolve(native), arch == AMD64, s.AllowX32)
	}
	for _, b := range c.blocks {
		c.argBlock(b)
	}
	// The pool of shared returns comes last, in a fixed order.
	rets := make([]uint32, 0, len(c.pool))
	for r := range c.pool {
		rets = append(rets, r)
	}
	sort.Slice(rets, func(i, j int) bool { return rets[i] > rets[j] })
	for _, r := range rets {
		c.a.bind(c.pool[r])
		act, _ := actionOfRet(r)
		c.a.ret(act, "")
	}
	insns, notes, err := c.a.assemble()
	if err != nil {
		return Program{}, fmt.Errorf("compile seccomp filter for %s: %w", arch, err)
	}
	return Program{arch: arch, insns: insns, notes: notes}, nil
}

// Compiled is Compile for a program that is only installed, not printed:
// a bare preset (Spec{Preset: name} with nothing added: no allow, deny,
// rules or default action, neither x32 nor i386) comes compiled with the
// binary (zpresets.go, made by this compiler with go generate), the
// program Compile makes, without the notes only Disassemble reads. fsviews
// run installs the default filter without compiling it at every start.
// Anything else is compiled.
func (s Spec) Compiled(arch Arch) (Program, error) {
	if s.Preset != "" && len(s.Allow) == 0 && len(s.Deny) == 0 && len(s.Rules) == 0 &&
		s.DefaultAction == nil && !s.AllowX32 && !s.AllowI386 {
		for _, p := range precompiledPresets {
			if p.preset == s.Preset && p.arch == arch {
				var prog Program
				if err := prog.UnmarshalBinary([]byte(p.prog)); err != nil {
					return Program{}, fmt.Errorf("bug: precompiled preset %s: %w", s.Preset, err)
				}
				return prog, nil
			}
		}
	}
	return s.Compile(arch)
}

type compiler struct {
	a      *assembler
	pool   map[uint32]label // ret value -> shared return
	blocks []argBlock       // argument checks, emitted after the trees
	// names is the current tree's ABI table by number, for the notes.
	names map[uint32]string
}

type argBlock struct {
	l    label
	name string
	d    decision
}

func (c *compiler) retLabel(a Action) label {
	r := a.ret()
	l, ok := c.pool[r]
	if !ok {
		l = c.a.newLabel()
		c.pool[r] = l
	}
	return l
}

// span is a run of consecutive syscall numbers with the same outcome.
type span struct {
	lo, hi uint32
	leaf   label // shared return, or the argument block of one syscall
	ret    uint32
	pure   bool // leaf is a plain return
}

// spans covers 0..2^32-1 with runs of equal outcome, so that the tree's size
// depends on how often the outcome changes, not on how many syscalls exist.
func (c *compiler) spans(pol policy) []span {
	names := make(map[uint32]string, len(pol.abi.nums()))
	for name, nr := range pol.abi.nums() {
		// One name per number, the same whichever order the map gives
		// (the table has no aliases today; this keeps notes stable if
		// it ever does).
		if old, dup := names[nr]; !dup || name < old {
			names[nr] = name
		}
	}
	c.names = names
	nrs := sortedNrs(names, pol.abi.maxNr())

	var out []span
	add := func(lo, hi uint32, s span) {
		s.lo, s.hi = lo, hi
		if n := len(out); n > 0 && s.pure && out[n-1].pure && out[n-1].ret == s.ret && out[n-1].hi+1 == lo {
			out[n-1].hi = hi
			return
		}
		out = append(out, s)
	}
	unknown := span{leaf: c.retLabel(pol.unknown), ret: pol.unknown.ret(), pure: true}
	var nextNr uint32
	for _, nr := range nrs {
		if nr > nextNr {
			add(nextNr, nr-1, unknown)
		}
		d := pol.byNr[nr]
		if len(d.rules) == 0 {
			add(nr, nr, span{leaf: c.retLabel(d.base), ret: d.base.ret(), pure: true})
		} else {
			l := c.a.newLabel()
			c.blocks = append(c.blocks, argBlock{l: l, name: names[nr], d: d})
			add(nr, nr, span{leaf: l})
		}
		nextNr = nr + 1
	}
	add(nextNr, ^uint32(0), unknown)
	return out
}

// sortedNrs returns the keys of names in increasing order. Syscall
// numbers are dense and small (a few hundred), so a walk over 0..maxNr
// orders them without a sort; a table that is not (maxNr far above its
// size) is sorted.
func sortedNrs(names map[uint32]string, maxNr uint32) []uint32 {
	nrs := make([]uint32, 0, len(names))
	if maxNr > 4*uint32(len(names))+1024 {
		for nr := range names {
			nrs = append(nrs, nr)
		}
		sort.Slice(nrs, func(i, j int) bool { return nrs[i] < nrs[j] })
		return nrs
	}
	for nr := uint32(0); nr <= maxNr; nr++ {
		if _, ok := names[nr]; ok {
			nrs = append(nrs, nr)
		}
	}
	return nrs
}

// tree emits the number checks for one ABI at label at.
func (c *compiler) tree(at label, pol policy, x86, allowX32 bool) {
	c.a.bind(at)
	c.a.load(offNr, "nr")
	spans := c.spans(pol)
	if x86 {
		// x32 syscalls arrive with arch x86_64 and bit 30 set in nr. -1 is not
		// a syscall but what a ptrace tracer writes to skip one; it is let
		// through to the tree (where it is an unknown number), as libseccomp does.
		walk := c.a.newLabel()
		c.a.jump(opJgeK, x32SyscallBit, next, walk, "x32 or invalid")
		if allowX32 {
			c.a.jump(opJeqK, 0xffffffff, walk, next, "-1")
			c.a.and(^uint32(x32SyscallBit))
		} else {
			c.a.jump(opJeqK, 0xffffffff, walk, c.retLabel(badArchAction), "-1")
		}
		c.a.bind(walk)
	}
	c.node(spans)
}

// node emits a balanced binary search over spans: each level halves the
// candidate runs, so the cost per syscall is log2(number of runs) jumps.
func (c *compiler) node(spans []span) {
	if len(spans) == 1 {
		c.a.ja(spans[0].leaf)
		return
	}
	// A single number between two runs with the same outcome (one denied
	// syscall among allowed ones) is one jeq instead of two range tests.
	if len(spans) == 3 && spans[1].lo == spans[1].hi && spans[0].pure && spans[2].pure && spans[0].ret == spans[2].ret {
		c.a.jump(opJeqK, spans[1].lo, spans[1].leaf, spans[0].leaf, c.nrNote("==", spans[1].lo))
		return
	}
	mid := len(spans) / 2
	left, right := spans[:mid], spans[mid:]
	lt, rt := c.subtree(left), c.subtree(right)
	c.a.jump(opJgeK, right[0].lo, rt, lt, c.nrNote(">=", right[0].lo))
	if len(left) > 1 {
		c.a.bind(lt)
		c.node(left)
	}
	if len(right) > 1 {
		c.a.bind(rt)
		c.node(right)
	}
}

func (c *compiler) subtree(s []span) label {
	if len(s) == 1 {
		return s[0].leaf
	}
	return c.a.newLabel()
}

// nrNote is the note of a test of the syscall number, by name when the
// tree's table has one: a lookup in the table by number, where a search of
// the table by name for each node took most of the compile.
func (c *compiler) nrNote(op string, nr uint32) string {
	if name, ok := c.names[nr]; ok {
		return "nr " + op + " " + name
	}
	return "nr " + op + " " + strconv.FormatUint(uint64(nr), 10)
}

// MarshalBinary encodes the program for another process of the same
// fsviews: the architecture, then each instruction as the kernel's struct
// sock_filter (code, jt, jf, k; little endian). The notes are left out:
// they are for Disassemble, and a process that only installs the filter
// (fsviews' init) needs none. The jail's PID 1 gets the filter the
// supervisor compiled this way, instead of compiling the plan's again.
func (p Program) MarshalBinary() ([]byte, error) {
	b := make([]byte, 1, 1+8*len(p.insns))
	b[0] = byte(p.arch)
	for _, in := range p.insns {
		b = binary.LittleEndian.AppendUint16(b, in.Op)
		b = append(b, in.Jt, in.Jf)
		b = binary.LittleEndian.AppendUint32(b, in.K)
	}
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary encoded.
func (p *Program) UnmarshalBinary(b []byte) error {
	if len(b) < 1+8 || (len(b)-1)%8 != 0 || !Arch(b[0]).valid() {
		return fmt.Errorf("seccomp program: %d bytes are not an encoded program", len(b))
	}
	insns := make([]bpf.RawInstruction, 0, (len(b)-1)/8)
	for r := b[1:]; len(r) > 0; r = r[8:] {
		insns = append(insns, bpf.RawInstruction{Op: binary.LittleEndian.Uint16(r), Jt: r[2], Jf: r[3], K: binary.LittleEndian.Uint32(r[4:])})
	}
	*p = Program{arch: Arch(b[0]), insns: insns}
	return nil
}
