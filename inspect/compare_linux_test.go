package inspect

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"

	"github.com/fsviews/fsviews/views"
)

// The fixtures in testdata were read from a real jail of this profile:
// user nobody, CAP_NET_BIND_SERVICE kept, /tmp tmpfs, state /var/lib/web,
// an optional bind whose source was absent, [proc] and [dev]. The -drift
// variants were edited by hand: see each test for what changed.

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fixtureMounts(t *testing.T, name string) []*mountinfo.Info {
	t.Helper()
	m, err := mountinfo.GetMountsFromReader(bytes.NewReader(readFixture(t, name)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func fixturePlan(t *testing.T, patch map[string]string) (*views.Plan, Extras) {
	t.Helper()
	raw := readFixture(t, "plan.json")
	if len(patch) > 0 {
		// Add top-level keys a newer plan may carry.
		s := strings.TrimSpace(string(raw))
		s = strings.TrimSuffix(s, "}")
		for k, v := range patch {
			s += `, "` + k + `": ` + v
		}
		raw = []byte(s + "}")
	}
	plan, ex, err := ParsePlan(raw)
	if err != nil {
		t.Fatal(err)
	}
	return plan, ex
}

func fixtureJail(t *testing.T, mounts, status string) Jail {
	t.Helper()
	st, err := ParseStatus(readFixture(t, status))
	if err != nil {
		t.Fatal(err)
	}
	lim, err := ParseLimits(readFixture(t, "jail.limits"))
	if err != nil {
		t.Fatal(err)
	}
	return Jail{Mounts: fixtureMounts(t, mounts), Status: st, Limits: lim,
		Namespaces: map[string]uint64{"mnt": 900, "net": 2, "pid": 3, "uts": 4, "ipc": 5, "pid_for_children": 3}}
}

func fixtureHost(t *testing.T, mounts string) Host {
	return Host{Mounts: fixtureMounts(t, mounts), NamespacesOf: "PID 1",
		Namespaces: map[string]uint64{"mnt": 1, "net": 2, "pid": 3, "uts": 4, "ipc": 5, "pid_for_children": 3}}
}

func byPath(ms []Mount) map[string][]Mount {
	out := map[string][]Mount{}
	for _, m := range ms {
		out[m.Path] = append(out[m.Path], m)
	}
	return out
}

func check(t *testing.T, r Report, name string) Check {
	t.Helper()
	for _, c := range r.Enforced {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", name, r.Enforced)
	return Check{}
}

func TestCompareAsPlanned(t *testing.T) {
	plan, ex := fixturePlan(t, nil)
	r := Compare(plan, ex, fixtureJail(t, "jail.mountinfo", "jail.status"), fixtureHost(t, "host.mountinfo"))
	if r.Drift() {
		var buf bytes.Buffer
		Format(&buf, &r)
		t.Fatalf("drift in an unchanged jail:\n%s", buf.String())
	}
	count := map[Status]int{}
	for _, m := range r.Mounts {
		count[m.Status]++
	}
	if count[Planned] != 21 || count[Skipped] != 1 || len(r.Mounts) != 22 {
		t.Errorf("counts %v", count)
	}
	m := byPath(r.Mounts)
	if got := m["/usr"][0]; got.Kind != "bind" || got.Source != "/usr" || !slices.Equal(got.Want, []string{"ro", "nosuid", "nodev"}) {
		t.Errorf("/usr: %+v", got)
	}
	if got := m["/"][0]; !slices.Contains(got.Want, "ro") || got.FSType != "tmpfs" {
		t.Errorf("/: %+v", got)
	}
	if got := m["/opt/optional"][0]; got.Status != Skipped {
		t.Errorf("optional bind: %+v", got)
	}
	if c := check(t, r, "uid"); c.Want != "65534 65534 65534 65534" || !c.OK {
		t.Errorf("uid %+v", c)
	}
	if c := check(t, r, "ns mnt"); !c.OK || !strings.Contains(c.Want, "not the host's") {
		t.Errorf("ns mnt %+v", c)
	}
	if c := check(t, r, "ns net"); !c.OK || c.Want != "" {
		t.Errorf("ns net, shared as planned: %+v", c)
	}
	for _, c := range r.Enforced {
		if strings.HasSuffix(c.Name, "_for_children") {
			t.Errorf("pid_for_children is the same namespace as pid: %+v", c)
		}
	}
}

func TestCompareMountDrift(t *testing.T) {
	plan, ex := fixturePlan(t, nil)
	jail := fixtureJail(t, "jail-drift.mountinfo", "jail.status")
	r := Compare(plan, ex, jail, fixtureHost(t, "host.mountinfo"))
	if !r.Drift() {
		t.Fatal("no drift")
	}
	m := byPath(r.Mounts)
	for _, tc := range []struct {
		path   string
		i      int
		status Status
		why    string
	}{
		{"/usr", 0, Changed, "read-write, planned read-only"},
		{"/tmp", 0, Changed, "nosuid lost"},
		{"/tmp/x", 0, Unexpected, "not in the plan"},
		{"/proc", 0, Planned, ""},
		{"/proc", 1, Unexpected, "mounted over the planned mount"},
		{"/usr/local", 0, Unexpected, "the host has no mount at /usr/local"},
		{"/var/lib/web", 0, Missing, ""},
		{"/tmp/a\n!! b", 0, Unexpected, "not in the plan"},
		{"/etc/passwd", 0, Planned, ""},
	} {
		if len(m[tc.path]) <= tc.i {
			t.Errorf("%q: no mount #%d in %+v", tc.path, tc.i, m[tc.path])
			continue
		}
		got := m[tc.path][tc.i]
		if got.Status != tc.status || !strings.Contains(strings.Join(got.Why, "; "), tc.why) {
			t.Errorf("%q #%d: %s %q, want %s %q", tc.path, tc.i, got.Status, got.Why, tc.status, tc.why)
		}
	}
	if got := m["/proc"][1]; got.FSType != "tmpfs" {
		t.Errorf("stacked /proc: %+v", got)
	}

	// The same submount is planned when the host has it below the source:
	// the recursive bind carried it, with the bind's attributes.
	r = Compare(plan, ex, jail, fixtureHost(t, "host-sub.mountinfo"))
	got := byPath(r.Mounts)["/usr/local"][0]
	if got.Status != Planned || got.Kind != "submount" || got.Source != "/usr/local" {
		t.Errorf("submount: %+v", got)
	}

	// A mount point the jail named to forge a report line is quoted.
	var buf bytes.Buffer
	if err := Format(&buf, &r); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.HasPrefix(line, "!!") || strings.HasPrefix(line, " b") {
			t.Errorf("forged line %q in\n%s", line, buf.String())
		}
	}
	if !strings.Contains(buf.String(), `"/tmp/a\n!! b"`) {
		t.Errorf("hostile name not quoted:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "changed    /usr ") || !strings.Contains(buf.String(), "missing    /var/lib/web") {
		t.Errorf("format:\n%s", buf.String())
	}
}

func TestCompareEnforcementDrift(t *testing.T) {
	plan, ex := fixturePlan(t, nil)
	r := Compare(plan, ex, fixtureJail(t, "jail.mountinfo", "jail-drift.status"), fixtureHost(t, "host.mountinfo"))
	for _, tc := range []struct {
		name string
		ok   bool
		note string
	}{
		{"CapEff", false, "holds CAP_SYS_ADMIN, which the profile does not keep"},
		{"CapBnd", false, "CAP_CHECKPOINT_RESTORE"},
		{"CapPrm", true, ""},
		{"NoNewPrivs", false, ""},
		{"uid", false, ""},
		{"gid", true, ""},
		{"groups", false, ""},
	} {
		c := check(t, r, tc.name)
		if c.OK != tc.ok || !strings.Contains(c.Note, tc.note) {
			t.Errorf("%s: %+v, want ok=%v note %q", tc.name, c, tc.ok, tc.note)
		}
	}
	if c := check(t, r, "CapBnd"); strings.Contains(c.Note, "NET_BIND_SERVICE") {
		t.Errorf("a kept capability reported as extra: %+v", c)
	}
	var buf bytes.Buffer
	Format(&buf, &r)
	if !strings.Contains(buf.String(), "DRIFT  uid                65534 0 65534 65534 (want 65534 65534 65534 65534)") {
		t.Errorf("format:\n%s", buf.String())
	}
}

func TestCompareNamespaces(t *testing.T) {
	plan, ex := fixturePlan(t, nil)
	plan.Unshare = []string{"mnt", "net", "pid"}
	jail := fixtureJail(t, "jail.mountinfo", "jail.status")
	jail.Namespaces["pid"] = 77
	r := Compare(plan, ex, jail, fixtureHost(t, "host.mountinfo"))
	if c := check(t, r, "ns net"); c.OK || !strings.Contains(c.Note, "shares the host's") {
		t.Errorf("net planned, shared: %+v", c)
	}
	if c := check(t, r, "ns pid"); !c.OK {
		t.Errorf("pid planned and private: %+v", c)
	}
	jail.Namespaces["mnt"] = 1
	r = Compare(plan, ex, jail, fixtureHost(t, "host.mountinfo"))
	if c := check(t, r, "ns mnt"); c.OK {
		t.Errorf("the jail in the host's mount namespace: %+v", c)
	}
	// Unknown host namespaces: a planned one cannot be vouched for.
	r = Compare(plan, ex, jail, Host{Mounts: fixtureMounts(t, "host.mountinfo"), NamespacesOf: "unknown (test)"})
	if c := check(t, r, "ns pid"); c.OK || !strings.Contains(c.Note, "unknown (test)") {
		t.Errorf("unknown host: %+v", c)
	}
	plan.Unshare = append(plan.Unshare, "time")
	r = Compare(plan, ex, jail, fixtureHost(t, "host.mountinfo"))
	if c := check(t, r, "ns time"); c.OK || c.Got != "not found in /proc/PID/ns" {
		t.Errorf("planned namespace absent: %+v", c)
	}
}

func TestCompareSeccompAndRlimits(t *testing.T) {
	jail := fixtureJail(t, "jail.mountinfo", "jail.status")
	host := fixtureHost(t, "host.mountinfo")

	plan, ex := fixturePlan(t, map[string]string{"seccomp": `{"preset": "daemon"}`})
	r := Compare(plan, ex, jail, host)
	if c := check(t, r, "Seccomp"); c.OK || c.Want != "2 (filter)" {
		t.Errorf("planned seccomp, none on: %+v", c)
	}
	jail.Status.Seccomp, jail.Status.SeccompFilters = 2, 1
	if r = Compare(plan, ex, jail, host); !check(t, r, "Seccomp").OK || !check(t, r, "Seccomp_filters").OK {
		t.Errorf("seccomp on: %+v", r.Enforced)
	}
	plan, ex = fixturePlan(t, map[string]string{"seccomp": `null`})
	if ex.Seccomp {
		t.Error("null seccomp read as planned")
	}

	for _, tc := range []struct {
		rlimits string
		ok      bool
		want    string
	}{
		{`{"nofile": {"soft": 20000, "hard": 20000}}`, true, "20000 / 20000"},
		{`{"RLIMIT_NOFILE": 1024}`, false, "1024 / 1024"},
		{`{"nofile": {"cur": 20000, "max": "infinity"}}`, false, "20000 / unlimited"},
		{`{"core": {"soft": 0, "hard": "unlimited"}, "cpu": -1}`, true, ""},
		{`[{"name": "nofile", "soft": 20000, "hard": 20000}]`, true, "20000 / 20000"},
	} {
		plan, ex := fixturePlan(t, map[string]string{"rlimits": tc.rlimits})
		r := Compare(plan, ex, jail, host)
		if tc.want == "" {
			if r.Drift() {
				t.Errorf("%s: drift %+v", tc.rlimits, r.Enforced)
			}
			continue
		}
		c := check(t, r, "rlimit NOFILE")
		if c.OK != tc.ok || c.Want != tc.want {
			t.Errorf("%s: %+v, want ok=%v want %q", tc.rlimits, c, tc.ok, tc.want)
		}
	}
	plan, ex = fixturePlan(t, map[string]string{"rlimits": `{"nofile": "lots"}`})
	r = Compare(plan, ex, jail, host)
	if c := check(t, r, "rlimits"); !c.OK || !strings.Contains(c.Note, `rlimit "nofile": unknown value "lots"`) {
		t.Errorf("unreadable rlimits: %+v", c)
	}
	plan, ex = fixturePlan(t, map[string]string{"rlimits": `{"bogus": 5}`})
	r = Compare(plan, ex, jail, host)
	if c := check(t, r, "rlimit BOGUS"); c.OK || c.Got != "not in /proc/PID/limits" {
		t.Errorf("planned limit the kernel does not show: %+v", c)
	}
}

func TestParseStatus(t *testing.T) {
	st, err := ParseStatus(readFixture(t, "jail.status"))
	if err != nil {
		t.Fatal(err)
	}
	if st.UID != [4]uint32{65534, 65534, 65534, 65534} || !slices.Equal(st.Groups, []uint32{65534}) ||
		st.CapEff != 0x400 || st.NoNewPrivs != 1 || st.Seccomp != 0 || st.SeccompFilters != 0 {
		t.Errorf("%+v", st)
	}
	full := string(readFixture(t, "jail.status"))
	for _, tc := range []struct{ edit, want string }{
		{"CapEff:\t0000000000000400", "no CapEff line"},
		{"CapEff:\t0000000000000400\n", "CapEff"},
		{"Uid:\t65534\t65534\t65534\t65534", "no Uid line"},
	} {
		s := strings.Replace(full, tc.edit, "", 1)
		if tc.edit == "CapEff:\t0000000000000400\n" {
			s = strings.Replace(full, "CapEff:\t0000000000000400", "CapEff:\tzz", 1)
		}
		if _, err := ParseStatus([]byte(s)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("edit %q: %v", tc.edit, err)
		}
	}
	// Older kernels: no NoNewPrivs/Seccomp lines.
	var old []string
	for _, l := range strings.Split(full, "\n") {
		if !strings.HasPrefix(l, "NoNewPrivs") && !strings.HasPrefix(l, "Seccomp") {
			old = append(old, l)
		}
	}
	st, err = ParseStatus([]byte(strings.Join(old, "\n")))
	if err != nil || st.NoNewPrivs != -1 || st.Seccomp != -1 || st.SeccompFilters != -1 {
		t.Errorf("old kernel: %+v %v", st, err)
	}
}

func TestParseLimits(t *testing.T) {
	l, err := ParseLimits(readFixture(t, "jail.limits"))
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 16 || l[0].Name != "CPU" || l[0].Soft != "unlimited" || l[7].Name != "NOFILE" || l[7].Soft != "20000" {
		t.Errorf("%+v", l)
	}
	for _, bad := range []string{"", "x\n", "Limit x\nMax open files            lots                 5                    files\n", "Limit\nshort\n"} {
		if _, err := ParseLimits([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestStatusText(t *testing.T) {
	for s := Planned; s <= Skipped; s++ {
		b, err := s.MarshalText()
		var back Status
		if err != nil || back.UnmarshalText(b) != nil || back != s {
			t.Errorf("%d: %s %v", s, b, err)
		}
	}
	if _, err := Status(0).MarshalText(); err == nil {
		t.Error("zero status marshalled")
	}
	var s Status
	if s.UnmarshalText([]byte("")) == nil || s.UnmarshalText([]byte("bogus")) == nil {
		t.Error("bad status accepted")
	}
}
