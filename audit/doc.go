// Package audit records and compares the writable state of a jail, read from
// the host side, without running anything inside the jail and without
// trusting anything the jail wrote.
//
// A [Manifest] covers one or more [Root]s: a state dir or read-write bind read
// at its host path, or a tmpfs of a running jail read through
// /proc/PID/root (see [OpenViewPath]). Each root holds one [Entry] per file:
// type, mode, owner, size, times, inode, link target and, for regular files, a
// SHA-256 of the content. [Diff] compares two manifests and flags what an
// auditor cares about first (new setuid files, executables, device nodes,
// symlinks pointing out of the root, content changed while the mtime was kept);
// [FormatDiff] prints the result like diff -r. [Store] keeps checkpoints.
//
// # Contract
//
// The tree is hostile: the jail may write it while we read it. [Walk] and
// [WalkFD] therefore:
//
//   - never follow a symlink: every step is an openat/fstatat/readlinkat
//     relative to the parent directory's fd with O_NOFOLLOW or
//     AT_SYMLINK_NOFOLLOW, never a re-resolution of a full path, so swapping a
//     directory for a symlink mid-walk cannot lead the walk out of the tree;
//   - open regular files with O_NONBLOCK and hash them only when fstat on the
//     opened fd says it is the regular file (same device and inode) that was
//     listed: a FIFO never blocks the walk, a swapped file is recorded with
//     [Entry.Err] instead of being hashed;
//   - stay on the root's filesystem unless [WalkOptions.CrossMounts] is set,
//     recording a directory on another device as a mount boundary;
//   - bound file descriptors: at most [WalkOptions.MaxOpenDirs] directory fds
//     (deeper directories are reached again through ".." of the child, and
//     the reopened fd is checked against the recorded device and inode) plus
//     a small, fixed number of files being hashed;
//   - handle names that are not valid UTF-8 or hold newlines, paths longer
//     than PATH_MAX and trees thousands of levels deep: the walk is iterative
//     and every path stays relative to an fd;
//   - use memory by the number of entries, not by their depth × name
//     length: an entry holds its name and its parent's index, and
//     [Root.Path] builds a path only to print it;
//   - read no hole of a sparse file (SEEK_DATA/SEEK_HOLE) and no byte past
//     the size lstat gave;
//   - stop at [WalkOptions.MaxDepth], [WalkOptions.MaxEntries] and
//     [WalkOptions.MaxHashBytes], marking the entry where each stopped with
//     [Entry.Limit]: the caller reports [Manifest.Limits], so an incomplete
//     manifest never passes for a complete one.
//
// A change the walk observes in the tree while reading it (an entry that
// vanished is skipped; one that changed type or inode is recorded with Err
// set) is data, not an error. Walk fails only when it cannot go on: the root
// cannot be opened, a directory it must return to has moved, or the context
// is cancelled.
//
// # Names in JSON
//
// Names and link targets are raw bytes held in Go strings. In JSON an Entry
// writes "name" (and "link") when the bytes are valid UTF-8, and "name_b64"
// (and "link_b64", standard base64) otherwise, so that every name round-trips
// exactly; encoding/json would otherwise replace invalid bytes with U+FFFD.
// A Change writes its path the same way, as "path" or "path_b64". Manifests
// of format version 1 held "path" in each entry; they are still read.
// Text output ([FormatDiff]) quotes a name Go-style whenever it holds a byte
// that is not printable, so a jail cannot forge report lines with newlines or
// terminal escapes in its file names.
package audit
