package main

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/inspect"
	"github.com/fsviews/fsviews/mounts"
	"github.com/fsviews/fsviews/profiles"
	"github.com/fsviews/fsviews/registry"
	"github.com/fsviews/fsviews/views"
)

// writablePlace is a host directory a registered jail can write.
type writablePlace struct {
	jail, health string
	paths        []string // as its profile wrote it, and resolved
	what         string   // "read-write bind" or "state dir", with its view path
}

// registeredWritable lists the places each registered jail can write: its
// read-write binds and state dirs, from the plan in its record. Stale
// records count too: a jail that ran will most likely run again.
func registeredWritable(entries []registry.Entry) []writablePlace {
	var out []writablePlace
	for _, e := range entries {
		plan, err := inspect.ParsePlan(e.Plan)
		if err != nil {
			continue
		}
		resolved := map[string]string{}
		for _, s := range e.Sources {
			resolved[s.Target] = s.Resolved
		}
		for _, op := range plan.Ops {
			w := writablePlace{jail: e.Name, health: e.Health.String(), paths: []string{op.Source}}
			switch {
			case op.Kind == views.Bind && !op.ReadOnly:
				w.what = "read-write bind at " + op.Target
			case op.Kind == views.State:
				w.what = "state dir at " + op.Target
			default:
				continue
			}
			if r := resolved[op.Target]; r != "" && r != op.Source {
				w.paths = append(w.paths, r)
			}
			out = append(out, w)
		}
	}
	return out
}

// below reports whether p lies strictly inside dir.
func below(p, dir string) bool {
	return p != dir && strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// sourceCheck opens each bind and [[file]] source of p as run would, and
// reports the symlinks run would refuse. It also refuses a source that
// lies inside a place a registered jail can write: that jail could replace
// the source (with its own files, or a link) before p's next start. The
// profile's own read-write binds are checked when it is loaded; this is
// the host-wide half, which needs the registry. The source is compared as
// written and as it resolves through the links fsviews follows.
func sourceCheck(reg registry.Registry, p *profiles.Profile, userNS bool) profiles.Problems {
	var probs profiles.Problems
	entries, err := reg.List()
	if err != nil {
		probs = append(probs, profiles.Problem{Pos: p.Origin, Warning: true,
			Msg: fmt.Sprintf("sources not checked against the registered jails' writable places: %v; run check as the user who runs the jails, or pass --runtime-dir", err)})
	}
	places := registeredWritable(entries)
	check := func(src string, follow bool, pos profiles.Pos, key string) {
		paths := []string{src}
		f, err := mounts.OpenSource(src, unix.O_PATH, mounts.SourceLinks(userNS, follow))
		if errors.Is(err, mounts.ErrSourceLink) {
			// What run would refuse; a missing source is CheckHost's.
			probs = append(probs, profiles.Problem{Pos: pos, Key: key, Msg: err.Error()})
			return
		}
		if err == nil {
			if f.Name() != src {
				paths = append(paths, f.Name())
			}
			f.Close()
		}
		for _, w := range places {
			for _, sp := range paths {
				for _, wp := range w.paths {
					if !below(sp, wp) {
						continue
					}
					probs = append(probs, profiles.Problem{Pos: pos, Key: key,
						Msg: fmt.Sprintf("%s lies inside %s, which jail %s (%s) can write through its %s: it could replace the source before this profile's next start; bind %s itself or a path outside it, or make that jail's bind read-only",
							sp, wp, w.jail, w.health, w.what, wp)})
					return
				}
			}
		}
	}
	for _, b := range p.Binds {
		check(b.Source, b.Follow, b.Pos, "[[bind]] source")
	}
	for _, f := range p.Files {
		if f.Source != "" {
			check(f.Source, f.Follow, f.Pos, "[[file]] source")
		}
	}
	return probs
}
