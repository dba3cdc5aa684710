package main

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// version is set at link time by make build (-X main.version=...,
// from git describe); a plain go build leaves it empty and the module
// version from the build info stands in.
var version string

// versionText is what fsviews --version prints: the version, the commit
// and its date (with "+changes" when the tree had uncommitted changes),
// and the Go toolchain.
func versionText() string {
	v := version
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return orDev(v) + " (no build information)"
	}
	if v == "" {
		v = info.Main.Version
	}
	var rev, when string
	dirty := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	var parts []string
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if dirty {
			rev += "+changes"
		}
		parts = append(parts, "commit "+rev)
	}
	if when != "" {
		parts = append(parts, when)
	}
	parts = append(parts, info.GoVersion)
	return fmt.Sprintf("%s (%s)", orDev(v), strings.Join(parts, ", "))
}

func orDev(v string) string {
	if v == "" || v == "(devel)" {
		return "dev"
	}
	return v
}
