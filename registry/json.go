package registry

import (
	"maps"
	"slices"
	"strconv"

	"github.com/fsviews/fsviews/internal/jsonw"
)

// AppendJSON appends the record as encoding/json marshals it, byte for
// byte, without the reflection encoding/json spends on types it meets for
// the first time (package jsonw): fsviews run writes one record per start.
// TestRecordJSONMatches holds it to encoding/json with every field set; a
// field added to Record must be added here too. Plan is copied as it is,
// so it must be JSON already (encoding/json checks and compacts it).
func (rec *Record) AppendJSON(b []byte) ([]byte, error) {
	o := jsonw.Open(&b)
	o.String("name", rec.Name)
	o.Int("pid", int64(rec.PID))
	o.Uint("start_time", rec.StartTime)
	o.Key("started")
	t, err := rec.Started.MarshalJSON()
	if err != nil {
		return nil, err
	}
	b = append(b, t...)
	if rec.ProfilePath != "" {
		o.String("profile_path", rec.ProfilePath)
	}
	if rec.ProfileSHA256 != "" {
		o.String("profile_sha256", rec.ProfileSHA256)
	}
	if len(rec.Namespaces) > 0 {
		o.Key("namespaces")
		ns := jsonw.Open(&b)
		for _, k := range slices.Sorted(maps.Keys(rec.Namespaces)) {
			ns.Uint(k, rec.Namespaces[k])
		}
		ns.Close()
	}
	if len(rec.ProfileFiles) > 0 {
		o.Key("profile_files")
		b = append(b, '[')
		for i, f := range rec.ProfileFiles {
			if i > 0 {
				b = append(b, ',')
			}
			fo := jsonw.Open(&b)
			fo.String("path", f.Path)
			fo.String("sha256", f.SHA256)
			fo.Close()
		}
		b = append(b, ']')
	}
	if len(rec.Plan) > 0 {
		o.Key("plan")
		// As it is: what Plan.AppendJSON wrote, or what json.Unmarshal
		// read (and checked) from a record. encoding/json would compact
		// it again; scanning a plan of 1000 binds for that took 0.5 ms.
		b = append(b, rec.Plan...)
	}
	if len(rec.StateDirs) > 0 {
		o.Key("state_dirs")
		sd := jsonw.Open(&b)
		for _, k := range slices.Sorted(maps.Keys(rec.StateDirs)) {
			sd.String(k, rec.StateDirs[k])
		}
		sd.Close()
	}
	if len(rec.Sources) > 0 {
		o.Key("sources")
		b = append(b, '[')
		for i, s := range rec.Sources {
			if i > 0 {
				b = append(b, ',')
			}
			so := jsonw.Open(&b)
			so.String("target", s.Target)
			so.String("path", s.Path)
			so.String("resolved", s.Resolved)
			so.Uint("dev", s.Dev)
			so.Uint("ino", s.Ino)
			so.Close()
		}
		b = append(b, ']')
	}
	if len(rec.Execs) > 0 {
		o.Key("execs")
		b = append(b, '[')
		for i, x := range rec.Execs {
			if i > 0 {
				b = append(b, ',')
			}
			xo := jsonw.Open(&b)
			xo.Key("time")
			t, err := x.Time.MarshalJSON()
			if err != nil {
				return nil, err
			}
			b = append(b, t...)
			xo.Int("uid", int64(x.UID))
			xo.Int("login_uid", int64(x.LoginUID))
			if x.SudoUser != "" {
				xo.String("sudo_user", x.SudoUser)
			}
			xo.Strings("command", x.Command)
			xo.Key("run_as")
			b = append(strconv.AppendInt(append(strconv.AppendInt(append(b, '['), int64(x.RunAs[0]), 10), ','), int64(x.RunAs[1]), 10), ']')
			if x.PID != 0 {
				xo.Int("pid", int64(x.PID))
			}
			xo.Close()
		}
		b = append(b, ']')
	}
	o.Close()
	return b, nil
}
