package seccomp

import (
	"encoding/binary"
	"flag"
	"sort"
	"testing"

	"golang.org/x/net/bpf"
)

var dump = flag.Bool("dump", false, "print the programs under test")

// seccompData is struct seccomp_data.
type seccompData struct {
	nr   uint32
	arch uint32
	ip   uint64
	args [6]uint64
}

// vmBytes lays out d for golang.org/x/net/bpf. The kernel loads 32-bit words
// of seccomp_data in native (little endian) order, so the low word of a
// 64-bit field sits at the lower offset; the VM reads words big endian. Each
// word is therefore written big endian at its little-endian offset, which
// makes every 32-bit load in the VM return what the kernel's would.
func (d seccompData) vmBytes() []byte {
	b := make([]byte, seccompDataSize)
	put64 := func(off int, v uint64) {
		binary.BigEndian.PutUint32(b[off:], uint32(v))
		binary.BigEndian.PutUint32(b[off+4:], uint32(v>>32))
	}
	binary.BigEndian.PutUint32(b[0:], d.nr)
	binary.BigEndian.PutUint32(b[4:], d.arch)
	put64(8, d.ip)
	for i, a := range d.args {
		put64(16+8*i, a)
	}
	return b
}

// runner evaluates a program both in x/net/bpf's VM and in a small tracing
// interpreter, and checks that they agree.
type runner struct {
	t  testing.TB
	p  Program
	vm *bpf.VM
}

func newRunner(t testing.TB, p Program) runner {
	t.Helper()
	if err := validate(p.insns); err != nil {
		t.Fatalf("invalid program: %v", err)
	}
	ins, ok := bpf.Disassemble(p.insns)
	if !ok {
		t.Fatalf("x/net/bpf cannot decode the program")
	}
	vm, err := bpf.NewVM(ins)
	if err != nil {
		t.Fatalf("bpf.NewVM: %v", err)
	}
	return runner{t: t, p: p, vm: vm}
}

func (r runner) run(d seccompData) Action {
	r.t.Helper()
	ret, err := r.vm.Run(d.vmBytes())
	if err != nil {
		r.t.Fatalf("vm: %v", err)
	}
	tr := trace(r.p.insns, d)
	if uint32(ret) != tr.ret {
		r.t.Fatalf("vm returned %#x, tracing interpreter %#x for %+v", ret, tr.ret, d)
	}
	a, ok := actionOfRet(uint32(ret))
	if !ok {
		r.t.Fatalf("program returned %#x, not a known action", ret)
	}
	return a
}

// traced is one run of a program.
type traced struct {
	ret      uint32
	executed int
	argLoads int // loads beyond nr and arch: the kernel's action cache cannot emulate these
}

// trace interprets the instructions the compiler emits, counting what a
// run touches.
func trace(p []bpf.RawInstruction, d seccompData) traced {
	word := func(off uint32) uint32 {
		switch {
		case off == 0:
			return d.nr
		case off == 4:
			return d.arch
		case off == 8:
			return uint32(d.ip)
		case off == 12:
			return uint32(d.ip >> 32)
		}
		a := d.args[(off-16)/8]
		if off%8 == 0 {
			return uint32(a)
		}
		return uint32(a >> 32)
	}
	var t traced
	var acc uint32
	for pc := 0; pc < len(p); pc++ {
		in := p[pc]
		t.executed++
		jump := func(cond bool) {
			if cond {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		}
		switch in.Op {
		case opLdAbsW:
			acc = word(in.K)
			if in.K >= offArgs {
				t.argLoads++
			}
		case opAndK:
			acc &= in.K
		case opJa:
			pc += int(in.K)
		case opJeqK:
			jump(acc == in.K)
		case opJgtK:
			jump(acc > in.K)
		case opJgeK:
			jump(acc >= in.K)
		case opJsetK:
			jump(acc&in.K != 0)
		case opRetK:
			t.ret = in.K
			return t
		default:
			panic("unexpected opcode")
		}
	}
	panic("ran off the end")
}

func mustCompile(t testing.TB, s Spec, arch Arch) Program {
	t.Helper()
	p, err := s.Compile(arch)
	if err != nil {
		t.Fatalf("compile %+v: %v", s, err)
	}
	if *dump {
		t.Logf("%d instructions:\n%s", p.Len(), p.Disassemble())
	}
	return p
}

func nr(t testing.TB, a Arch, name string) uint32 {
	t.Helper()
	n, ok := a.native().nums()[name]
	if !ok {
		t.Fatalf("no syscall %q on %s", name, a)
	}
	return n
}

func errnoAction(t testing.TB, s string) Action {
	t.Helper()
	a, err := ParseAction(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func sortStrings(s []string) { sort.Strings(s) }
