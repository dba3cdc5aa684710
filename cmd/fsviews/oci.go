package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/fsviews/fsviews/oci"
	"github.com/fsviews/fsviews/seccomp"
	"github.com/fsviews/fsviews/views"
)

func ociCommand() *cli.Command {
	return &cli.Command{
		Name:      "oci",
		Usage:     "write an OCI runtime bundle (config.json + rootfs) that runs the profile under runc, crun or Podman",
		ArgsUsage: "[--strict] PROFILE DIR",
		Description: `Translates PROFILE into an OCI runtime bundle in DIR, a new or empty directory:
DIR/config.json (runtime-spec 1.x) and DIR/rootfs. The mounts are the plan's
("fsviews plan PROFILE"), in its order and with its options: read-only binds
read-only recursively, every bind nosuid,nodev, tmpfs, state dirs bound
read-write, /proc with the same read-only and hidden paths, a minimal /dev.
The namespaces, user, capabilities, no_new_privs, rlimits, [cgroup] limits and
the seccomp filter (the same decision for every syscall and the same argument
conditions as fsviews' own filter) go into config.json. rootfs holds only what
fsviews writes into its empty tmpfs root: directories, symlinks (/bin ->
usr/bin) and [[file]] contents; everything else comes from mounts. State dirs
are created now, as "fsviews run" creates them, since a runtime does not.

What the runtime spec cannot express (Landlock, fsviews' init as PID 1, the
notify relay, state dirs the runtime does not create, the wall limit ...) is
listed on stderr, one line each with its profile line; the bundle is still
written. --strict makes any such line an error and writes nothing.
docs/scale-out.md explains each one, and how to run the bundle under runc,
crun, Podman and Nomad.

Examples:
   fsviews oci redis /var/lib/bundles/redis
   runc run -d --bundle /var/lib/bundles/redis redis1
   fsviews oci --strict ./web.toml ./web-bundle     fails if anything is lost`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "strict", Usage: "fail, writing nothing, when the bundle cannot carry all of the profile"},
			&cli.StringFlag{Name: "state-dir", Usage: "as for run: keep state dirs under `DIR`/NAME"},
			&cli.StringFlag{Name: "name", Usage: "as for run: the jail's `NAME`, which keys its state dir (default: the profile's name)"},
		},
		Action: func(c *cli.Context) error {
			positional, command, err := splitArgs(c)
			if err != nil {
				return err
			}
			if len(positional) != 2 {
				return cli.Exit("fsviews oci: name a profile and a bundle directory: fsviews oci PROFILE DIR", 1)
			}
			p, err := loadProfile(c, positional[0], 1)
			if err != nil {
				return err
			}
			name, stateRoot, err := nameAndStateRoot(c, "oci", p)
			if err != nil {
				return err
			}
			plan := views.Compile(p, views.Options{Name: name, StateRoot: stateRoot, Command: command})
			return exportBundle(plan, positional[1], c.Bool("strict"))
		},
	}
}

// exportBundle translates, reports what the bundle lacks, and writes it
// unless --strict and something is lacking.
func exportBundle(plan *views.Plan, dir string, strict bool) error {
	// A dry run first (nothing on the host changes): --strict must refuse
	// before anything is created.
	dry, err := oci.Export(plan, oci.Options{Arch: seccomp.NativeArch(), Resolve: func(op views.Op) (string, error) { return op.Source, nil }})
	if err != nil {
		return cli.Exit(fmt.Sprintf("fsviews oci: %v; nothing was written", err), 1)
	}
	if strict && len(dry.Gaps) > 0 {
		for _, g := range dry.Gaps {
			fmt.Fprintf(os.Stderr, "fsviews oci: not expressible: %s\n", g)
		}
		return cli.Exit(fmt.Sprintf("fsviews oci: --strict: the bundle would not carry %d part%s of %s (above); nothing was written", len(dry.Gaps), plural(len(dry.Gaps)), plan.Profile), 1)
	}
	b, err := oci.Export(plan, oci.Options{Arch: seccomp.NativeArch(), Resolve: oci.HostSources(plan)})
	if err != nil {
		return cli.Exit(fmt.Sprintf("fsviews oci: %v; nothing was written", err), 1)
	}
	if err := oci.Write(dir, b); err != nil {
		return cli.Exit(fmt.Sprintf("fsviews oci: %v", err), 1)
	}
	if err := oci.MakeStateDirs(plan); err != nil {
		if rmErr := oci.Remove(dir); rmErr != nil {
			return cli.Exit(fmt.Sprintf("fsviews oci: %v; and removing the bundle from %s: %v", err, dir, rmErr), 1)
		}
		return cli.Exit(fmt.Sprintf("fsviews oci: %v; the bundle was removed", err), 1)
	}
	for _, g := range b.Gaps {
		fmt.Fprintf(os.Stderr, "fsviews oci: not expressible: %s\n", g)
	}
	for _, n := range b.Notes {
		fmt.Fprintf(os.Stderr, "fsviews oci: note: %s\n", n)
	}
	fmt.Fprintf(os.Stderr, "fsviews oci: wrote %s/config.json and %s/rootfs (%d mounts, %d parts not expressible)\n", dir, dir, len(b.Spec.Mounts), len(b.Gaps))
	return nil
}
