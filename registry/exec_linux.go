package registry

import (
	"errors"
	"fmt"
	"io/fs"
	"time"
)

// maxExecs bounds the execs kept in a record: an admin who runs exec in a
// loop must not grow the record without end; the oldest go first.
const maxExecs = 64

// Exec is one command fsviews exec started in a jail: who, when, what.
type Exec struct {
	Time time.Time `json:"time"`
	// UID is the caller's real uid; LoginUID the audit login uid of its
	// session (/proc/self/loginuid, -1 when unset), which survives sudo
	// and su; SudoUser is $SUDO_USER when set, a hint only (the caller
	// could have set it).
	UID      int    `json:"uid"`
	LoginUID int    `json:"login_uid"`
	SudoUser string `json:"sudo_user,omitempty"`
	// Command is the argv as given; RunAs the uid and gid it runs as.
	Command []string `json:"command"`
	RunAs   [2]int   `json:"run_as"`
	// PID is the command's PID on the host, 0 when it never started.
	PID int `json:"pid,omitempty"`
}

// AddExec appends x to the record of jail name, provided the record still
// names the process (pid, start) the exec entered: a record replaced
// meanwhile by another jail of the name is left alone, and that is an
// error, since the exec was not recorded where the jail's record is.
func (r Registry) AddExec(name string, pid int, start uint64, x Exec) error {
	if err := ValidName(name); err != nil {
		return fmt.Errorf("record exec: %w", err)
	}
	dirfd, unlock, err := r.lock()
	if err != nil {
		return fmt.Errorf("record exec in jail %s: %w", name, err)
	}
	defer unlock()
	rec, err := r.readRecord(dirfd, name)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("record exec in jail %s: its record is gone (the jail ended)", name)
	}
	if err != nil {
		return fmt.Errorf("record exec in jail %s: %w", name, err)
	}
	if rec.PID != pid || rec.StartTime != start {
		return fmt.Errorf("record exec in jail %s: the record now names PID %d, another process than the one entered (PID %d): the jail ended and another took its name", name, rec.PID, pid)
	}
	rec.Execs = append(rec.Execs, x)
	if n := len(rec.Execs); n > maxExecs {
		rec.Execs = rec.Execs[n-maxExecs:]
	}
	data, err := rec.AppendJSON(nil)
	if err != nil {
		return fmt.Errorf("record exec in jail %s: %w", name, err)
	}
	if err := writeRecord(dirfd, r.Dir, name+recordExt, data); err != nil {
		return fmt.Errorf("record exec in jail %s: %w", name, err)
	}
	return nil
}
