package inspect

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"

	"github.com/fsviews/fsviews/rlimits"
	"github.com/fsviews/fsviews/views"
)

// The fixtures in testdata were read from a real jail of this profile:
// user nobody, CAP_NET_BIND_SERVICE kept, /tmp tmpfs, state /var/lib/web,
// an optional bind whose source was absent, [proc] and [dev]. [limits]
// nofile = 20000 and [seccomp] preset = "default" were added by hand to
// plan.json, and jail.status's Seccomp lines to match (2, one filter). The
// -drift variants were edited by hand: see each test for what changed.

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

func fixturePlan(t *testing.T) *views.Plan {
	t.Helper()
	plan, err := ParsePlan(readFixture(t, "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	return plan
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
	plan := fixturePlan(t)
	r := Compare(plan, fixtureJail(t, "jail.mountinfo", "jail.status"), fixtureHost(t, "host.mountinfo"))
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
	plan := fixturePlan(t)
	jail := fixtureJail(t, "jail-drift.mountinfo", "jail.status")
	r := Compare(plan, jail, fixtureHost(t, "host.mountinfo"))
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
	r = Compare(plan, jail, fixtureHost(t, "host-sub.mountinfo"))
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
	plan := fixturePlan(t)
	r := Compare(plan, fixtureJail(t, "jail.mountinfo", "jail-drift.status"), fixtureHost(t, "host.mountinfo"))
	for _, tc := range []struct {
		name string
		ok   bool
		note string
	}{
		{"CapEff", false, "holds CAP_SYS_ADMIN, which the profile does not keep"},
		{"CapBnd", false, "CAP_CHECKPOINT_RESTORE"},
		{"CapPrm", true, ""},
		{"NoNewPrivs", false, ""},
		{"Seccomp", false, "[seccomp] at /tmp/fsv-XOrf/web.toml:18"},
		{"Seccomp_filters", false, ""},
		{"rlimit nofile", true, "[limits] nofile at /tmp/fsv-XOrf/web.toml:16"},
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
	plan := fixturePlan(t)
	plan.Unshare = []string{"mnt", "net", "pid"}
	jail := fixtureJail(t, "jail.mountinfo", "jail.status")
	jail.Namespaces["pid"] = 77
	r := Compare(plan, jail, fixtureHost(t, "host.mountinfo"))
	if c := check(t, r, "ns net"); c.OK || !strings.Contains(c.Note, "shares the host's") {
		t.Errorf("net planned, shared: %+v", c)
	}
	if c := check(t, r, "ns pid"); !c.OK {
		t.Errorf("pid planned and private: %+v", c)
	}
	jail.Namespaces["mnt"] = 1
	r = Compare(plan, jail, fixtureHost(t, "host.mountinfo"))
	if c := check(t, r, "ns mnt"); c.OK {
		t.Errorf("the jail in the host's mount namespace: %+v", c)
	}
	// Unknown host namespaces: a planned one cannot be vouched for.
	r = Compare(plan, jail, Host{Mounts: fixtureMounts(t, "host.mountinfo"), NamespacesOf: "unknown (test)"})
	if c := check(t, r, "ns pid"); c.OK || !strings.Contains(c.Note, "unknown (test)") {
		t.Errorf("unknown host: %+v", c)
	}
	plan.Unshare = append(plan.Unshare, "time")
	r = Compare(plan, jail, fixtureHost(t, "host.mountinfo"))
	if c := check(t, r, "ns time"); c.OK || c.Got != "not found in /proc/PID/ns" {
		t.Errorf("planned namespace absent: %+v", c)
	}
}

func TestCompareSeccomp(t *testing.T) {
	jail := fixtureJail(t, "jail.mountinfo", "jail.status")
	host := fixtureHost(t, "host.mountinfo")
	plan := fixturePlan(t)
	if plan.Seccomp == nil || plan.Seccomp.Spec.Preset != "default" {
		t.Fatalf("fixture plan: seccomp %+v", plan.Seccomp)
	}
	r := Compare(plan, jail, host)
	if c := check(t, r, "Seccomp"); !c.OK || c.Want != "2 (filter)" || c.Got != "2 (filter)" {
		t.Errorf("planned and on: %+v", c)
	}
	if c := check(t, r, "Seccomp_filters"); !c.OK || c.Want != "at least 1" {
		t.Errorf("planned and on: %+v", c)
	}

	// Planned, but the jail runs without a filter: drift, and NoNewPrivs,
	// which the launcher sets to install it, is wanted too.
	for _, tc := range []struct{ mode, filters int }{{0, 0}, {2, 0}, {1, 0}} {
		jail.Status.Seccomp, jail.Status.SeccompFilters, jail.Status.NoNewPrivs = tc.mode, tc.filters, 0
		plan.NoNewPriv = false
		r = Compare(plan, jail, host)
		mode, filters := check(t, r, "Seccomp"), check(t, r, "Seccomp_filters")
		if mode.OK == (tc.mode != 2) || filters.OK || !r.Drift() {
			t.Errorf("mode %d, %d filters: %+v %+v", tc.mode, tc.filters, mode, filters)
		}
		if c := check(t, r, "NoNewPrivs"); c.OK || c.Want != "1" {
			t.Errorf("NoNewPrivs off under a planned filter: %+v", c)
		}
	}
	// An optional filter the kernel could not enforce is still reported,
	// with why it may be missing.
	plan.Seccomp.Optional = true
	r = Compare(plan, jail, host)
	if c := check(t, r, "Seccomp"); c.OK || !strings.Contains(c.Note, "optional = true") {
		t.Errorf("optional, off: %+v", c)
	}

	// Not planned: a filter is not drift (systemd may have installed it),
	// and none is fine.
	plan.Seccomp = nil
	for _, tc := range []struct{ mode, filters int }{{0, 0}, {2, 1}} {
		jail.Status.Seccomp, jail.Status.SeccompFilters = tc.mode, tc.filters
		r = Compare(plan, jail, host)
		mode := check(t, r, "Seccomp")
		if !mode.OK || mode.Want != "" || !check(t, r, "Seccomp_filters").OK || !strings.Contains(mode.Note, "the plan installs no seccomp filter") {
			t.Errorf("unplanned, mode %d: %+v", tc.mode, mode)
		}
	}
	// Kernels before 5.9 have no filter count: the mode decides.
	plan = fixturePlan(t)
	jail.Status.Seccomp, jail.Status.SeccompFilters = 2, -1
	if c := check(t, Compare(plan, jail, host), "Seccomp_filters"); !c.OK || c.Got != "not reported by this kernel" {
		t.Errorf("no count: %+v", c)
	}
}

func TestCompareLimits(t *testing.T) {
	jail := fixtureJail(t, "jail.mountinfo", "jail.status")
	host := fixtureHost(t, "host.mountinfo")
	u := func(v uint64) *uint64 { return &v }
	inf := uint64(rlimits.Infinity)
	for _, tc := range []struct {
		name      string
		limits    []views.LimitPlan
		check     string
		ok        bool
		want, got string
	}{
		{"as planned", nil, "rlimit nofile", true, "20000 / 20000", "20000 / 20000"},
		{"soft differs",
			[]views.LimitPlan{{Limit: rlimits.Limit{Name: "nofile", Soft: u(64), Hard: u(20000)}, Origin: "p.toml:3"}},
			"rlimit nofile", false, "64 / 20000", "20000 / 20000"},
		{"hard inherited",
			[]views.LimitPlan{{Limit: rlimits.Limit{Name: "nofile", Soft: u(20000)}, Origin: "p.toml:3"}},
			"rlimit nofile", true, "20000 / inherited", "20000 / 20000"},
		{"infinity is unlimited",
			[]views.LimitPlan{{Limit: rlimits.Limit{Name: "cpu", Soft: &inf, Hard: &inf}, Origin: "p.toml:4"}},
			"rlimit cpu", true, "unlimited / unlimited", "unlimited / unlimited"},
		{"infinity planned, a number set",
			[]views.LimitPlan{{Limit: rlimits.Limit{Name: "stack", Soft: &inf, Hard: &inf}, Origin: "p.toml:4"}},
			"rlimit stack", false, "unlimited / unlimited", "8388608 / unlimited"},
		{"bytes compare as bytes",
			[]views.LimitPlan{{Limit: rlimits.Limit{Name: "memlock", Soft: u(8 << 20), Hard: u(8 << 20)}, Origin: "p.toml:5"}},
			"rlimit memlock", true, "8388608 / 8388608", "8388608 / 8388608"},
		{"a limit the kernel does not show",
			[]views.LimitPlan{{Limit: rlimits.Limit{Name: "bogus", Soft: u(1), Hard: u(1)}, Origin: "p.toml:6"}},
			"rlimit bogus", false, "bogus=1", "not in /proc/PID/limits"},
	} {
		plan := fixturePlan(t)
		if tc.limits != nil {
			plan.Limits = tc.limits
		}
		r := Compare(plan, jail, host)
		c := check(t, r, tc.check)
		if c.OK != tc.ok || c.Want != tc.want || c.Got != tc.got {
			t.Errorf("%s: %+v, want ok=%v want %q got %q", tc.name, c, tc.ok, tc.want, tc.got)
		}
		if r.Drift() == tc.ok {
			t.Errorf("%s: drift %v", tc.name, r.Drift())
		}
		if tc.limits != nil && !strings.Contains(c.Note, tc.limits[0].Origin) {
			t.Errorf("%s: note %q does not name the profile line", tc.name, c.Note)
		}
	}
	// Limits the plan does not set are shown as observed, by profile name.
	r := Compare(fixturePlan(t), jail, host)
	if c := check(t, r, "rlimit core"); !c.OK || c.Want != "" || c.Got != "0 / unlimited" {
		t.Errorf("unplanned core: %+v", c)
	}
}

func TestCompareLandlock(t *testing.T) {
	jail := fixtureJail(t, "jail.mountinfo", "jail.status")
	host := fixtureHost(t, "host.mountinfo")
	plan := fixturePlan(t)
	for _, c := range Compare(plan, jail, host).Enforced {
		if c.Name == "Landlock" {
			t.Errorf("no [landlock], yet %+v", c)
		}
	}
	plan.Landlock = &views.LandlockPlan{Rules: []views.LandlockRule{{Path: "/", Access: views.LandlockRO}}}
	r := Compare(plan, jail, host)
	if c := check(t, r, "Landlock"); !c.OK || c.Want != "1 rules" || c.Got != "not visible in /proc" {
		t.Errorf("landlock: %+v", c)
	}
	if r.Drift() {
		t.Errorf("drift: %+v", r.Enforced)
	}
}

func TestParseStatus(t *testing.T) {
	st, err := ParseStatus(readFixture(t, "jail.status"))
	if err != nil {
		t.Fatal(err)
	}
	if st.UID != [4]uint32{65534, 65534, 65534, 65534} || !slices.Equal(st.Groups, []uint32{65534}) ||
		st.CapEff != 0x400 || st.NoNewPrivs != 1 || st.Seccomp != 2 || st.SeccompFilters != 1 {
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
	if len(l) != 16 || l[0].Name != "cpu" || l[0].Soft != "unlimited" || l[7].Name != "nofile" || l[7].Soft != "20000" {
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
