package profiles

import (
	"slices"
	"testing"
)

// globCounter is a fakeHost that records the patterns CheckHost globs.
type globCounter struct {
	fakeHost
	globbed *[]string
}

func (h globCounter) Glob(pattern string) ([]string, error) {
	*h.globbed = append(*h.globbed, pattern)
	return h.fakeHost.Glob(pattern)
}

// CheckHost globs a secret pattern only when a bind could expose one of
// its matches, and still warns about every secret a bind exposes.
func TestCheckHostGlobsOnlyWhatBindsCouldExpose(t *testing.T) {
	host := fakeHost{paths: map[string]bool{
		"/usr": true, "/etc": true, "/etc/shadow": false, "/etc/passwd": false, "/etc/ssh": true,
		"/etc/ssh/ssh_host_ed25519_key": false, "/home": true, "/home/alice": true, "/home/alice/.ssh": true,
		"/srv": true, "/": true,
	}}
	for _, tc := range []struct {
		sources []string
		globbed []string
		exposed int
	}{
		{sources: []string{"/usr", "/etc/passwd", "/srv"}, globbed: nil},
		{sources: []string{"/home/alice"}, globbed: []string{"/home/*/.ssh"}, exposed: 1},
		{sources: []string{"/home"}, globbed: []string{"/home/*/.ssh"}, exposed: 1},
		{sources: []string{"/etc/ssh"}, globbed: []string{"/etc/ssh/ssh_host_*_key"}, exposed: 1},
		{sources: []string{"/etc"}, globbed: []string{"/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/ssh/ssh_host_*_key", "/etc/fsviews"}, exposed: 2},
		{sources: []string{"/"}, globbed: secrets(), exposed: 3},
	} {
		var globbed []string
		p := &Profile{Security: Security{UID: -1, GID: -1}}
		for _, s := range tc.sources {
			p.Binds = append(p.Binds, Bind{Source: s, Target: s, Mode: ReadOnly})
		}
		probs := CheckHost(p, globCounter{host, &globbed})
		if !slices.Equal(globbed, tc.globbed) {
			t.Errorf("binds %v: globbed %q, want %q", tc.sources, globbed, tc.globbed)
		}
		n := 0
		for _, pr := range probs {
			if pr.Key == "[[bind]] source" && pr.Warning {
				n++
			}
		}
		if n != tc.exposed {
			t.Errorf("binds %v: %d secret warnings, want %d: %v", tc.sources, n, tc.exposed, probs)
		}
	}
}
