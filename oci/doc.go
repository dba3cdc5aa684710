// Package oci translates a plan into an OCI runtime bundle (runtime-spec
// 1.x, the format runc, crun, Podman and containerd run), so that a
// profile written for fsviews runs unchanged under an orchestrator.
//
// Contract: Export is pure. It takes the plan views.Compile made (so the
// mounts come in the plan's order, with the options fsviews itself uses)
// and a resolver for bind sources, and returns the spec, the skeleton of
// the bundle's root file system (the directories, links and files
// fsviews writes into its tmpfs root) and the list of what the spec
// cannot express. Nothing is dropped silently: every part of the plan
// either becomes part of the bundle or a Gap naming it, its profile line
// and what the runtime does instead. Writing the bundle to disk is
// write_linux.go's job.
package oci
