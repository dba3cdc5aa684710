package learn

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Host is what synthesis asks about the machine the daemon was learned on.
type Host interface {
	// Lstat describes a host path without following a final symlink.
	Lstat(path string) (fs.FileInfo, error)
	// Owner is the uid and gid owning a host path.
	Owner(path string) (uid, gid int, ok bool)
	// UserName and GroupName name an id; "" when the host has no name.
	UserName(uid int) string
	GroupName(gid int) string
}

// Base is one bundled fragment a learned profile may include instead of
// listing what it shows.
type Base struct {
	Include string   // as an include line says it: "base/libc.toml"
	Shows   []string // the view paths it binds, links or writes
	// Marks are paths whose use means the fragment is wanted (any path
	// below /usr wants base/libc.toml); Shows when empty.
	Marks []string
}

// SeccompFit says which observed syscalls a preset does not allow.
type SeccompFit func(preset string, names []string) (refused []string)

// Input is everything Synthesize reads.
type Input struct {
	Obs     *Observations
	Name    string // the profile's name
	Host    Host
	Bases   []Base
	Seccomp SeccompFit
	// Extends is the profile being extended (fsviews learn PROFILE): the
	// result includes it and adds only what it lacks. nil: a whole profile.
	Extends *Existing
}

// Existing is what an extended profile already gives the daemon.
type Existing struct {
	Include string // how the learned profile names it in include
	// Command is true when the run's command is the profile's own, so
	// that the learned profile need not repeat it.
	Command  bool
	Shows    []string // view paths it shows: binds, tmpfs, state, dirs, symlinks, files
	Writable []string // its state dirs, tmpfs and read-write binds
	Proc     bool
	Dev      bool
	HostNet  bool   // net = "host"
	User     string // "" or "root" for root
	Caps     []string
	// Refused says which of the names its seccomp filter refuses; nil
	// when it has no filter.
	Refused func(names []string) []string
}

// containers are the directories a bind, state dir or tmpfs is never made
// of whole: a path below one is collapsed to its child below the deepest
// container ("/etc/nginx/sites-enabled/default" shows "/etc/nginx").
var containers = []string{"/", "/etc", "/var", "/var/lib", "/var/log", "/var/cache", "/var/spool",
	"/var/tmp", "/srv", "/opt", "/home", "/run", "/tmp", "/usr", "/usr/local", "/usr/share", "/usr/lib", "/mnt", "/media"}

// scratch are the places whose writes are scratch, not state: a tmpfs
// there is what a person would write.
var scratchDirs = []string{"/tmp", "/var/tmp", "/run"}

// secretPaths are never shown by a learned profile, even if the daemon
// read them: fsviews check refuses them without a reason a person gives.
var secretPaths = []string{"/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/ssh", "/etc/ssl/private",
	"/root", "/etc/fsviews", "/var/lib/fsviews"}

// under reports whether p is dir or below it.
func under(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

func underAny(p string, dirs []string) bool {
	for _, d := range dirs {
		if under(p, d) {
			return true
		}
	}
	return false
}

// collapse is the directory (or file) to show for p: its component below
// the deepest container it lies in.
func collapse(p string) string {
	deepest := "/"
	for _, c := range containers {
		if under(p, c) && p != c && len(c) > len(deepest) {
			deepest = c
		}
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(p, deepest), "/")
	first, _, _ := strings.Cut(rest, "/")
	return path.Join(deepest, first)
}

func isContainer(p string) bool { return slices.Contains(containers, p) }

// outermost drops the paths below another path of the list, and sorts.
func outermost(ps []string) []string {
	sort.Strings(ps)
	var out []string
	for _, p := range ps {
		if len(out) > 0 && under(p, out[len(out)-1]) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// profileText collects the sections of the profile being written.
type profileText struct {
	b strings.Builder
}

// line writes one line. Control characters in it are escaped: a path can
// hold a newline, and one in a comment would start a line of TOML that
// the host's file names wrote ("x\n[security]\ncapabilities = ...").
func (t *profileText) line(format string, a ...any) {
	for _, r := range fmt.Sprintf(format, a...) {
		if r < 0x20 || r == 0x7f {
			fmt.Fprintf(&t.b, "\\u%04x", r)
			continue
		}
		t.b.WriteRune(r)
	}
	t.b.WriteByte('\n')
}

// quote writes a TOML basic string (not Go's: TOML has no \x escapes).
// s must be UTF-8; Synthesize leaves out paths that are not.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// listed shortens a list of paths for a comment. A path that is not
// printable UTF-8 is shown quoted, with escapes.
func listed(ps []string, max int) string {
	shown := make([]string, 0, min(len(ps), max))
	for _, p := range ps[:min(len(ps), max)] {
		if !utf8.ValidString(p) || strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			p = strconv.QuoteToASCII(p)
		}
		shown = append(shown, p)
	}
	if len(ps) <= max {
		return strings.Join(shown, ", ")
	}
	return strings.Join(shown, ", ") + fmt.Sprintf(" and %d more", len(ps)-max)
}

// Synthesize writes the profile for what in.Obs saw. It is pure: the host
// is asked only through in.Host.
func Synthesize(in Input) string {
	o := in.Obs
	ext := in.Extends
	if ext == nil {
		ext = &Existing{}
	}
	extending := in.Extends != nil
	var t profileText
	var notes []string // what the profile leaves out, for the header

	// Sort what was seen into reads, writes and the pseudo file systems.
	var reads, writes, procPaths, devPaths, sysPaths, notUTF8 []string
	created := map[string]bool{}
	for _, c := range o.Changes {
		if !utf8.ValidString(c.Path) {
			notUTF8 = append(notUTF8, c.Path)
			continue
		}
		if c.New {
			created[c.Path] = true
		}
		if c.Kind == "dir" && !c.New {
			continue // copied up on the way to a change below
		}
		writes = append(writes, c.Path)
	}
	for p, u := range o.Files {
		switch {
		case !utf8.ValidString(p):
			notUTF8 = append(notUTF8, p)
		case under(p, "/proc"):
			procPaths = append(procPaths, p)
		case under(p, "/dev"):
			devPaths = append(devPaths, p)
		case under(p, "/sys"):
			sysPaths = append(sysPaths, p)
		case u.Write:
			writes = append(writes, p)
		default:
			reads = append(reads, p)
		}
	}
	sort.Strings(reads)
	sort.Strings(procPaths)
	sort.Strings(sysPaths)

	// Writable places: scratch tmpfs, or state that persists.
	user, uid, gid := chooseUser(o, in.Host)
	var tmpfs, state, dropped, readOnly []string
	for _, w := range writes {
		switch {
		case under(w, "/dev") || under(w, "/proc") || under(w, "/sys") || underAny(w, ext.Writable):
			continue
		case underAny(w, ext.Shows):
			readOnly = append(readOnly, w)
			continue
		case under(w, "/usr"):
			dropped = append(dropped, w)
			continue
		}
		if s := scratchOf(w); s != "" {
			tmpfs = append(tmpfs, s)
			continue
		}
		d := collapse(w)
		if d == w && !isDirHere(in.Host, w, o.Changes) {
			d = path.Dir(w)
		}
		if isContainer(d) {
			dropped = append(dropped, w)
			continue
		}
		state = append(state, d)
	}
	tmpfs, state = outermost(tmpfs), outermost(state)
	writable := append(slices.Clone(tmpfs), state...)
	if len(dropped) > 0 {
		notes = append(notes, "not writable here, though written while learning: "+listed(outermost(dropped), 4))
	}
	if len(readOnly) > 0 {
		notes = append(notes, fmt.Sprintf("written while learning, but %s shows it read-only (make it writable there if the daemon must write it): %s", ext.Include, listed(outermost(readOnly), 4)))
	}

	// Includes: a fragment is wanted when a path it marks was used.
	var includes, shows []string
	for _, b := range in.Bases {
		marks := b.Marks
		if len(marks) == 0 {
			marks = b.Shows
		}
		if slices.ContainsFunc(reads, func(r string) bool { return underAny(r, marks) && !underAny(r, ext.Shows) }) {
			includes = append(includes, b.Include)
			shows = append(shows, b.Shows...)
		}
	}
	covered := func(p string) bool { return underAny(p, shows) || underAny(p, ext.Shows) }

	// Read-only binds, collapsed to the directories a person would name.
	var binds, secrets, wholes []string
	for _, r := range reads {
		switch {
		case covered(r) || underAny(r, writable) || created[r]:
			continue
		case underAny(r, secretPaths):
			secrets = append(secrets, r)
			continue
		}
		d := collapse(r)
		if slices.ContainsFunc(secretPaths, func(s string) bool { return s != d && under(s, d) }) {
			// A directory holding secrets (/etc/ssl holds private/): show
			// only what was read in it.
			d = r
		}
		if isContainer(d) || isContainer(r) || slices.ContainsFunc(secretPaths, func(s string) bool { return under(s, d) }) {
			wholes = append(wholes, r)
			continue
		}
		if _, err := in.Host.Lstat(d); err != nil {
			continue // gone from the host since (made and removed by the daemon)
		}
		binds = append(binds, d)
	}
	binds = outermost(binds)
	if len(secrets) > 0 {
		notes = append(notes, "not shown, secrets it read: "+listed(secrets, 4)+" (bind one yourself if the daemon needs it)")
	}
	if len(wholes) > 0 {
		notes = append(notes, "not shown whole, directories it listed: "+listed(outermost(wholes), 4))
	}
	if len(notUTF8) > 0 {
		sort.Strings(notUTF8)
		notes = append(notes, "left out, paths a profile cannot name (not UTF-8): "+listed(notUTF8, 4))
	}
	if len(sysPaths) > 0 {
		notes = append(notes, "not shown (fsviews has no /sys): "+listed(sysPaths, 4))
	}

	// Header.
	if extending {
		t.line("# %s: %s, with what one run of the command below used that it lacks:", in.Name, ext.Include)
	} else {
		t.line("# %s: learned by fsviews learn from one run of:", in.Name)
	}
	t.line("#   %s", strings.Join(o.Command, " "))
	if o.Ended != "" {
		t.line("# The run ended: %s.", o.Ended)
	}
	t.line("# It shows only what the daemon used in that run: exercise every feature")
	t.line("# while learning, then verify it (fsviews learn --verify, docs/learn.md).")
	for _, n := range notes {
		t.line("# Note: %s.", n)
	}
	t.line("")
	if extending {
		includes = append([]string{ext.Include}, includes...)
	}
	if len(includes) > 0 {
		t.line("include = %s", quoteAll(includes))
	}
	if !ext.Command {
		t.line("command = %s", quoteAll(o.Command))
	}
	if o.Workdir != "" && o.Workdir != "/" && !extending {
		t.line("workdir = %s", quote(o.Workdir))
	}
	if !extending {
		t.line("")
		t.line("[root]")
		t.line("size = \"1M\"")
	}

	if len(binds) > 0 {
		t.line("")
		t.line("# Read-only: the directories (or files) holding what it read.")
		for _, b := range binds {
			var seen []string
			for _, r := range reads {
				if under(r, b) {
					seen = append(seen, r)
				}
			}
			t.line("[[bind]]")
			t.line("source = %s # it read %s", quote(b), listed(seen, 2))
		}
	}
	for _, s := range state {
		t.line("")
		t.line("# It wrote %s: kept across runs on the host, under the state root;", listed(writesUnder(writes, s), 2))
		t.line("# it starts empty, so copy what the host has there into it first if the daemon needs it.")
		t.line("[[state]]")
		t.line("target = %s", quote(s))
		t.line("mode   = %s", quote(stateMode(in.Host, s)))
	}
	for _, s := range tmpfs {
		t.line("")
		t.line("# Scratch, new at every start: it wrote %s.", listed(writesUnder(writes, s), 2))
		t.line("[[tmpfs]]")
		t.line("target = %s", quote(s))
		t.line("size   = \"16M\"")
		mode := "0755"
		if uid != 0 || s == "/tmp" || s == "/var/tmp" {
			mode = "1777" // a tmpfs belongs to root: a daemon of another uid needs the sticky, writable mode
		}
		t.line("mode   = %s", quote(mode))
	}
	// [dev]'s links (stdout, stderr, fd) point into /proc/self/fd: a
	// view with /dev needs a procfs, the smallest if nothing else was read.
	devLinks := len(devPaths) > 0 && !ext.Dev
	if (len(procPaths) > 0 || devLinks) && !ext.Proc {
		t.line("")
		switch {
		case len(procPaths) == 0:
			t.line("# /dev/stdout, /dev/stderr and /dev/fd link into /proc/self/fd.")
			t.line("[proc]")
			t.line("subset = \"pid\" # the jail's processes only, none of the kernel's files")
		default:
			t.line("# It read %s.", listed(procPaths, 3))
			t.line("[proc]")
			if !slices.ContainsFunc(procPaths, func(p string) bool { return !procPIDPath(p) }) {
				t.line("subset = \"pid\" # only process directories were read")
			}
		}
	}
	if len(devPaths) > 0 && !ext.Dev {
		t.line("")
		t.line("# It opened %s.", listed(devPaths, 3))
		t.line("[dev]")
	}

	// Identity and capabilities.
	caps, why := capabilities(o, in.Host, uid, gid, reads, writable)
	if extending {
		extensionSecurity(&t, ext, user, caps, why, o)
	} else {
		t.line("")
		t.line("[security]")
		if len(o.SetIDs) > 0 {
			t.line("# It changed identity: %s.", listed(o.SetIDs, 4))
		}
		t.line("# Its main process ran as %s.", user)
		t.line("user         = %s", quote(user))
		for _, w := range why {
			t.line("# %s", w)
		}
		t.line("capabilities = %s", quoteAll(caps))
	}

	// Network.
	inet := slices.Contains(o.Families, "inet") || slices.Contains(o.Families, "inet6")
	switch {
	case extending && inet && !ext.HostNet:
		t.line("")
		t.line("[namespaces]")
		t.line("# It opened %s sockets%s: it serves (or reaches) the host's network.", strings.Join(o.Families, ", "), bindText(o.Binds))
		t.line("net = \"host\"")
	case extending:
	default:
		t.line("")
		t.line("[namespaces]")
		t.line("pid = true")
		t.line("ipc = true")
		t.line("uts = true")
		switch {
		case inet:
			t.line("# It opened %s sockets%s: it serves (or reaches) the host's network.", strings.Join(o.Families, ", "), bindText(o.Binds))
			t.line("net = \"host\"")
		case len(o.Families) > 0:
			t.line("# It opened only %s sockets: no network.", strings.Join(o.Families, ", "))
			t.line("net = \"none\"")
		default:
			t.line("# It opened no socket: no network.")
			t.line("net = \"none\"")
		}
	}

	// Syscalls.
	var known, unknown []string
	for _, s := range o.Syscalls {
		if strings.HasPrefix(s, "syscall ") {
			unknown = append(unknown, s)
		} else {
			known = append(known, s)
		}
	}
	if extending {
		if ext.Refused != nil {
			if extra := ext.Refused(known); len(extra) > 0 {
				t.line("")
				t.line("[seccomp]")
				t.line("# It made these syscalls, which the filter of %s refuses.", ext.Include)
				t.line("allow = %s", quoteAll(extra))
			}
		}
		return t.b.String()
	}
	preset, extra := fitPreset(in.Seccomp, known, len(o.Families) > 0 || len(writes) > 0)
	t.line("")
	t.line("[seccomp]")
	switch {
	case len(extra) > 0:
		t.line("# It made %d different syscalls; the %s preset allows all but those named below.", len(o.Syscalls), preset)
	default:
		t.line("# It made %d different syscalls, all of which the %s preset allows.", len(o.Syscalls), preset)
	}
	t.line("preset = %s", quote(preset))
	if len(extra) > 0 {
		t.line("allow  = %s", quoteAll(extra))
	}
	if len(unknown) > 0 {
		t.line("# Numbers newer than fsviews' syscall table, refused: %s.", strings.Join(unknown, ", "))
	}
	t.line("")
	t.line("# Landlock: the kernel refuses writes outside the view's writable mounts.")
	t.line("[landlock]")
	return t.b.String()
}

// fitPreset picks the smallest allowlist preset that allows every
// syscall by name: strict, then stdio, then daemon with an allow line for
// the rest. strict and stdio refuse writing opens and sockets by their
// arguments, so a program that wrote files or opened sockets gets daemon.
func fitPreset(fit SeccompFit, names []string, wrote bool) (preset string, extra []string) {
	if fit == nil {
		return "daemon", nil
	}
	if !wrote {
		for _, p := range []string{"strict", "stdio"} {
			if len(fit(p, names)) == 0 {
				return p, nil
			}
		}
	}
	return "daemon", fit("daemon", names)
}

// scratchOf is the tmpfs for a write in a scratch place, "" for others.
// /run/NAME/... gets /run/NAME, for a runtime dir of the daemon's own.
func scratchOf(w string) string {
	for _, s := range scratchDirs {
		if !under(w, s) {
			continue
		}
		if s == "/run" {
			rest := strings.TrimPrefix(w, "/run/")
			if first, _, ok := strings.Cut(rest, "/"); ok {
				return "/run/" + first
			}
		}
		return s
	}
	return ""
}

// isDirHere says whether p is a directory, on the host or made by the daemon.
func isDirHere(h Host, p string, changes []Change) bool {
	for _, c := range changes {
		if c.Path == p {
			return c.Kind == "dir"
		}
	}
	fi, err := h.Lstat(p)
	return err == nil && fi.IsDir()
}

func writesUnder(writes []string, dir string) []string {
	var out []string
	for _, w := range writes {
		if under(w, dir) && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out
}

// stateMode is the host directory's mode when it has one, else 0750.
func stateMode(h Host, p string) string {
	if fi, err := h.Lstat(p); err == nil && fi.IsDir() {
		return fmt.Sprintf("%04o", fi.Mode().Perm())
	}
	return "0750"
}

// procPIDPath reports whether a /proc path is in what subset=pid keeps.
func procPIDPath(p string) bool {
	rest := strings.TrimPrefix(p, "/proc/")
	first, _, _ := strings.Cut(rest, "/")
	if first == "self" || first == "thread-self" {
		return true
	}
	_, err := strconv.Atoi(first)
	return err == nil
}

func bindText(binds []Bind) string {
	var s []string
	for _, b := range binds {
		switch b.Family {
		case "inet":
			s = append(s, fmt.Sprintf("%s:%d", b.Addr, b.Port))
		case "inet6":
			s = append(s, fmt.Sprintf("[%s]:%d", b.Addr, b.Port))
		}
	}
	if len(s) == 0 {
		return ""
	}
	return " and bound " + strings.Join(s, ", ")
}

// chooseUser is the user the profile starts the daemon as: its main
// process's at the end of the run, which is the one it settled on. A
// daemon that switched itself to a user from root is started as that
// user directly and needs no SETUID or SETGID.
func chooseUser(o *Observations, h Host) (name string, uid, gid int) {
	for _, p := range o.Processes {
		if p.Main {
			if n := h.UserName(p.UID); n != "" {
				return n, p.UID, p.GID
			}
			return strconv.Itoa(p.UID), p.UID, p.GID
		}
	}
	return "root", 0, 0
}

// capabilities infers the smallest set from the calls seen: ports below
// 1024, identity changes, chown, chroot, signals to other uids, and files
// the user could not open by their modes alone. why[i] says why caps[i].
func capabilities(o *Observations, h Host, uid, gid int, reads, writable []string) (caps, why []string) {
	reasons := map[string]string{}
	add := func(c, reason string) {
		if _, ok := reasons[c]; !ok {
			reasons[c] = reason
		}
	}
	for _, b := range o.Binds {
		if (b.Family == "inet" || b.Family == "inet6") && b.Port > 0 && b.Port < 1024 {
			add("NET_BIND_SERVICE", fmt.Sprintf("it bound port %d", b.Port))
		}
	}
	if uid == 0 {
		for _, s := range o.SetIDs {
			switch {
			case strings.HasPrefix(s, "setgroups") || strings.Contains(s, "gid("):
				add("SETGID", "it called "+s)
			default:
				add("SETUID", "it called "+s)
			}
		}
		if o.Chown {
			add("CHOWN", "it gave files to another owner (chown)")
		}
		if o.Chroot {
			add("SYS_CHROOT", "it called chroot")
		}
		if o.Kill {
			add("KILL", "it signalled a process of another user")
		}
	}
	for _, r := range reads {
		if underAny(r, writable) {
			continue
		}
		if !mayRead(h, r, uid, gid) {
			add("DAC_READ_SEARCH", fmt.Sprintf("it read %s, which the modes alone do not let uid %d read", r, uid))
		}
	}
	for c := range reasons {
		caps = append(caps, c)
	}
	sort.Strings(caps)
	for _, c := range caps {
		why = append(why, c+": "+reasons[c])
	}
	return caps, why
}

// mayRead applies the mode bits, as the kernel does for a process with no
// capability.
func mayRead(h Host, p string, uid, gid int) bool {
	fi, err := h.Lstat(p)
	if err != nil {
		return true // gone: nothing to say
	}
	ou, og, ok := h.Owner(p)
	if !ok {
		return true
	}
	perm := fi.Mode().Perm()
	switch {
	case ou == uid:
		return perm&0o400 != 0
	case og == gid:
		return perm&0o040 != 0
	}
	return perm&0o004 != 0
}

// extensionSecurity writes the [security] an extension needs: the user
// when the daemon settled on another than the profile's, and the
// profile's capabilities with those it lacks, when it lacks any.
func extensionSecurity(t *profileText, ext *Existing, user string, caps, why []string, o *Observations) {
	had := cmpUser(ext.User)
	var lines []string
	if user != had {
		lines = append(lines, fmt.Sprintf("# Its main process ran as %s, not %s.", user, had))
		lines = append(lines, fmt.Sprintf("user         = %s", quote(user)))
	}
	all := slices.Clone(ext.Caps)
	var added []string
	for i, c := range caps {
		if !slices.Contains(all, c) {
			all = append(all, c)
			added = append(added, "# "+why[i])
		}
	}
	if len(added) > 0 {
		sort.Strings(all)
		lines = append(lines, added...)
		lines = append(lines, fmt.Sprintf("capabilities = %s # %s's and those it lacked", quoteAll(all), ext.Include))
	}
	if len(lines) == 0 {
		return
	}
	t.line("")
	t.line("[security]")
	if len(o.SetIDs) > 0 {
		t.line("# It changed identity: %s.", listed(o.SetIDs, 4))
	}
	for _, l := range lines {
		t.line("%s", l)
	}
}

func cmpUser(u string) string {
	if u == "" {
		return "root"
	}
	return u
}
