// Command mksyscalls writes the seccomp package's syscall and errno tables
// from golang.org/x/sys/unix, so that syscall names are never typed by hand.
//
// It reads x/sys's zsysnum_linux_{amd64,arm64,386}.go and zerrors_linux_*.go
// from the module cache (the version go.mod requires) and writes plain Go maps
// without build constraints: the compiler must be able to build a filter for
// any architecture on any build platform. Run it with `go generate` in seccomp/.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// table names one generated syscall table. The output file names avoid Go's
// GOARCH file suffixes (_amd64.go, _arm64.go, _386.go), which would restrict
// each table to builds for that architecture.
type table struct {
	goarch  string // x/sys file suffix
	varName string
	out     string
	comment string
}

var tables = []table{
	{"amd64", "sysnumX8664", "zsysnum_x86_64.go", "x86_64 (AUDIT_ARCH_X86_64)"},
	{"arm64", "sysnumAArch64", "zsysnum_aarch64.go", "aarch64 (AUDIT_ARCH_AARCH64)"},
	{"386", "sysnumI386", "zsysnum_i386.go", "i386 (AUDIT_ARCH_I386), the compat ABI of x86_64"},
}

// outDir is where the tables go: -o DIR, default the current directory
// (seccomp/, under go generate). The seccomp package's test writes them to
// a temp dir and compares them with the committed ones.
var outDir = flag.String("o", ".", "write the tables into `DIR`")

func main() {
	log.SetFlags(0)
	log.SetPrefix("mksyscalls: ")
	flag.Parse()
	dir, version := xsysDir()
	unixDir := filepath.Join(dir, "unix")
	for _, t := range tables {
		nums, err := parseSysnum(filepath.Join(unixDir, "zsysnum_linux_"+t.goarch+".go"))
		if err != nil {
			log.Fatal(err)
		}
		if err := writeSysnum(t, nums, version); err != nil {
			log.Fatal(err)
		}
	}
	// Errno numbers come from asm-generic/errno.h on both amd64 and arm64;
	// refuse to generate one table if the two ever disagree.
	amd, err := parseErrors(filepath.Join(unixDir, "zerrors_linux_amd64.go"))
	if err != nil {
		log.Fatal(err)
	}
	arm, err := parseErrors(filepath.Join(unixDir, "zerrors_linux_arm64.go"))
	if err != nil {
		log.Fatal(err)
	}
	for name, n := range amd {
		if arm[name] != n {
			log.Fatalf("errno %s is %d on amd64 but %d on arm64", name, n, arm[name])
		}
	}
	if err := writeErrno(amd, version); err != nil {
		log.Fatal(err)
	}
}

// xsysDir asks the go command where the required golang.org/x/sys lives.
func xsysDir() (dir, version string) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}} {{.Version}}", "golang.org/x/sys").Output()
	if err != nil {
		log.Fatalf("go list golang.org/x/sys: %v (run `go mod download golang.org/x/sys`)", err)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 || f[0] == "" {
		log.Fatalf("go list golang.org/x/sys: unexpected output %q (is the module downloaded?)", out)
	}
	return f[0], f[1]
}

// parseSysnum returns the SYS_* constants of one zsysnum file, with the
// kernel's lowercase names (SYS_CLONE3 -> clone3, SYS__SYSCTL -> _sysctl).
func parseSysnum(path string) (map[string]uint32, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	nums := map[string]uint32{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			for i, id := range vs.Names {
				if !strings.HasPrefix(id.Name, "SYS_") || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.INT {
					return nil, fmt.Errorf("%s: %s is not an integer literal", path, id.Name)
				}
				n, err := strconv.ParseUint(lit.Value, 0, 32)
				if err != nil {
					return nil, fmt.Errorf("%s: %s: %w", path, id.Name, err)
				}
				nums[strings.ToLower(strings.TrimPrefix(id.Name, "SYS_"))] = uint32(n)
			}
		}
	}
	if len(nums) < 200 {
		return nil, fmt.Errorf("%s: only %d syscalls found", path, len(nums))
	}
	return nums, nil
}

// parseErrors reads x/sys's errorList: {1, "EPERM", "operation not permitted"}, ...
func parseErrors(path string) (map[string]uint32, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	errs := map[string]uint32{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "errorList" || len(vs.Values) != 1 {
			return true
		}
		for _, e := range vs.Values[0].(*ast.CompositeLit).Elts {
			el := e.(*ast.CompositeLit).Elts
			num, _ := strconv.ParseUint(el[0].(*ast.BasicLit).Value, 0, 32)
			name, _ := strconv.Unquote(el[1].(*ast.BasicLit).Value)
			errs[name] = uint32(num)
		}
		return false
	})
	if len(errs) < 100 {
		return nil, fmt.Errorf("%s: only %d errno values found", path, len(errs))
	}
	return errs, nil
}

func writeSysnum(t table, nums map[string]uint32, version string) error {
	names := sortedByValue(nums)
	var b bytes.Buffer
	header(&b, version)
	fmt.Fprintf(&b, "// %s maps the kernel's syscall names to numbers on %s.\n", t.varName, t.comment)
	b.WriteString(lazyNote)
	fmt.Fprintf(&b, "var %s = sync.OnceValue(func() map[string]uint32 {\n\treturn map[string]uint32{\n", t.varName)
	for _, n := range names {
		fmt.Fprintf(&b, "\t\t%q: %d,\n", n, nums[n])
	}
	b.WriteString("\t}\n})\n")
	return writeFormatted(t.out, b.Bytes())
}

func writeErrno(errs map[string]uint32, version string) error {
	var b bytes.Buffer
	header(&b, version)
	b.WriteString("// errnoNumbers maps Linux errno names to numbers (asm-generic, the same on x86_64 and aarch64).\n")
	b.WriteString(lazyNote)
	b.WriteString("var errnoNumbers = sync.OnceValue(func() map[string]uint16 {\n\treturn map[string]uint16{\n")
	for _, n := range sortedByValue(errs) {
		fmt.Fprintf(&b, "\t\t%q: %d,\n", n, errs[n])
	}
	b.WriteString("\t}\n})\n")
	return writeFormatted("zerrno.go", b.Bytes())
}

// lazyNote says why the tables are built on first use.
const lazyNote = "// Built on first use: a map literal is built at program start, which every\n// fsviews command would pay for, most of them without a seccomp filter.\n"

func header(b *bytes.Buffer, version string) {
	fmt.Fprintf(b, "// Code generated by internal/mksyscalls from golang.org/x/sys %s. DO NOT EDIT.\n\npackage seccomp\n\nimport \"sync\"\n\n", version)
}

func sortedByValue(m map[string]uint32) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if m[names[i]] != m[names[j]] {
			return m[names[i]] < m[names[j]]
		}
		return names[i] < names[j]
	})
	return names
}

func writeFormatted(name string, src []byte) error {
	out, err := format.Source(src)
	if err != nil {
		return fmt.Errorf("format %s: %w", name, err)
	}
	if err := os.WriteFile(filepath.Join(*outDir, name), out, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
