package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A bind source below a place another jail can write (here a jail with a
// rw bind of /data, running as nobody) is swapped by that jail for a
// symlink to a root-only directory: the reader's next start refuses
// instead of showing that directory in its view. Within one profile such a
// source is an error of its own.
func TestSwappedBindSourceRefused(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	data, secret := filepath.Join(h, "data"), filepath.Join(h, "secret")
	for _, d := range []string{filepath.Join(data, "static"), secret} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(t, filepath.Join(data, "static", "index.html"), "public\n")
	mustWrite(t, filepath.Join(secret, "key"), "TOPSECRET\n")
	os.Chmod(secret, 0o700)
	os.Chown(data, 65534, 65534)
	os.Chown(filepath.Join(data, "static"), 65534, 65534)
	nobody := "[security]\nuser = \"nobody\"\ncapabilities = []\n"
	writer := writeProfile(t, h, "writer", base+"[[bind]]\nsource = \""+data+"\"\ntarget = \"/data\"\nmode = \"rw\"\n"+nobody)
	reader := writeProfile(t, h, "reader", base+"[[bind]]\nsource = \""+data+"/static\"\ntarget = \"/www\"\n"+nobody)
	both := writeProfile(t, h, "both", base+"[[bind]]\nsource = \""+data+"\"\ntarget = \"/data\"\nmode = \"rw\"\n[[bind]]\nsource = \""+data+"/static\"\ntarget = \"/www\"\n")
	if r := run(t, "check", both); r.code != 1 || !strings.Contains(r.stderr, data+"/static lies inside "+data+", which the jail can write through its read-write bind") {
		t.Errorf("check of one profile binding inside its own rw bind: %v", r)
	}

	state := filepath.Join(h, "state")
	if r := run(t, "run", "--state-dir", state, reader, "--", "/bin/cat", "/www/index.html"); r.code != 0 || r.stdout != "public\n" {
		t.Fatalf("reader, first run: %v", r)
	}
	r := run(t, "run", "--state-dir", state, writer, "--", "/bin/sh", "-c", "mv /data/static /data/old && ln -s "+secret+" /data/static && echo swapped")
	if r.code != 0 || r.stdout != "swapped\n" {
		t.Fatalf("writer: %v", r)
	}
	before := mountTable(t, "self")
	r = run(t, "run", "--state-dir", state, reader, "--", "/bin/sh", "-c", "cat /www/key")
	want := data + "/static is a symlink that someone other than root could have placed (the link is owned by uid 65534): fsviews does not follow it"
	if r.code != 125 || strings.Contains(r.stdout, "TOPSECRET") || !strings.Contains(r.stderr, want) {
		t.Errorf("reader, second run: want exit 125 and %q: %v", want, r)
	}
	sameMounts(t, "refused run", before, mountTable(t, "self"))
}

// An unprivileged host user who owns a directory above a bind source swaps
// the source for a symlink between two runs: refused, nothing mounted.
// Links root placed in root's directories are followed as before.
func TestHostUserSwapsBindSource(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	owned := filepath.Join(h, "alice")
	if err := os.MkdirAll(filepath.Join(owned, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(owned, "src", "f"), "mine\n")
	os.Chown(owned, 65534, 65534)
	rootLink := filepath.Join(h, "via-root-link")
	if err := os.Symlink(filepath.Join(owned, "src"), rootLink); err != nil {
		t.Fatal(err)
	}
	profile := writeProfile(t, h, "usersrc", base+`
[[bind]]
source = "`+rootLink+`"
target = "/src"
`)
	state := filepath.Join(h, "state")
	if r := run(t, "run", "--state-dir", state, profile, "--", "/bin/cat", "/src/f"); r.code != 0 || r.stdout != "mine\n" {
		t.Fatalf("first run, through root's own link: %v", r)
	}
	swap := runShell(t, []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh", "-c",
		"cd " + owned + " && mv src src.old && ln -s /etc src"})
	if swap.code != 0 {
		t.Fatalf("the user's swap: %v", swap)
	}
	before := mountTable(t, "self")
	r := run(t, "run", "--state-dir", state, profile, "--", "/bin/cat", "/src/shadow")
	want := owned + "/src is a symlink that someone other than root could have placed (the link is owned by uid 65534)"
	if r.code != 125 || !strings.Contains(r.stderr, want) || strings.Contains(r.stdout, "root:") {
		t.Errorf("second run: want exit 125 and %q: %v", want, r)
	}
	sameMounts(t, "refused run", before, mountTable(t, "self"))
}
