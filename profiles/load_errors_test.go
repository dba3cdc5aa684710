package profiles

import (
	"reflect"
	"testing"
)

type problemCase struct {
	name  string
	text  string            // p.toml, loaded as bare name "p"
	more  map[string]string // other library files
	wants []want
	loads bool // the profile loads (only warnings)
}

const P = "library:p.toml:"

// problemCases are bad profiles, each with exactly the problems Load
// must report, at their file:line and key. FuzzLoad starts from them too.
var problemCases = []problemCase{
	// TOML itself.
	{name: "syntax error names its line",
		text:  lines(`name = "x"`, `command = ["/bin/sh"`),
		wants: []want{{pos: P + "2", key: "command", msg: "TOML syntax: expected a comma"}}},
	{name: "key defined twice",
		text:  lines(`workdir = "/"`, `workdir = "/tmp"`),
		wants: []want{{pos: P + "2", key: "workdir", msg: "has already been defined"}}},
	{name: "wrong type names its line and key",
		text:  lines(`name = "x"`, ``, `command = "/bin/sh"`),
		wants: []want{{pos: P + "3", key: "command", msg: "TOML value has type string; destination has type slice"}}},
	{name: "wrong type in an array of tables",
		text:  lines(`[[bind]]`, `source = "/usr"`, `[[bind]]`, `source = "/etc"`, `optional = "yes"`),
		wants: []want{{pos: P + "5", key: "[[bind]] #2 optional", msg: "TOML value has type string; destination has type bool"}}},
	{name: "every wrong type is reported, in file order",
		// The decoder alone names one of them, a different one from run
		// to run (found by FuzzLoad).
		text: lines(`inClude = "77 "`, `[[stAte]]`, `target = [""]`, `[security]`, `user = 1`, `no_new_privs = "yes"`,
			`[env.set]`, `A = 1`, `B = true`),
		wants: []want{
			{pos: P + "1", key: "inClude", msg: "TOML value has type string; destination has type slice"},
			{pos: P + "3", key: "[[stAte]] #1 target", msg: "TOML value has type []any; destination has type string"},
			{pos: P + "5", key: "[security] user", msg: "destination has type string"},
			{pos: P + "6", key: "[security] no_new_privs", msg: "destination has type bool"},
			{pos: P + "8", key: "[env] set.A", msg: "destination has type string"},
			{pos: P + "9", key: "[env] set.B", msg: "destination has type string"},
		}},
	{name: "table where a value belongs",
		text:  lines(`proc = true`),
		wants: []want{{pos: P + "1", key: "proc", msg: "expected table but found bool"}}},

	// Unknown keys and tables.
	// A misspelt key is reported once: not also as the key it was
	// meant to be, missing.
	{name: "unknown key suggests the closest",
		text: lines(`[[bind]]`, `source = "/usr"`, `[[bind]]`, `sourc = "/srv/www"`),
		wants: []want{
			{pos: P + "4", key: "[[bind]] #2 sourc", msg: `unknown key "sourc"; did you mean "source"?`},
		}},
	{name: "a key really missing is still reported",
		text: lines(`[[bind]]`, `source = "/usr"`, `[[bind]]`, `target = "/srv/www"`),
		wants: []want{
			{pos: P + "3", key: "[[bind]] #2 source", msg: "missing: give an absolute host path"},
		}},
	{name: "unknown top-level key",
		text:  lines(`comand = ["/bin/sh"]`),
		wants: []want{{pos: P + "1", key: "comand", msg: `did you mean "command"?`}}},
	{name: "unknown key far from any lists the accepted ones",
		text:  lines(`[root]`, `zzzzzzzzzz = 1`),
		wants: []want{{pos: P + "2", key: "[root] zzzzzzzzzz", msg: "[root] accepts: size, mode, writable"}}},
	{name: "unknown table reported once",
		text:  lines(`[sekurity]`, `user = "www-data"`, `group = "www-data"`),
		wants: []want{{pos: P + "1", key: "sekurity", msg: `unknown key "sekurity"; did you mean "security"?`}}},
	{name: "unknown array of tables",
		text:  lines(`[[bnd]]`, `source = "/usr"`),
		wants: []want{{pos: P + "1", key: "[[bnd]] #1", msg: `did you mean "bind"?`}}},
	{name: "key in another case",
		text: lines(`[security]`, `user = "www-data"`, `User = "root"`, `[[Bind]]`, `source = "/usr"`),
		wants: []want{
			{pos: P + "3", key: "[security] User", msg: `unknown key "User"; did you mean "user"? (keys are case-sensitive)`},
			{pos: P + "4", key: "[[Bind]] #1", msg: `unknown key "Bind"; did you mean "bind"?`},
		}},
	{name: "key inside [proc]",
		text:  lines(`[proc]`, `hide_pid = 2`),
		wants: []want{{pos: P + "2", key: "[proc] hide_pid", msg: `unknown key "hide_pid"; did you mean "hidepid"?`}}},
	{name: "bad [proc] values",
		text: lines(`[proc]`, `subset = "all"`, `hidepid = 3`, `net_sysctls = "yes"`),
		wants: []want{
			{pos: P + "2", key: "[proc] subset", msg: `bad subset "all": use "pid"`},
			{pos: P + "3", key: "[proc] hidepid", msg: `bad hidepid 3: use "off" (0), "noaccess" (1), "invisible" (2) or "ptraceable" (4)`},
			{pos: P + "4", key: "[proc] net_sysctls", msg: `bad value "yes": use "ro"`},
		}},
	{name: "writable net sysctls with the host's network",
		text:  lines(`[proc]`, `net_sysctls = "rw"`),
		wants: []want{{pos: P + "2", key: "[proc] net_sysctls", msg: `with the host's network would let the daemon change the host's net.* sysctls`}}},
	{name: "writable net sysctls in a private network warns",
		text:  lines(`[proc]`, `net_sysctls = "rw"`, `[namespaces]`, `net = "none"`),
		loads: true,
		wants: []want{{pos: P + "2", key: "[proc] net_sysctls", msg: `/proc/sys/net stays writable: the daemon can change every net.* sysctl of its none network namespace`, warning: true}}},
	{name: "[dev] without [proc] warns that its links dangle",
		text:  lines(`[dev]`),
		loads: true,
		wants: []want{{pos: P + "1", key: "[dev]", msg: `/dev/stdin, /dev/stdout, /dev/stderr and /dev/fd link into /proc/self/fd, and the view has no /proc: a daemon that opens them (a log file set to /dev/stderr) gets ENOENT; add a [proc] table with subset = "pid"`, warning: true}}},
	{name: "[dev] with [proc] in another order is quiet",
		text:  lines(`[proc]`, `subset = "pid"`, `[dev]`),
		loads: true},
	{name: "read-write bind of kernel state",
		text: lines(`[[bind]]`, `source = "/proc/sys"`, `mode = "rw"`, `[[bind]]`, `source = "/sys/fs"`, `target = "/fs"`, `mode = "rw"`, `[[bind]]`, `source = "/sys"`),
		wants: []want{
			{pos: P + "3", key: "[[bind]] #1 mode", msg: `/proc/sys is kernel state: a read-write bind lets the daemon change the host's kernel settings; use mode = "ro"`},
			{pos: P + "7", key: "[[bind]] #2 mode", msg: `/sys/fs is kernel state`},
		}},
	{name: "source inside a read-write bind or the state root",
		text: lines(`state_root = "/srv/state"`, `[[bind]]`, `source = "/srv/www"`, `mode = "rw"`, `[[bind]]`, `source = "/srv/www/static"`, `target = "/static"`,
			`[[file]]`, `target = "/etc/app.json"`, `source = "/srv/www/app.json"`, `[[bind]]`, `source = "/srv/state/other"`, `target = "/other"`),
		wants: []want{
			{pos: P + "7", key: "[[bind]] source", msg: `/srv/www/static lies inside /srv/www, which the jail can write through its read-write bind (library:p.toml:3)`},
			{pos: P + "9", key: "[[file]] source", msg: `/srv/www/app.json lies inside /srv/www`},
			{pos: P + "13", key: "[[bind]] source", msg: `/srv/state/other lies inside the state root /srv/state, where jails write their state`},
		}},
	{name: "misspelt dotted key",
		text:  lines(`security.usr = "www-data"`),
		wants: []want{{pos: P + "1", key: "[security] usr", msg: `did you mean "user"?`}}},

	// View and host paths.
	{name: "relative source",
		text:  lines(`[[bind]]`, `source = "srv/www"`),
		wants: []want{{pos: P + "2", key: "[[bind]] #1 source", msg: `relative path "srv/www": host paths are absolute, e.g. "/srv/www"`}}},
	{name: "relative target",
		text:  lines(`[[tmpfs]]`, `target = "tmp"`),
		wants: []want{{pos: P + "2", key: "[[tmpfs]] #1 target", msg: `relative path "tmp": view paths are absolute, e.g. "/tmp"`}}},
	{name: "dotdot in a target",
		text:  lines(`[[state]]`, `target = "/var/lib/../../etc"`),
		wants: []want{{pos: P + "2", key: "[[state]] #1 target", msg: `contains "..": write the path it means without "..", e.g. "/etc"`}}},
	{name: "dotdot in a bind source is cleaned, not refused",
		text:  lines(`[[bind]]`, `source = "/srv/../srv/www"`),
		loads: true},
	{name: "target is the root",
		text:  lines(`[[dir]]`, `target = "/."`),
		wants: []want{{pos: P + "2", key: "[[dir]] #1 target", msg: `"/" is the view's root`}}},
	{name: "bind of / without target",
		text:  lines(`[[bind]]`, `source = "/"`),
		wants: []want{{pos: P + "2", key: "[[bind]] #1 source", msg: `"/" is the view's root`}}},
	{name: "missing target",
		text:  lines(`[[state]]`, `mode = "0700"`),
		wants: []want{{pos: P + "1", key: "[[state]] #1 target", msg: "missing: give an absolute path inside the view"}}},
	{name: "relative workdir",
		text:  lines(`workdir = "srv"`),
		wants: []want{{pos: P + "1", key: "workdir", msg: `relative path "srv"`}}},
	{name: "relative state_root",
		text:  lines(`state_root = "var/lib"`),
		wants: []want{{pos: P + "1", key: "state_root", msg: `host paths are absolute, e.g. "/var/lib"`}}},

	// Targets that collide or nest where they cannot.
	{name: "duplicate targets across kinds",
		text:  lines(`[[bind]]`, `source = "/srv/www"`, `target = "/tmp"`, `[[tmpfs]]`, `target = "/tmp/"`),
		wants: []want{{pos: P + "5", key: "[[tmpfs]] target", msg: "/tmp is already used by [[bind]] at " + P + "3"}}},
	{name: "duplicate targets across files",
		text: lines(`include = ["base.toml"]`, `[[state]]`, `target = "/var/lib/app"`),
		more: map[string]string{"base.toml": lines(`# base`, `[[tmpfs]]`, `target = "/var/lib/app"`)},
		wants: []want{{pos: "library:p.toml:3", key: "[[state]] target",
			msg: "/var/lib/app is already used by [[tmpfs]] at library:base.toml:3"}}},
	{name: "target below a symlink",
		text:  lines(`[[symlink]]`, `target = "/bin"`, `to = "usr/bin"`, `[[file]]`, `target = "/bin/sh"`, `content = "#!"`),
		wants: []want{{pos: P + "5", key: "[[file]] target", msg: "/bin/sh is below /bin, which this profile makes a symlink (" + P + "2): name the directory the link points to instead"}}},
	{name: "target below a file",
		text:  lines(`[[file]]`, `target = "/etc/app"`, `content = ""`, `[[dir]]`, `target = "/etc/app/conf.d"`),
		wants: []want{{pos: P + "5", key: "[[dir]] target", msg: "/etc/app/conf.d is below /etc/app, which [[file]] at " + P + "2 makes a file"}}},
	{name: "target below /proc",
		text:  lines(`[proc]`, `[[tmpfs]]`, `target = "/proc/sys"`),
		wants: []want{{pos: P + "3", key: "[[tmpfs]] target", msg: "below /proc, which the kernel owns"}}},
	{name: "target below a bind of a host file",
		text:  lines(`[[bind]]`, `source = "/etc/hosts"`, `[[dir]]`, `target = "/etc/hosts/x"`),
		wants: []want{{pos: P + "2", key: "[[bind]] target", msg: "/etc/hosts binds the file /etc/hosts, yet [[dir]] sets up /etc/hosts/x below it"}}},
	{name: "target below a bind of a host directory is fine",
		text:  lines(`[[bind]]`, `source = "/srv/www"`, `[[tmpfs]]`, `target = "/srv/www/static"`),
		loads: true},

	// Sources on the host.
	{name: "missing source",
		text:  lines(`[[bind]]`, `source = "/opt/app"`),
		wants: []want{{pos: P + "2", key: "[[bind]] source", msg: "/opt/app: file does not exist: create it on the host, fix the path, or mark the bind optional = true"}}},
	{name: "missing optional source warns",
		text:  lines(`[[bind]]`, `source = "/opt/app"`, `optional = true`),
		wants: []want{{pos: P + "2", key: "[[bind]] source", msg: "optional source /opt/app is missing (file does not exist): the bind will be skipped", warning: true}},
		loads: true},
	{name: "missing file source",
		text:  lines(`[[file]]`, `target = "/etc/app.conf"`, `source = "/srv/app.conf"`),
		wants: []want{{pos: P + "2", key: "[[file]] source", msg: "/srv/app.conf: file does not exist"}}},
	{name: "file source is a directory",
		text:  lines(`[[file]]`, `target = "/etc/app.conf"`, `source = "/srv/www"`),
		wants: []want{{pos: P + "2", key: "[[file]] source", msg: "/srv/www is not a regular file"}}},

	// Modes and sizes.
	{name: "mode as an integer",
		text:  lines(`[[dir]]`, `target = "/run/app"`, `mode = 755`),
		wants: []want{{pos: P + "3", key: "[[dir]] #1 mode", msg: `write it as an octal string, e.g. mode = "0755"`}}},
	{name: "mode not octal",
		text:  lines(`[[tmpfs]]`, `target = "/tmp"`, `mode = "0789"`),
		wants: []want{{pos: P + "3", key: "[[tmpfs]] #1 mode", msg: `bad mode "0789": write octal permissions up to "7777"`}}},
	{name: "mode too large",
		text:  lines(`[root]`, `mode = "17777"`),
		wants: []want{{pos: P + "2", key: "[root] mode", msg: `bad mode "17777"`}}},
	{name: "mode empty",
		text:  lines(`[[state]]`, `target = "/var/lib/app"`, `mode = ""`),
		wants: []want{{pos: P + "3", key: "[[state]] #1 mode", msg: `bad mode ""`}}},
	{name: "size with a bad unit",
		text:  lines(`[[tmpfs]]`, `target = "/tmp"`, `size = "12X"`),
		wants: []want{{pos: P + "3", key: "[[tmpfs]] #1 size", msg: `bad size "12X": use bytes with an optional unit k, M or G, e.g. "64M"`}}},
	{name: "size zero",
		text:  lines(`[root]`, `size = "0"`),
		wants: []want{{pos: P + "2", key: "[root] size", msg: "size must be positive; leave the key out"}}},
	{name: "size negative integer",
		text:  lines(`[root]`, `size = -1`),
		wants: []want{{pos: P + "2", key: "[root] size", msg: "size must be positive"}}},
	{name: "size negative string",
		text:  lines(`[root]`, `size = "-1M"`),
		wants: []want{{pos: P + "2", key: "[root] size", msg: `bad size "-1M"`}}},
	{name: "size overflows with its unit",
		text:  lines(`[root]`, `size = "8589934592G"`),
		wants: []want{{pos: P + "2", key: "[root] size", msg: `size "8589934592G" is too large`}}},
	{name: "size overflows int64",
		text:  lines(`[root]`, `size = "99999999999999999999"`),
		wants: []want{{pos: P + "2", key: "[root] size", msg: "is too large"}}},
	{name: "size a float",
		text:  lines(`[root]`, `size = 1.5`),
		wants: []want{{pos: P + "2", key: "[root] size", msg: `bad size 1.5: use a string such as "64M"`}}},
	{name: "bind mode",
		text:  lines(`[[bind]]`, `source = "/srv/www"`, `mode = "rwx"`),
		wants: []want{{pos: P + "3", key: "[[bind]] #1 mode", msg: `bad mode "rwx": use "ro" (read-only, the default) or "rw"`}}},

	// Names and values.
	{name: "bad net",
		text:  lines(`[namespaces]`, `net = "bridge"`),
		wants: []want{{pos: P + "2", key: "[namespaces] net", msg: `bad value "bridge": use "none"`}}},
	{name: "bad name",
		text:  lines(`name = "my app"`),
		wants: []want{{pos: P + "1", key: "name", msg: `bad name "my app": use letters, digits`}}},
	{name: "bad hostname",
		text:  lines(`hostname = "-web"`, `[namespaces]`, `uts = true`),
		wants: []want{{pos: P + "1", key: "hostname", msg: `bad hostname "-web"`}}},
	{name: "hostname without uts",
		text:  lines(`name = "web"`, `hostname = "web"`),
		wants: []want{{pos: P + "2", key: "hostname", msg: "add uts = true under [namespaces]"}}},
	{name: "as_pid_1 without a PID namespace",
		text:  lines(`[namespaces]`, `net = "none"`, `pid = false`, `as_pid_1 = true`),
		wants: []want{{pos: P + "4", key: "[namespaces] as_pid_1", msg: "remove pid = false under [namespaces]"}}},
	{name: "unknown user",
		text:  lines(`[security]`, `user = "nginx"`),
		wants: []want{{pos: P + "2", key: "[security] user", msg: `unknown user "nginx": create the user on the host (useradd --system nginx) or give a numeric uid`}}},
	{name: "unknown group",
		text:  lines(`[security]`, `user = "www-data"`, `group = "nginx"`),
		wants: []want{{pos: P + "3", key: "[security] group", msg: `unknown group "nginx": create the group on the host (groupadd --system nginx)`}}},
	{name: "group without user",
		text:  lines(`[security]`, `group = "adm"`),
		wants: []want{{pos: P + "2", key: "[security] group", msg: "group without user: set user as well"}}},
	{name: "negative uid",
		text:  lines(`[security]`, `user = "-1"`),
		wants: []want{{pos: P + "2", key: "[security] user", msg: `unknown user "-1"`}}},
	{name: "unknown capability",
		text:  lines(`[security]`, `capabilities = ["NET_BIND_SERVIC"]`),
		wants: []want{{pos: P + "2", key: "[security] capabilities", msg: `unknown capability "NET_BIND_SERVIC"; did you mean "CAP_NET_BIND_SERVICE"?`}}},
	{name: "CAP_SYS_ADMIN warns",
		text:  lines(`[security]`, `capabilities = ["sys_admin"]`),
		wants: []want{{pos: P + "2", key: "[security] capabilities", msg: "CAP_SYS_ADMIN lets the daemon mount", warning: true}},
		loads: true},
	{name: "include cycle",
		text: lines(`include = ["a.toml"]`),
		more: map[string]string{
			"a.toml": lines(`include = ["b.toml"]`),
			"b.toml": lines(`# b`, `include = ["a.toml"]`),
		},
		wants: []want{{pos: "library:b.toml:2", key: "include", msg: "include cycle: library:a.toml -> library:b.toml -> library:a.toml; remove one of these includes"}}},
	{name: "self include",
		text:  lines(`# me`, `include = ["p.toml"]`),
		wants: []want{{pos: P + "2", key: "include", msg: "include cycle: library:p.toml -> library:p.toml"}}},
	{name: "missing include",
		text:  lines(`name = "x"`, `include = ["base/nope.toml"]`),
		wants: []want{{pos: P + "2", key: "include", msg: "cannot include library:base/nope.toml: open base/nope.toml: file does not exist; include paths are relative to the including file"}}},
	{name: "empty include",
		text:  lines(`include = [" "]`),
		wants: []want{{pos: P + "1", key: "include", msg: "empty include path"}}},
	{name: "file with content and source",
		text:  lines(`[[file]]`, `target = "/etc/motd"`, `content = "hi"`, `source = "/etc/hosts"`),
		wants: []want{{pos: P + "2", key: "[[file]] #1", msg: "both content and source: keep one"}}},
	{name: "file with neither content nor source",
		text:  lines(`[[file]]`, `target = "/etc/motd"`),
		wants: []want{{pos: P + "2", key: "[[file]] #1", msg: `no content: add content = "..." or source = "/host/path"`}}},
	{name: "symlink without to",
		text:  lines(`[[symlink]]`, `target = "/bin"`),
		wants: []want{{pos: P + "1", key: "[[symlink]] #1 to", msg: "missing: say where the link points"}}},
	{name: "empty command",
		text:  lines(`command = []`),
		wants: []want{{pos: P + "1", key: "command", msg: "empty command: name the program to run"}}},
	{name: "command with an empty program",
		text:  lines(`command = ["", "-x"]`),
		wants: []want{{pos: P + "1", key: "command", msg: "empty command"}}},
	{name: "relative command path",
		text:  lines(`command = ["bin/app"]`),
		wants: []want{{pos: P + "1", key: "command", msg: `relative program path "bin/app": use an absolute path inside the view, or a bare name looked up in PATH`}}},
	{name: "bad env names, in name order",
		text: lines(`[env]`, `set = { "A B" = "x", "1A" = "y", OK = "z" }`, `keep = ["HOME", "LC-ALL"]`),
		wants: []want{
			{pos: P + "2", key: "[env] set.1A", msg: `bad variable name "1A": use letters, digits and '_', not starting with a digit`},
			{pos: P + "2", key: "[env] set.A B", msg: `bad variable name "A B"`},
			{pos: P + "3", key: "[env] keep", msg: `bad variable name "LC-ALL"`},
		}},
	{name: "NUL in an env value",
		text:  lines(`[env.set]`, `A = "x\u0000y"`),
		wants: []want{{pos: P + "2", key: "[env] set.A", msg: "the value of A contains a NUL byte"}}},

	// Warnings about what a bind exposes.
	{name: "bind of /etc exposes secrets",
		text: lines(`[[bind]]`, `source = "/etc"`),
		wants: []want{
			{pos: P + "2", key: "[[bind]] source", msg: "binding /etc shows the secret /etc/shadow to the daemon: bind only the files it needs", warning: true},
			{pos: P + "2", key: "[[bind]] source", msg: "binding /etc shows the secret /etc/gshadow", warning: true},
			{pos: P + "2", key: "[[bind]] source", msg: "binding /etc shows the secret /etc/ssh/ssh_host_ed25519_key", warning: true},
		},
		loads: true},
	{name: "bind of a home exposes its ssh keys",
		text:  lines(`[[bind]]`, `source = "/home/alice"`, `target = "/home/me"`),
		wants: []want{{pos: P + "3", key: "[[bind]] source", msg: "binding /home/alice shows the secret /home/alice/.ssh", warning: true}},
		loads: true},
	{name: "rw bind of /var warns",
		text:  lines(`[[bind]]`, `source = "/var"`, `mode = "rw"`),
		wants: []want{{pos: P + "2", key: "[[bind]] mode", msg: "read-write bind of /var lets the daemon change the host's /var", warning: true}},
		loads: true},
	{name: "rw bind of /etc warns twice over",
		text: lines(`[[bind]]`, `source = "/etc/"`, `target = "/host-etc"`, `mode = "rw"`),
		wants: []want{
			{pos: P + "3", key: "[[bind]] mode", msg: "read-write bind of /etc", warning: true},
			{pos: P + "3", key: "[[bind]] source", msg: "/etc/shadow", warning: true},
			{pos: P + "3", key: "[[bind]] source", msg: "/etc/gshadow", warning: true},
			{pos: P + "3", key: "[[bind]] source", msg: "/etc/ssh/ssh_host_ed25519_key", warning: true},
		},
		loads: true},
	{name: "bind of one safe file does not warn",
		text:  lines(`[[bind]]`, `source = "/etc/passwd"`),
		loads: true},

	// Lines when the TOML is written unusually.
	{name: "inline array of tables",
		text:  lines(`name = "x"`, `bind = [{ source = "/usr" }, { source = "usr" }]`),
		wants: []want{{pos: P + "2", key: "[[bind]] #2 source", msg: `relative path "usr"`}}},
	{name: "multi-line string opened inside a multi-line array",
		text: lines(
			`command = [`,
			`  "/bin/sh", "-c", """`,
			`[[bind]]`,
			`x = 1`,
			`"""]`,
			`[[bind]]`,
			`source = "srv"`),
		wants: []want{{pos: P + "7", key: "[[bind]] #1 source", msg: `relative path "srv"`}}},
	{name: "all problems of a file in one pass, by line",
		text: lines(
			`comand = ["/bin/sh"]`,              // 1
			`[[bind]]`,                          // 2
			`source = "usr"`,                    // 3
			`[[tmpfs]]`,                         // 4
			`target = "/tmp"`,                   // 5
			`size = "12X"`,                      // 6
			`[security]`,                        // 7
			`capabilities = ["NOPE_NOPE_NOPE"]`, // 8
			`[namespaces]`,                      // 9
			`net = "wifi"`,                      // 10
		),
		wants: []want{
			{pos: P + "1", key: "comand", msg: `did you mean "command"?`},
			{pos: P + "3", key: "[[bind]] #1 source", msg: "relative path"},
			{pos: P + "6", key: "[[tmpfs]] #1 size", msg: "bad size"},
			{pos: P + "8", key: "[security] capabilities", msg: `unknown capability "NOPE_NOPE_NOPE"`},
			{pos: P + "10", key: "[namespaces] net", msg: `bad value "wifi"`},
		}},
}

// TestLoadProblems loads each problem case from an in-memory library
// against testHost.
func TestLoadProblems(t *testing.T) {
	for _, tc := range append(append(problemCases, confineCases...), cgroupCases...) {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"p.toml": tc.text}
			for name, text := range tc.more {
				files[name] = text
			}
			p, probs := mapLoader(files, testHost()).Load("p")
			checkProblems(t, probs, tc.wants)
			if loaded := p != nil; loaded != tc.loads {
				t.Errorf("profile loaded: %v, want %v (errors: %v)", loaded, tc.loads, probs.Errors())
			}
			for _, pr := range probs {
				if pr.Msg == "" || pr.Pos.File == "" {
					t.Errorf("problem without message or file: %#v", pr)
				}
			}
		})
	}
}

// The decoder ranges over Go maps: a file with several wrong values must
// still load to the same problems every time.
func TestLoadTypeErrorsDeterministic(t *testing.T) {
	text := lines(`inClude = "77 "`, `[[stAte]]`, `target = [""]`, `[security]`, `user = 1`, `group = 2`, `no_new_privs = "yes"`)
	l := mapLoader(map[string]string{"p.toml": text}, testHost())
	_, first := l.Load("p")
	if len(first) != 5 {
		t.Fatalf("want 5 problems, got %v", first)
	}
	for range 100 {
		if _, again := l.Load("p"); !reflect.DeepEqual(first, again) {
			t.Fatalf("two loads differ:\n%v\n---\n%v", first, again)
		}
	}
}
