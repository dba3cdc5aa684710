// Package mounts builds a view: a tmpfs root reached only through its file
// descriptor, into which detached mount trees are moved.
//
// Contract: every path inside the view is resolved relative to the root's
// fd with openat2(RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS),
// and every mount is made with the fd-based mount API (fsopen/fsmount,
// open_tree, mount_setattr, move_mount) onto an fd, never onto a path the
// kernel re-resolves. A symlink anywhere on the way to a target — one a
// jail planted in its state dir on an earlier run, say — is an error, never
// followed: nothing fsviews does as root can be redirected outside the view.
//
// Read-only binds are made read-only with one recursive mount_setattr on
// the detached clone, before it is attached, so every submount is covered
// and there is no window in which the bind is writable.
package mounts
