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
	want := data + "/static is a symlink (to " + secret + "): fsviews follows no symlink in a source"
	if r.code != 125 || strings.Contains(r.stdout, "TOPSECRET") || !strings.Contains(r.stderr, want) {
		t.Errorf("reader, second run: want exit 125 and %q: %v", want, r)
	}
	sameMounts(t, "refused run", before, mountTable(t, "self"))
}

// An unprivileged host user who owns a directory above a bind source swaps
// the source for a symlink between two runs: refused, nothing mounted.
// With follow = true, a link root placed at the end of the path is
// followed, and where it leads is taken as strictly.
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
follow = true
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

// sharedData makes the scene of #14: a directory data, owned by owner and
// written by a jail through a rw bind, holding a static/ directory and an
// app.ini another jail takes; a root-only directory and a 0600 key the
// attacker wants. It returns data, the root-only directory and the key.
func sharedData(t *testing.T, h string, owner int) (data, rootOnly, key string) {
	t.Helper()
	data, rootOnly, key = filepath.Join(h, "data"), filepath.Join(h, "rootonly"), filepath.Join(h, "secret.key")
	mustWrite(t, filepath.Join(data, "static", "index.html"), "public\n")
	mustWrite(t, filepath.Join(data, "app.ini"), "port = 80\n")
	mustWrite(t, filepath.Join(rootOnly, "keep"), "root's\n")
	mustWrite(t, key, "TOPSECRET\n")
	os.Chmod(rootOnly, 0o700)
	os.Chmod(key, 0o600)
	for _, p := range []string{data, filepath.Join(data, "static"), filepath.Join(data, "app.ini")} {
		if err := os.Chown(p, owner, owner); err != nil {
			t.Fatal(err)
		}
	}
	return data, rootOnly, key
}

// The writer jail of sharedData: a daemon with a rw bind of data at /data,
// running as root (the default) or with the extra profile text.
func writerProfile(t *testing.T, h, data, extra string) string {
	t.Helper()
	return writeProfile(t, h, "writer", base+"[[bind]]\nsource = \""+data+"\"\ntarget = \"/data\"\nmode = \"rw\"\n"+extra)
}

// The [[file]] and read-write variants of the swap, by a writer jail that
// runs as root (the default), so that its links are root's in root's
// directory: it points app.ini at a 0600 key and static at a root-only
// directory. Before, the next start of a daemon (as nobody) copied the key
// into its view, mode 0644, and a root daemon with a rw bind of static
// wrote into the root-only directory; now both starts are refused, naming
// the link, and the host is unchanged.
func TestSwappedSourcesRefused(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	data, rootOnly, key := sharedData(t, h, 0)
	writer := writerProfile(t, h, data, "")
	copier := writeProfile(t, h, "copier", base+"[[file]]\nsource = \""+data+"/app.ini\"\ntarget = \"/etc/app.ini\"\n[security]\nuser = \"nobody\"\ncapabilities = []\n")
	rw := writeProfile(t, h, "rwreader", base+"[[bind]]\nsource = \""+data+"/static\"\ntarget = \"/www\"\nmode = \"rw\"\n")
	state := filepath.Join(h, "state")
	if r := run(t, "run", "--state-dir", state, copier, "--", "/bin/cat", "/etc/app.ini"); r.code != 0 || r.stdout != "port = 80\n" {
		t.Fatalf("copier, first run: %v", r)
	}
	if r := run(t, "run", "--state-dir", state, rw, "--", "/bin/sh", "-c", "echo hello > /www/hello && cat /www/index.html"); r.code != 0 || r.stdout != "public\n" {
		t.Fatalf("rw reader, first run: %v", r)
	}
	r := run(t, "run", "--state-dir", state, writer, "--", "/bin/sh", "-c",
		"rm /data/app.ini && ln -s "+key+" /data/app.ini && mv /data/static /data/old && ln -s "+rootOnly+" /data/static && echo swapped")
	if r.code != 0 || r.stdout != "swapped\n" {
		t.Fatalf("writer: %v", r)
	}
	before := mountTable(t, "self")
	link := func(p, to string) string {
		return p + " is a symlink (to " + to + "): fsviews follows no symlink in a source, since whoever can write where it lies (a jail's read-write bind, even one running as root, or a user) could point it at any file before the next start; write the real path in the profile, or follow = true when the last component is a link the system placed (/etc/localtime)"
	}
	r = run(t, "run", "--state-dir", state, copier, "--", "/bin/sh", "-c", "ls -l /etc/app.ini; cat /etc/app.ini")
	if want := link(data+"/app.ini", key); r.code != 125 || strings.Contains(r.stdout, "TOPSECRET") || !strings.Contains(r.stderr, want) {
		t.Errorf("copier, second run: want exit 125 and %q: %v", want, r)
	}
	r = run(t, "run", "--state-dir", state, rw, "--", "/bin/sh", "-c", "echo planted > /www/planted; ls /www")
	if want := link(data+"/static", rootOnly); r.code != 125 || strings.Contains(r.stdout, "keep") || !strings.Contains(r.stderr, want) {
		t.Errorf("rw reader, second run: want exit 125 and %q: %v", want, r)
	}
	if _, err := os.Lstat(filepath.Join(rootOnly, "planted")); err == nil {
		t.Error("the jail wrote into the root-only host directory")
	}
	sameMounts(t, "refused runs", before, mountTable(t, "self"))
}

// A running jail's bind source moved away by another jail and replaced:
// inspect reports the swap as drift (the live mount shows another place
// than the source, and the source is another inode), where it said
// "0 changed" before. check refuses the reader's profile while the writer
// is registered: its source lies in the writer's read-write bind.
func TestInspectReportsSwappedSource(t *testing.T) {
	requireRoot(t)
	a := newAuditEnv(t)
	h := hostDir(t)
	data, _, _ := sharedData(t, h, 65534)
	writer := writerProfile(t, h, data, "[security]\nuser = \"nobody\"\ncapabilities = []\n")
	reader := writeProfile(t, h, "reader", base+"[[bind]]\nsource = \""+data+"/static\"\ntarget = \"/www\"\n[security]\nuser = \"nobody\"\ncapabilities = []\n")
	ready := "echo ready; exec sleep 120"
	a.start(t, "run", "--state-dir", a.state, reader, "--", "/bin/sh", "-c", ready)
	r := a.run(t, "inspect", "reader")
	if r.code != 0 || !strings.Contains(r.stdout, "0 changed, 0 unexpected, 0 missing") || !strings.Contains(r.stdout, "; 0 of ") {
		t.Fatalf("inspect before the swap: %v", r)
	}
	if r := a.run(t, "check", reader); r.code != 0 {
		t.Fatalf("check with no writer registered: %v", r)
	}

	a.start(t, "run", "--state-dir", a.state, writer, "--", "/bin/sh", "-c", "mv /data/static /data/old && mkdir /data/static && "+ready)
	r = a.run(t, "inspect", "reader")
	for _, want := range []string{
		"shows " + data + "/old of its file system, but the source " + data + "/static is " + data + "/static there: the source was moved or replaced since the jail started",
		"DRIFT  " + data + "/static device ",
		"at /www; replaced since the jail started",
		"1 changed, 0 unexpected, 0 missing",
	} {
		if r.code != 1 || !strings.Contains(r.stdout, want) {
			t.Errorf("inspect after the swap: want exit 1 and %q: %v", want, r)
		}
	}
	r = a.run(t, "check", reader)
	want := data + "/static lies inside " + data + ", which jail writer (running) can write through its read-write bind at /data: it could replace the source before this profile's next start"
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("check with the writer registered: want exit 1 and %q: %v", want, r)
	}
}

// A read-write bind source owned by an unprivileged host user, swapped by
// that user for a link to a root-only directory between two runs: the
// second run refuses with the message naming the link, and the root daemon
// writes nothing there.
func TestHostUserSwapsReadWriteSource(t *testing.T) {
	requireRoot(t)
	h := hostDir(t)
	owned, rootOnly := filepath.Join(h, "alice"), filepath.Join(h, "rootonly")
	mustWrite(t, filepath.Join(owned, "src", "f"), "mine\n")
	mustWrite(t, filepath.Join(rootOnly, "keep"), "root's\n")
	os.Chmod(rootOnly, 0o700)
	for _, p := range []string{owned, filepath.Join(owned, "src"), filepath.Join(owned, "src", "f")} {
		os.Chown(p, 65534, 65534)
	}
	profile := writeProfile(t, h, "usersrc", base+"[[bind]]\nsource = \""+owned+"/src\"\ntarget = \"/src\"\nmode = \"rw\"\n")
	state := filepath.Join(h, "state")
	write := []string{"--", "/bin/sh", "-c", "echo planted > /src/planted && cat /src/f"}
	if r := run(t, append([]string{"run", "--state-dir", state, profile}, write...)...); r.code != 0 || r.stdout != "mine\n" {
		t.Fatalf("first run: %v", r)
	}
	swap := runShell(t, []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh", "-c",
		"cd " + owned + " && mv src src.old && ln -s " + rootOnly + " src"})
	if swap.code != 0 {
		t.Fatalf("the user's swap: %v", swap)
	}
	before := mountTable(t, "self")
	r := run(t, append([]string{"run", "--state-dir", state, profile}, write...)...)
	want := "bind /src: source: source " + owned + "/src: " + owned + "/src is a symlink (to " + rootOnly + "): fsviews follows no symlink in a source, since whoever can write where it lies (a jail's read-write bind, even one running as root, or a user) could point it at any file before the next start; write the real path in the profile, or follow = true when the last component is a link the system placed (/etc/localtime)"
	if r.code != 125 || !strings.Contains(r.stderr, want) {
		t.Errorf("second run: want exit 125 and %q: %v", want, r)
	}
	if ents, _ := os.ReadDir(rootOnly); len(ents) != 1 {
		t.Errorf("the root-only directory changed: %v", ents)
	}
	sameMounts(t, "refused run", before, mountTable(t, "self"))
}
