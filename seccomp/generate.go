package seccomp

// The syscall and errno tables are generated from golang.org/x/sys/unix; after
// bumping x/sys in go.mod, run `go generate ./seccomp/` and commit the result.
//go:generate go run ./internal/mksyscalls

// The bare presets' compiled programs (zpresets.go) are made by the
// compiler itself; rerun after changing a preset or the compiler.
//go:generate go run ./internal/mkpresets
