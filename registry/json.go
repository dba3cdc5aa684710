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
		jsonw.Array(&b, len(rec.ProfileFiles), false, func(i int) {
			fo := jsonw.Open(&b)
			fo.String("path", rec.ProfileFiles[i].Path)
			fo.String("sha256", rec.ProfileFiles[i].SHA256)
			fo.Close()
		})
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
		jsonw.Array(&b, len(rec.Sources), false, func(i int) {
			s := &rec.Sources[i]
			so := jsonw.Open(&b)
			so.String("target", s.Target)
			so.String("path", s.Path)
			so.String("resolved", s.Resolved)
			so.Uint("dev", s.Dev)
			so.Uint("ino", s.Ino)
			so.Close()
		})
	}
	if len(rec.Execs) > 0 {
		o.Key("execs")
		jsonw.Array(&b, len(rec.Execs), false, func(i int) {
			x := &rec.Execs[i]
			xo := jsonw.Open(&b)
			xo.Key("time")
			t, e := x.Time.MarshalJSON()
			if e != nil && err == nil {
				err = e
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
		})
		if err != nil {
			return nil, err
		}
	}
	o.Close()
	return b, nil
}
