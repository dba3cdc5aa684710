package e2e

// The bundled profiles for real daemons, proven end to end: each daemon
// starts in its view under `fsviews run`, serves its real client from the
// host, keeps its data in its state dir across a restart, and cannot
// reach the host's secrets or other daemons' data. The daemons run on
// free high ports, in parallel, each with its own state root.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fsviews/fsviews/profiles"
)

// requireProfile skips outside CI when the profile's daemon is not
// installed, and fails on any other problem `check --strict` reports.
func requireProfile(t *testing.T, name string) {
	t.Helper()
	r := run(t, bundled("check", "--strict", name)...)
	if r.code == 0 {
		return
	}
	if strings.Contains(r.stderr, "is not installed on this host") && os.Getenv("CI") == "" {
		t.Skipf("the daemon of %s is not installed (sudo .ci/run installs it):\n%s", name, r.stderr)
	}
	t.Fatalf("fsviews check --strict %s: %v", name, r)
}

// libraryCommand is the command of a bundled profile, for tests that
// start it with another port.
func libraryCommand(t *testing.T, name string) []string {
	t.Helper()
	p, probs := profiles.Loader{Library: profiles.Library()}.Load(name)
	if p == nil {
		t.Fatalf("load %s: %v", name, probs)
	}
	return p.Command
}

// replaceArg returns cmd with the argument old replaced; the test fails
// when the library profile no longer has it.
func replaceArg(t *testing.T, cmd []string, old, new string) []string {
	t.Helper()
	i := slices.Index(cmd, old)
	if i < 0 {
		t.Fatalf("%q is not in the library command %q: update the test", old, cmd)
	}
	out := slices.Clone(cmd)
	out[i] = new
	return out
}

// tomlArray writes strings as a TOML array.
func tomlArray(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// variant writes a profile into dir that includes the bundled one and
// adds text, for tests that need a configuration of their own.
func variant(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := writeProfile(t, dir, name+"-e2e", `include = ["`+name+`.toml"]`+"\n"+text)
	if r := run(t, "check", "--strict", p); r.code != 0 {
		t.Fatalf("fsviews check --strict %s: %v", p, r)
	}
	return p
}

// nginxConf is an nginx configuration with Debian's paths that listens on
// 127.0.0.1:port.
func nginxConf(port int) string {
	return fmt.Sprintf(`user www-data;
worker_processes 2;
pid /run/nginx.pid;
error_log /var/log/nginx/error.log;
events { worker_connections 64; }
http {
  include /etc/nginx/mime.types;
  access_log /var/log/nginx/access.log;
  server { listen 127.0.0.1:%d; root /var/www/html; index index.html index.nginx-debian.html; }
}
`, port)
}

// mosquittoConf is a mosquitto configuration with Debian's paths and a
// listener on 127.0.0.1:port.
func mosquittoConf(port int) string {
	return fmt.Sprintf(`persistence true
persistence_location /var/lib/mosquitto/
log_dest file /var/log/mosquitto/mosquitto.log
listener %d 127.0.0.1
allow_anonymous true
`, port)
}

// serveNginx is the nginx client test, for the library's profile and a
// learned one: GET / and a 404 with curl, running(d) while it serves,
// then a restart, and the access log in the state dir of jail name
// counts all three requests.
func serveNginx(t *testing.T, state, profile, name string, port int, running func(d *daemon)) {
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	accessLog := filepath.Join(state, name, "var/log/nginx/access.log")

	d := startDaemon(t, state, profile)
	d.waitTCP(port)
	if out := client(t, "", "curl", "-sS", "-w", "%{http_code}", url); !strings.Contains(out, "Welcome to nginx") || !strings.HasSuffix(out, "200") {
		t.Errorf("GET / from the jail's nginx: %s", out)
	}
	if out := client(t, "", "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", url+"no-such-page"); out != "404" {
		t.Errorf("GET /no-such-page: status %s, want 404", out)
	}
	running(d)
	d.stop(syscall.SIGQUIT)

	d = startDaemon(t, state, profile)
	d.waitTCP(port)
	client(t, "", "curl", "-sSf", "-o", "/dev/null", url)
	d.stop(syscall.SIGQUIT)
	b, err := os.ReadFile(accessLog)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "curl/"); n != 3 {
		t.Errorf("access log in the state dir has %d requests, want 3 (2 before the restart, 1 after):\n%s", n, b)
	}
}

// serveRedis is the redis client test, for the library's profile and a
// learned one: SET, running(d), a stop that saves dump.rdb in the state
// dir of jail name, and GET after a restart.
func serveRedis(t *testing.T, state, profile, name string, port int, command []string, running func(d *daemon)) {
	t.Helper()
	cli := []string{"redis-cli", "-h", "127.0.0.1", "-p", strconv.Itoa(port)}
	d := startDaemon(t, state, profile, command...)
	d.waitTCP(port)
	running(d)
	if out := client(t, "", append(cli, "SET", "fsviews:key", "kept across restarts")...); strings.TrimSpace(out) != "OK" {
		t.Errorf("SET: %q", out)
	}
	d.stop(syscall.SIGTERM) // redis saves dump.rdb on shutdown
	exists(t, filepath.Join(state, name, "var/lib/redis/dump.rdb"))

	d = startDaemon(t, state, profile, command...)
	d.waitTCP(port)
	if out := client(t, "", append(cli, "GET", "fsviews:key")...); strings.TrimSpace(out) != "kept across restarts" {
		t.Errorf("GET after a restart: %q, want the value set before", out)
	}
	d.stop(syscall.SIGTERM)
}

// serveMosquitto is the mosquitto client test, for the library's profile
// and a learned one: a retained message published, running(d), and
// received after a restart from mosquitto.db in the state dir of jail
// name, whose log there shows both runs.
func serveMosquitto(t *testing.T, state, profile, name string, port int, running func(d *daemon)) {
	t.Helper()
	p := strconv.Itoa(port)
	d := startDaemon(t, state, profile)
	d.waitTCP(port)
	running(d)
	client(t, "", "mosquitto_pub", "-h", "127.0.0.1", "-p", p, "-q", "1", "-r", "-t", "fsviews/e2e", "-m", "retained across restarts")
	d.stop(syscall.SIGTERM) // mosquitto saves mosquitto.db on exit
	exists(t, filepath.Join(state, name, "var/lib/mosquitto/mosquitto.db"))

	d = startDaemon(t, state, profile)
	d.waitTCP(port)
	if out := client(t, "", "mosquitto_sub", "-h", "127.0.0.1", "-p", p, "-t", "fsviews/e2e", "-C", "1", "-W", "20"); strings.TrimSpace(out) != "retained across restarts" {
		t.Errorf("subscribe after a restart: %q, want the retained message", out)
	}
	d.stop(syscall.SIGTERM)
	if b, _ := os.ReadFile(filepath.Join(state, name, "var/log/mosquitto/mosquitto.log")); strings.Count(string(b), "running") != 2 {
		t.Errorf("the log in the state dir does not show both runs:\n%s", b)
	}
}

func TestLibraryNginx(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	requireProfile(t, "nginx")
	requireTools(t, "curl")
	state, port := hostDir(t), freePort(t)
	// nginx takes its listen port from its configuration only, so the
	// test brings its own, with the paths Debian's uses.
	profile := variant(t, hostDir(t), "nginx", fmt.Sprintf(`command = ["/usr/sbin/nginx", "-c", "/etc/nginx-e2e.conf", "-g", "daemon off;"]
[[file]]
target  = "/etc/nginx-e2e.conf"
content = """
%s"""
`, nginxConf(port)))
	serveNginx(t, state, profile, "nginx-e2e", port, func(d *daemon) {
		// The master keeps its four capabilities; the workers, which
		// served the requests, run as www-data with none. (A worker not
		// yet switched is still root with the master's set, which the
		// first check allows.)
		d.runsAs("nginx", "root", "CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_SETGID", "CAP_SETUID")
		d.runsAs("nginx", "www-data")
		// The master gave the workers its temp dir.
		if fi := exists(t, filepath.Join(state, "nginx-e2e/var/lib/nginx/body")); fi.Sys().(*syscall.Stat_t).Uid != 33 {
			t.Errorf("var/lib/nginx/body is owned by uid %d, want www-data (33)", fi.Sys().(*syscall.Stat_t).Uid)
		}
	})
	confined(t, profile, state, append(hostSecrets(t, canary(t)), otherData("/var/lib/nginx", "/var/log/nginx", "/etc/nginx")...)...)
}

func TestLibraryRedis(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	requireProfile(t, "redis")
	requireTools(t, "redis-cli")
	state, port := hostDir(t), freePort(t)
	// Options on redis-server's command line override redis.conf.
	cmd := append(libraryCommand(t, "redis"), "--port", strconv.Itoa(port))

	serveRedis(t, state, "redis", "redis", port, cmd, func(d *daemon) { d.runsAs("redis-server", "redis") })
	confined(t, "redis", state, append(hostSecrets(t, canary(t)), otherData("/var/lib/redis", "/etc/redis")...)...)
}

// memcachedDo sends text-protocol commands and reads until want or END.
func memcachedDo(t *testing.T, port int, request, until string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write([]byte(request)); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if sc.Text() == until || sc.Text() == "END" || strings.HasSuffix(sc.Text(), "ERROR") {
			break
		}
	}
	return out.String()
}

func TestLibraryMemcached(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	requireProfile(t, "memcached")
	state, port := hostDir(t), freePort(t)
	cmd := replaceArg(t, libraryCommand(t, "memcached"), "11211", strconv.Itoa(port))

	d := startDaemon(t, state, "memcached", cmd...)
	d.waitTCP(port)
	d.runsAs("memcached", "memcache")
	if out := memcachedDo(t, port, "set fsviews 0 0 5\r\nhello\r\n", "STORED"); out != "STORED\n" {
		t.Fatalf("set: %q", out)
	}
	// SIGUSR1 makes memcached save its index to the memory file's .meta
	// for a warm restart.
	d.stop(syscall.SIGUSR1)
	exists(t, filepath.Join(state, "memcached/var/lib/memcached/memory_file"))
	exists(t, filepath.Join(state, "memcached/var/lib/memcached/memory_file.meta"))
	// memcached refuses a warm restart in the second it stopped (its
	// item times count whole seconds from the stop time): wait for the
	// wall clock to move on.
	for stopped := time.Now().Unix(); time.Now().Unix() <= stopped; {
		time.Sleep(20 * time.Millisecond)
	}

	d = startDaemon(t, state, "memcached", cmd...)
	d.waitTCP(port)
	if out := memcachedDo(t, port, "get fsviews\r\n", "END"); out != "VALUE fsviews 0 5\nhello\nEND\n" {
		t.Errorf("get after a warm restart: %q, want the value set before\n%s", out, d.out)
	}
	d.stop(syscall.SIGTERM)
	confined(t, "memcached", state, append(hostSecrets(t, canary(t)), otherData("/var/lib/memcached")...)...)
}

func TestLibraryDnsmasq(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	requireProfile(t, "dnsmasq")
	requireTools(t, "dig")
	state, port := hostDir(t), freePort(t)
	cmd := replaceArg(t, libraryCommand(t, "dnsmasq"), "--port=53", fmt.Sprintf("--port=%d", port))
	// No upstream: the test must not leave the machine.
	cmd = append(cmd, "--no-resolv", "--address=/canary.fsviews.test/10.11.12.13")
	dig := func(name string) string {
		return strings.TrimSpace(client(t, "", "dig", "+short", "+time=5", "+tries=2", "-p", strconv.Itoa(port), "@127.0.0.1", name))
	}

	for round := range 2 {
		d := startDaemon(t, state, "dnsmasq", cmd...)
		d.waitTCP(port)
		d.runsAs("dnsmasq", "dnsmasq", "CAP_NET_BIND_SERVICE")
		if got := dig("canary.fsviews.test"); got != "10.11.12.13" {
			t.Errorf("round %d: dig canary.fsviews.test: %q, want the configured 10.11.12.13", round, got)
		}
		// /etc/hosts is in the view (base/net), so its names resolve.
		if got := dig("localhost"); got != "127.0.0.1" {
			t.Errorf("round %d: dig localhost: %q, want 127.0.0.1 from the host's /etc/hosts", round, got)
		}
		d.stop(syscall.SIGTERM)
	}
	// A DNS cache keeps nothing: the profile has no state dir, and the
	// jail wrote nothing on the host.
	if entries, err := os.ReadDir(state); err != nil || len(entries) != 0 {
		t.Errorf("dnsmasq left state on the host: %v %v", entries, err)
	}
	confined(t, "dnsmasq", state, append(hostSecrets(t, canary(t)), otherData()...)...)
}

func TestLibraryPostgresql(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	requireProfile(t, "postgresql")
	requireTools(t, "psql")
	state, port := hostDir(t), freePort(t)
	cmd := replaceArg(t, libraryCommand(t, "postgresql"), "port=5432", fmt.Sprintf("port=%d", port))
	psql := func(sql string) (string, error) {
		return clientErr("", "env", "PGPASSWORD=e2e-secret", "PGCONNECT_TIMEOUT=5", "psql", "-h", "127.0.0.1", "-p", strconv.Itoa(port),
			"-U", "postgres", "-v", "ON_ERROR_STOP=1", "-Atc", sql)
	}

	// First run: create the cluster in the state dir, as the header says.
	initdb := exec.Command(fsviews(t), bundled("run", "--state-dir", state, "postgresql", "--", "/bin/sh", "-c",
		"cat > /tmp/pw && exec /usr/lib/postgresql/15/bin/initdb -D /var/lib/postgresql/data -U postgres --pwfile=/tmp/pw --auth-local=peer --auth-host=scram-sha-256")...)
	initdb.Stdin = strings.NewReader("e2e-secret\n")
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb in the jail: %v\n%s", err, out)
	}
	exists(t, filepath.Join(state, "postgresql/var/lib/postgresql/data/PG_VERSION"))

	d := startDaemon(t, state, "postgresql", cmd...)
	d.waitTCP(port)
	d.runsAs("postgres", "postgres")
	retry(t, "psql SELECT 1", func() error { _, err := psql("SELECT 1"); return err })
	if out, err := psql("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('across restarts')"); err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	if _, err := psql("SELECT 1"); err != nil {
		t.Fatal(err)
	}
	// The server's socket is in the state dir, reachable from the host.
	if _, err := os.Stat(filepath.Join(state, "postgresql/var/lib/postgresql", fmt.Sprintf(".s.PGSQL.%d", port))); err != nil {
		t.Errorf("unix socket in the state dir: %v", err)
	}
	// A wrong password is refused: the server uses the cluster's pg_hba.conf.
	if out, err := clientErr("", "env", "PGPASSWORD=wrong", "psql", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "postgres", "-Atc", "SELECT 1"); err == nil {
		t.Errorf("a wrong password was accepted: %s", out)
	}
	d.stop(syscall.SIGINT) // fast shutdown

	d = startDaemon(t, state, "postgresql", cmd...)
	d.waitTCP(port)
	var got string
	retry(t, "psql SELECT after a restart", func() error { var err error; got, err = psql("SELECT v FROM kept"); return err })
	if strings.TrimSpace(got) != "across restarts" {
		t.Errorf("SELECT after a restart: %q, want the row inserted before", got)
	}
	d.stop(syscall.SIGINT)
	confined(t, "postgresql", state, append(hostSecrets(t, canary(t)), otherData("/var/lib/postgresql")...)...)
}

func TestLibrarySshd(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	requireProfile(t, "sshd")
	requireTools(t, "ssh", "ssh-keygen")
	state, port, keys := hostDir(t), freePort(t), hostDir(t)
	cmd := libraryCommand(t, "sshd")
	i := slices.Index(cmd, "-p")
	if i < 0 || cmd[i+1] != "22" {
		t.Fatalf("the sshd profile's command has no -p 22: %q", cmd)
	}
	cmd = slices.Clone(cmd)
	cmd[i+1] = strconv.Itoa(port) // -p adds a port: replace it, never listen on the host's 22

	// First run: the host key, made inside the jail, kept in the state dir.
	if r := run(t, bundled("run", "--state-dir", state, "sshd", "--", "/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", "/var/lib/sshd/ssh_host_ed25519_key")...); r.code != 0 {
		t.Fatalf("ssh-keygen in the jail: %v", r)
	}
	client(t, "", "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(keys, "id"))
	pub, err := os.ReadFile(filepath.Join(keys, "id.pub"))
	if err != nil {
		t.Fatal(err)
	}
	authDir := filepath.Join(state, "sshd/var/lib/sshd/authorized_keys")
	if err := os.Mkdir(authDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(authDir, "root"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	ssh := func(strict, command string, opts ...string) string {
		argv := append([]string{"ssh", "-F", "/dev/null", "-i", filepath.Join(keys, "id"), "-p", strconv.Itoa(port),
			"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10",
			"-o", "StrictHostKeyChecking=" + strict, "-o", "UserKnownHostsFile=" + filepath.Join(keys, "known_hosts")}, opts...)
		return client(t, "", append(argv, "root@127.0.0.1", command)...)
	}

	d := startDaemon(t, state, "sshd", cmd...)
	d.waitTCP(port)
	d.runsAs("sshd", "root", "CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_FOWNER", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETGID", "CAP_SETUID", "CAP_SYS_CHROOT")
	out := ssh("accept-new", "id -un; cat /etc/shadow 2>/dev/null || echo no-shadow; ls /")
	lines := strings.Split(out, "\n")
	if !slices.Contains(lines, "root") || !slices.Contains(lines, "no-shadow") || slices.Contains(lines, "home") || !slices.Contains(lines, "usr") {
		t.Errorf("a session in the jail: want root, no /etc/shadow, no /home; got:\n%s", out)
	}
	// A terminal session: sshd allocates a pty in the view's devpts.
	if out := ssh("yes", "tty", "-tt"); !strings.Contains(out, "/dev/pts/") {
		t.Errorf("ssh -tt: no pty in the jail:\n%s", out)
	}
	d.stop(syscall.SIGTERM)

	// The host key persisted: the known_hosts entry from the first run
	// must match, or ssh refuses to connect.
	d = startDaemon(t, state, "sshd", cmd...)
	d.waitTCP(port)
	if out := ssh("yes", "echo same host key"); !strings.Contains(out, "same host key") {
		t.Errorf("after a restart: %s", out)
	}
	d.stop(syscall.SIGTERM)
	confined(t, "sshd", state, append(hostSecrets(t, canary(t)), otherData("/var/lib/sshd", "/etc/ssh/sshd_config")...)...)
}

func TestLibraryMosquitto(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	requireProfile(t, "mosquitto")
	requireTools(t, "mosquitto_pub", "mosquitto_sub")
	state, port := hostDir(t), freePort(t)
	// mosquitto takes listeners from its configuration only; the test's
	// keeps Debian's paths and adds a listener on a free port.
	profile := variant(t, hostDir(t), "mosquitto", fmt.Sprintf(`command = ["/usr/sbin/mosquitto", "-c", "/etc/mosquitto-e2e.conf"]
[[file]]
target  = "/etc/mosquitto-e2e.conf"
content = """
pid_file /run/mosquitto/mosquitto.pid
%s"""
`, mosquittoConf(port)))
	serveMosquitto(t, state, profile, "mosquitto-e2e", port, func(d *daemon) { d.runsAs("mosquitto", "mosquitto") })
	confined(t, profile, state, append(hostSecrets(t, canary(t)), otherData("/var/lib/mosquitto", "/var/log/mosquitto", "/etc/mosquitto")...)...)
}

func TestLibraryHTTPServer(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	requireProfile(t, "http-server")
	requireTools(t, "curl")
	state, port, site := hostDir(t), freePort(t), hostDir(t)
	mustWrite(t, filepath.Join(site, "hello.txt"), "served read-only\n")
	cmd := replaceArg(t, replaceArg(t, libraryCommand(t, "http-server"), "8000", strconv.Itoa(port)), "/srv", "/srv-e2e")
	profile := variant(t, hostDir(t), "http-server", fmt.Sprintf("command = %s\n[[bind]]\nsource = %q\ntarget = \"/srv-e2e\"\n", tomlArray(cmd), site))

	d := startDaemon(t, state, profile)
	d.waitTCP(port)
	d.runsAs("python3", "nobody")
	if out := client(t, "", "curl", "-sSf", fmt.Sprintf("http://127.0.0.1:%d/hello.txt", port)); out != "served read-only\n" {
		t.Errorf("GET /hello.txt: %q", out)
	}
	// http.server has no upload; the view has no writable path either.
	d.stop(syscall.SIGTERM)
	if entries, err := os.ReadDir(state); err != nil || len(entries) != 0 {
		t.Errorf("http-server left state on the host: %v %v", entries, err)
	}
	confined(t, profile, state, append(hostSecrets(t, canary(t)), otherData()...)...)
}

func TestLibraryDecoder(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	requireProfile(t, "decoder")
	requireTools(t, "zstd")
	state := hostDir(t)
	payload := make([]byte, 1<<20)
	rand.Read(payload[:len(payload)/2]) // half noise, half zeros
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(payload)
	w.Close()
	zst := []byte(client(t, string(payload), "zstd", "-q", "-c"))

	decode := func(input []byte, command ...string) (stdout, stderr []byte, err error) {
		args := bundled("run", "--state-dir", state, "decoder")
		if len(command) > 0 {
			args = append(append(args, "--"), command...)
		}
		cmd := exec.Command(fsviews(t), args...)
		cmd.Stdin = bytes.NewReader(input)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err = cmd.Run()
		return o.Bytes(), e.Bytes(), err
	}
	if out, errOut, err := decode(gz.Bytes()); err != nil || !bytes.Equal(out, payload) {
		t.Errorf("gzip -dc in the decoder view: %v, %d bytes out of %d\n%s", err, len(out), len(payload), errOut)
	}
	if out, errOut, err := decode(zst, "/usr/bin/zstd", "-dc", "--no-asyncio"); err != nil || !bytes.Equal(out, payload) {
		t.Errorf("zstd -dc in the decoder view: %v, %d bytes out of %d\n%s", err, len(out), len(payload), errOut)
	}
	if _, errOut, err := decode([]byte("\x1f\x8bnot really gzip")); err == nil || !strings.Contains(string(errOut), "gzip") {
		t.Errorf("corrupt input: want gzip's error and a failure, got %v\n%s", err, errOut)
	}
	// Nothing else is in the view: no shell, no host files, no secrets.
	if _, errOut, err := decode(nil, "/bin/sh", "-c", "true"); err == nil || !strings.Contains(string(errOut), "not found inside the view") {
		t.Errorf("a shell in the decoder view: want not found, got %v\n%s", err, errOut)
	}
	for _, p := range []string{canary(t), "/etc/shadow", "/etc/passwd", "/proc/self/environ"} {
		if out, errOut, err := decode(nil, "/usr/bin/gzip", "-dc", p); err == nil || !strings.Contains(string(errOut), "No such file") {
			t.Errorf("gzip -dc %s in the decoder view: want No such file, got %v %q\n%s", p, err, out, errOut)
		}
	}
	if entries, err := os.ReadDir(state); err != nil || len(entries) != 0 {
		t.Errorf("the decoder left state on the host: %v %v", entries, err)
	}
}
