package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fsviews unit prints a unit naming this binary and the profile by
// absolute path; e2e/systemd runs such units under a real systemd.
func TestUnitNamesAbsolutePaths(t *testing.T) {
	h := hostDir(t)
	writeProfile(t, h, "web", base)
	bin := fsviews(t)
	for _, tc := range []struct {
		args      []string
		execStart string
		name      string
	}{
		{[]string{"unit", "web.toml"}, bin + " run " + filepath.Join(h, "web.toml"), "fsviews-web.service"},
		{[]string{"unit", "--name", "jail", "--type", "notify", "./web.toml", "--state-dir", "st"}, bin + " run --state-dir " + filepath.Join(h, "st") + " " + filepath.Join(h, "web.toml"), "jail.service"},
		{[]string{"unit", "minimal"}, bin + " run minimal", "fsviews-minimal.service"},
	} {
		r := runIn(t, h, tc.args...)
		if r.code != 0 {
			t.Fatalf("%v: %v", tc.args, r)
		}
		out := r.stdout
		if !strings.Contains(out, "\nExecStart="+tc.execStart+"\n") {
			t.Errorf("%v: want ExecStart=%s in:\n%s", tc.args, tc.execStart, out)
		}
		if !strings.HasPrefix(out, "# "+tc.name+": ") {
			t.Errorf("%v: the unit is not introduced as %s:\n%s", tc.args, tc.name, out)
		}
	}
}

// Bad input to fsviews unit: an error naming the fix, exit 1, no unit on
// stdout, and nothing written anywhere.
func TestUnitBadInput(t *testing.T) {
	h := hostDir(t)
	writeProfile(t, h, "web", base)
	writeProfile(t, h, "nocmd", "include = [\"base/libc.toml\"]\n")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"unknown profile", []string{"unit", "minimall"}, []string{`no profile named "minimall"`, `did you mean "minimal"?`}},
		{"missing profile file", []string{"unit", "./nope.toml"}, []string{"nope.toml"}},
		{"bad type", []string{"unit", "--type", "forking", "web.toml"}, []string{"--type", `"forking" is not generated`, `use "simple"`, `"notify"`}},
		{"unknown type", []string{"unit", "web.toml", "--type", "notfy"}, []string{"--type", `unknown type "notfy"`, `use "simple"`}},
		{"bad name", []string{"unit", "--name", "web server", "web.toml"}, []string{"--name", `" " is not allowed`, `try "web-server.service"`}},
		{"name of another unit type", []string{"unit", "--name", "web.socket", "web.toml"}, []string{"--name", `use "web.service"`}},
		{"template name", []string{"unit", "--name", "web@.service", "web.toml"}, []string{"--name", "template and instance units", "drop the '@'"}},
		{"empty name", []string{"unit", "--name", "", "web.toml"}, []string{"--name", "the unit name is empty"}},
		{"no profile", []string{"unit"}, []string{"name one profile", "fsviews unit PROFILE"}},
		{"two profiles", []string{"unit", "web.toml", "minimal"}, []string{"name one profile"}},
		{"command after --", []string{"unit", "web.toml", "--", "/bin/true"}, []string{`no command after "--"`, "set command = [...] in the profile"}},
		{"profile without command", []string{"unit", "nocmd.toml"}, []string{"has no command", `add command = [`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := listDir(t, h)
			r := runIn(t, h, tc.args...)
			if r.code != 1 {
				t.Errorf("want exit 1, got %v", r)
			}
			if r.stdout != "" {
				t.Errorf("a unit was printed despite the error:\n%s", r.stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if after := listDir(t, h); after != before {
				t.Errorf("the directory changed:\nbefore: %s\nafter:  %s", before, after)
			}
		})
	}
}

// runIn runs fsviews with args in dir and returns what it left.
func runIn(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(fsviews(t), args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return wait(t, cmd, &stdout, &stderr)
}

func listDir(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return strings.Join(names, " ")
}
