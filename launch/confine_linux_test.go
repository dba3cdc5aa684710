package launch

import (
	"errors"
	"strings"
	"testing"

	"github.com/fsviews/fsviews/seccomp"
	"github.com/fsviews/fsviews/views"
)

// fakeProbes is a kernel that has seccomp or not, and a Landlock ABI.
func fakeProbes(seccompErr error, abi int, abiErr error) probes {
	return probes{
		seccomp:     func() error { return seccompErr },
		landlockABI: func() (int, error) { return abi, abiErr },
	}
}

func TestDecideFailsClosed(t *testing.T) {
	noSeccomp := errors.New("seccomp unavailable: kernel built without CONFIG_SECCOMP")
	withLayers := func(optional bool) *views.Plan {
		return &views.Plan{
			Name:     "x",
			Seccomp:  &views.SeccompPlan{Spec: seccomp.Spec{Preset: "default"}, Optional: optional, Origin: "x.toml:3"},
			Landlock: &views.LandlockPlan{Optional: optional},
		}
	}
	for _, tc := range []struct {
		name     string
		plan     *views.Plan
		probes   probes
		seccomp  bool
		landlock bool
		skipped  []string // substrings, in order
		err      string
	}{
		{name: "everything available", plan: withLayers(false), probes: fakeProbes(nil, 7, nil), seccomp: true, landlock: true},
		{name: "no layers asks nothing", plan: &views.Plan{}, probes: probes{}},
		{name: "seccomp missing is an error", plan: withLayers(false), probes: fakeProbes(noSeccomp, 7, nil),
			err: "[seccomp] (x.toml:3): this kernel cannot enforce it: seccomp unavailable: kernel built without CONFIG_SECCOMP; run on a kernel with CONFIG_SECCOMP_FILTER, or set optional = true under [seccomp]"},
		{name: "landlock absent is an error", plan: withLayers(false), probes: fakeProbes(nil, 0, nil),
			err: "[landlock]: this kernel does not enforce Landlock (CONFIG_SECURITY_LANDLOCK, and landlock in the lsm= boot parameter)"},
		{name: "landlock ABI too old is an error", plan: withLayers(false), probes: fakeProbes(nil, 2, nil),
			err: "[landlock]: this kernel's Landlock ABI is 2, fsviews needs 3"},
		{name: "landlock probe failing is an error", plan: withLayers(false), probes: fakeProbes(nil, 0, errors.New("EPERM")),
			err: "[landlock]: cannot ask the kernel for its Landlock ABI: EPERM"},
		{name: "optional layers are skipped and said", plan: withLayers(true), probes: fakeProbes(noSeccomp, 1, nil),
			skipped: []string{"[seccomp] skipped (optional = true): seccomp unavailable", "[landlock] skipped (optional = true): the kernel's Landlock ABI is 1, fsviews needs 3"}},
		{name: "optional layers run when available", plan: withLayers(true), probes: fakeProbes(nil, 3, nil), seccomp: true, landlock: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := decide(tc.plan, tc.probes)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("decide: error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("decide: %v", err)
			}
			if l.seccomp != tc.seccomp || l.landlock != tc.landlock {
				t.Errorf("seccomp %v landlock %v, want %v %v", l.seccomp, l.landlock, tc.seccomp, tc.landlock)
			}
			if len(l.skipped) != len(tc.skipped) {
				t.Fatalf("skipped %q, want %q", l.skipped, tc.skipped)
			}
			for i, s := range tc.skipped {
				if !strings.Contains(l.skipped[i], s) {
					t.Errorf("skipped[%d] = %q, want %q", i, l.skipped[i], s)
				}
			}
		})
	}
}

func TestUnshareErrorNamesTheNamespace(t *testing.T) {
	err := unshareError([]string{"mnt", "nosuchns"}, errors.New("invalid argument"))
	if !strings.Contains(err.Error(), "unshare mnt,nosuchns: invalid argument: this kernel has no nosuchns namespace") {
		t.Errorf("got %v", err)
	}
	err = unshareError([]string{"mnt", "net"}, errors.New("operation not permitted"))
	if !strings.Contains(err.Error(), "unshare mnt,net namespaces: operation not permitted: the kernel refused them") {
		t.Errorf("got %v", err)
	}
}

// The steps launch takes after the workdir are the plan's, in its order,
// and a confinement it holds needs the plan's confine step.
func TestFinishingSteps(t *testing.T) {
	plan := &views.Plan{Workdir: "/", Command: []string{"/bin/true"}, UID: 33, GID: 33, NoNewPriv: true,
		Limits:  []views.LimitPlan{{}},
		Seccomp: &views.SeccompPlan{}}
	conf := &confinement{filter: &seccomp.Program{}}
	steps, err := finishingSteps(plan, conf)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range steps {
		got = append(got, string(s))
	}
	if want := "rlimit privileges umask session signals fds confine exec"; strings.Join(got, " ") != want {
		t.Errorf("steps %q, want %q", strings.Join(got, " "), want)
	}
	plan.Seccomp = nil
	if _, err := finishingSteps(plan, conf); err == nil || !strings.Contains(err.Error(), "no confine step") {
		t.Errorf("a filter without the plan's confine step: %v", err)
	}
}
