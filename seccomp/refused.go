package seccomp

// Refused returns the names, of those given, that the Spec's filter
// refuses by number on arch, for every argument: what a profile must add
// to allow for a program seen making these syscalls (fsviews learn).
// A syscall that a preset's argument rule allows for some arguments
// (clone without namespace flags) counts as allowed. Names unknown on
// arch are skipped.
func (s Spec) Refused(arch Arch, names []string) []string {
	t := arch.native()
	pol := s.resolve(t)
	var out []string
	for _, name := range names {
		nr, ok := t.nums()[name]
		if !ok {
			continue
		}
		d := pol.byNr[nr]
		allowed := d.base == ActionAllow
		for _, r := range d.rules {
			if r.action == ActionAllow {
				allowed = true
			}
		}
		if !allowed {
			out = append(out, name)
		}
	}
	return out
}
