// Package registry records the running jails so that the audit commands
// (fsviews ps, inspect, checkpoint, diff) can find them from outside.
//
// A Registry is a root-only directory (the CLI uses /run/fsviews/jails, mode
// 0700) holding one JSON file per jail, NAME.json, mode 0600. fsviews run
// registers its jail with AddSelf from the thread that unshared, right
// before building the view, so the record carries the jail's mount
// namespace. The daemon then replaces fsviews in the same process, so
// nothing is left to remove the record when it exits: it goes stale, List
// reports it, the next Add of its name replaces it, Prune deletes it. A
// launcher that stays (a supervisor) calls Remove(name, pid) when its child
// exits; so does fsviews run when the launch fails.
//
// # Contract
//
//   - Add, AddExec and Remove serialise on an flock of the directory, so two
//     fsviews run with the same --name cannot both win. A record is
//     overwritten in place under that lock and List and Get read under its
//     shared form: a reader sees the old record or the new one, never part
//     of one (a file renamed over the old record cost fsviews run ~0.25 ms
//     on ext4; see writeRecord). Whatever else is planted under a record's
//     name (a symlink, a FIFO, a hard link) is replaced, never written
//     through.
//   - A record is a claim, never trusted: List and Get check it against /proc
//     every time. Liveness is the PID and its start time (field 22 of
//     /proc/PID/stat: a reused PID has another): the record is stale when
//     the PID is gone or a zombie or now belongs to another process. A live
//     process that left a recorded namespace (the jail ran `unshare -m`) is
//     Drift, not stale: still the jail, still holding its state dirs.
//   - A live record, Running or Drift, is never pruned, and its name is
//     never given to another process. A stale record is reported with the
//     reason and replaced by the next Add of that name.
//   - Nothing here reads anything the jail can write: /proc/PID/stat and the
//     /proc/PID/ns links are the kernel's. The directory must belong to the
//     caller and be writable by no one else; records are read, written and
//     removed relative to its fd, never through a symlink (openat2
//     RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, O_NOFOLLOW), and a FIFO planted
//     under a record's name neither blocks nor passes for a record.
//   - Reserved names ("checkpoints") are refused: a jail's state dir is
//     STATE_ROOT/NAME, and the default state root holds the checkpoint store.
//
// The package does not interpret Record.Plan; it belongs to the views
// package and is kept as raw JSON.
package registry
