package seccomp

import "sort"

// allSyscallNames is every name in every table, sorted, for suggestions.
func allSyscallNames() []string {
	seen := map[string]bool{}
	var names []string
	for _, t := range []abi{abiX8664, abiAArch64, abiI386} {
		for n := range t.nums() {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	return names
}
