package views

import (
	"slices"
	"sort"
	"strings"
)

// DefaultPath is the daemon's PATH when its environment starts empty.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Environ builds the daemon's environment from the caller's: everything
// (Clear false) or only the Keep names (Clear true, with a default PATH),
// then Set on top.
func (r EnvRules) Environ(caller []string) []string {
	vars := map[string]string{}
	var order []string
	put := func(name, value string) {
		if _, seen := vars[name]; !seen {
			order = append(order, name)
		}
		vars[name] = value
	}
	if r.Clear {
		put("PATH", DefaultPath)
	}
	for _, kv := range caller {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if !r.Clear || slices.Contains(r.Keep, name) {
			put(name, value)
		}
	}
	names := make([]string, 0, len(r.Set))
	for name := range r.Set {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		put(name, r.Set[name])
	}
	env := make([]string, 0, len(order))
	for _, name := range order {
		env = append(env, name+"="+vars[name])
	}
	return env
}
