package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README's tutorial works as written: its profile checks clean, plans,
// and runs with /usr read-only. Only /srv/www and the state root move to
// a test directory.
func TestReadmeTutorial(t *testing.T) {
	requireRoot(t)
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, tutorial, ok := strings.Cut(string(readme), "\n## Tutorial")
	_, profile, ok2 := strings.Cut(tutorial, "```toml\n")
	profile, _, ok3 := strings.Cut(profile, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README.md has no ```toml block under \"## Tutorial\"")
	}
	h := hostDir(t)
	www := filepath.Join(h, "srv-www")
	if err := os.Mkdir(www, 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(www, "index.html"), "hello\n")
	etc := filepath.Join(h, "etc-fsviews")
	if err := os.Mkdir(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(profile, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "   "))
	}
	text := strings.ReplaceAll(strings.Join(lines, "\n"), "/srv/www", www)
	text = strings.Replace(text, `source = "`+www+`"`, `source = "`+www+`"`+"\ntarget = \"/srv/www\"", 1)
	text = strings.ReplaceAll(text, `"--directory", "`+www+`"`, `"--directory", "/srv/www"`)
	path := filepath.Join(etc, "web.toml")
	mustWrite(t, path, text)

	if r := run(t, "check", path); r.code != 0 || !strings.Contains(r.stdout, path+": ok (web, 0 warnings)") || r.stderr != "" {
		t.Errorf("step 2, check: %v\nprofile:\n%s", r, text)
	}
	if r := run(t, "--search-path", etc, "plan", "web"); r.code != 0 || !strings.Contains(r.stdout, "# plan for \"web\"") {
		t.Errorf("step 3, plan: %v", r)
	}
	before := mountTable(t, "self")
	r := run(t, "--search-path", etc, "run", "--state-dir", filepath.Join(h, "state"), "web", "--", "/bin/sh", "-c", "ls /; cat /srv/www/index.html; touch /usr/x")
	if r.code == 0 || !strings.Contains(r.stdout, "hello\n") || !strings.Contains(r.stdout, "proc\n") || !strings.Contains(r.stderr, "Read-only file system") {
		t.Errorf("step 4, run: want the view, the served file, and /usr read-only: %v", r)
	}
	sameMounts(t, "the tutorial's run", before, mountTable(t, "self"))
}
