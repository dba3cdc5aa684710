package launch

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fsviews/fsviews/views"
)

// The rights below are spelled out one by one, as the kernel documents
// them (Documentation/userspace-api/landlock.rst), not derived from the
// code under test.
const (
	fsExec      = unix.LANDLOCK_ACCESS_FS_EXECUTE
	fsWrite     = unix.LANDLOCK_ACCESS_FS_WRITE_FILE
	fsRead      = unix.LANDLOCK_ACCESS_FS_READ_FILE
	fsReadDir   = unix.LANDLOCK_ACCESS_FS_READ_DIR
	fsRmDir     = unix.LANDLOCK_ACCESS_FS_REMOVE_DIR
	fsRmFile    = unix.LANDLOCK_ACCESS_FS_REMOVE_FILE
	fsMkChar    = unix.LANDLOCK_ACCESS_FS_MAKE_CHAR
	fsMkDir     = unix.LANDLOCK_ACCESS_FS_MAKE_DIR
	fsMkReg     = unix.LANDLOCK_ACCESS_FS_MAKE_REG
	fsMkSock    = unix.LANDLOCK_ACCESS_FS_MAKE_SOCK
	fsMkFifo    = unix.LANDLOCK_ACCESS_FS_MAKE_FIFO
	fsMkBlock   = unix.LANDLOCK_ACCESS_FS_MAKE_BLOCK
	fsMkSym     = unix.LANDLOCK_ACCESS_FS_MAKE_SYM
	fsRefer     = unix.LANDLOCK_ACCESS_FS_REFER
	fsTruncate  = unix.LANDLOCK_ACCESS_FS_TRUNCATE
	fsIoctlDev  = unix.LANDLOCK_ACCESS_FS_IOCTL_DEV
	fsV1        = fsExec | fsWrite | fsRead | fsReadDir | fsRmDir | fsRmFile | fsMkChar | fsMkDir | fsMkReg | fsMkSock | fsMkFifo | fsMkBlock | fsMkSym
	fsMakeOrRm  = fsRmDir | fsRmFile | fsMkChar | fsMkDir | fsMkReg | fsMkSock | fsMkFifo | fsMkBlock | fsMkSym
	fsRODir     = fsExec | fsRead | fsReadDir
	fsRWDir     = fsRODir | fsWrite | fsTruncate | fsMakeOrRm | fsRefer
	fsROFile    = fsExec | fsRead
	fsRWFile    = fsExec | fsRead | fsWrite | fsTruncate
	fsAllKnown  = fsV1 | fsRefer | fsTruncate | fsIoctlDev
	fsDirRights = fsReadDir | fsMakeOrRm | fsRefer
)

func TestLandlockHandledFollowsTheABI(t *testing.T) {
	for _, tc := range []struct {
		abi  int
		want uint64
	}{
		{0, 0},
		{1, fsV1},
		{2, fsV1 | fsRefer},
		{3, fsV1 | fsRefer | fsTruncate},
		{4, fsV1 | fsRefer | fsTruncate}, // ABI 4 adds network rights only
		{5, fsAllKnown},
		{7, fsAllKnown},
		// resolve_unix (ABI 9) stays unhandled: connecting to the
		// view's unix sockets is not Landlock's to refuse here.
		{9, fsAllKnown},
		{11, fsAllKnown},
	} {
		if got := landlockHandled(tc.abi); got != tc.want {
			t.Errorf("landlockHandled(%d) = %#x, want %#x", tc.abi, got, tc.want)
		}
	}
	if landlockHandled(11)&unix.LANDLOCK_ACCESS_FS_RESOLVE_UNIX != 0 {
		t.Error("resolve_unix is handled: connect(2) on the view's unix sockets would be refused")
	}
}

func TestLandlockAllowed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		access views.LandlockAccess
		dir    bool
		abi    int
		want   uint64
	}{
		{"ro dir", views.LandlockRO, true, 5, fsRODir},
		{"ro file", views.LandlockRO, false, 5, fsROFile},
		{"rw dir: refer too", views.LandlockRW, true, 5, fsRWDir},
		{"rw file: file rights only", views.LandlockRW, false, 5, fsRWFile},
		{"dev dir: ioctl on devices", views.LandlockDev, true, 5, fsRWDir | fsIoctlDev},
		{"dev file", views.LandlockDev, false, 5, fsRWFile | fsIoctlDev},
		{"dev dir on ABI 3: no ioctl_dev to grant", views.LandlockDev, true, 3, fsRWDir},
		{"dev file on ABI 4", views.LandlockDev, false, 4, fsRWFile},
		{"rw dir on ABI 7", views.LandlockRW, true, 7, fsRWDir},
		{"ro dir on ABI 11", views.LandlockRO, true, 11, fsRODir},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := landlockAllowed(tc.access, tc.dir, landlockHandled(tc.abi)); got != tc.want {
				t.Errorf("landlockAllowed(%s, dir %v, ABI %d) = %#x, want %#x", tc.access, tc.dir, tc.abi, got, tc.want)
			}
		})
	}
}

// The kernel refuses a rule that grants a right the ruleset does not
// handle, or a directory right on a file (EINVAL): no combination may
// produce one.
func TestLandlockAllowedIsWhatTheKernelAccepts(t *testing.T) {
	for abi := minLandlockABI; abi <= 11; abi++ {
		handled := landlockHandled(abi)
		for _, access := range []views.LandlockAccess{views.LandlockRO, views.LandlockRW, views.LandlockDev} {
			for _, dir := range []bool{true, false} {
				got := landlockAllowed(access, dir, handled)
				if got == 0 {
					t.Errorf("ABI %d %s dir %v: no rights (the kernel refuses an empty rule with ENOMSG)", abi, access, dir)
				}
				if got&^handled != 0 {
					t.Errorf("ABI %d %s dir %v: grants %#x, not handled", abi, access, dir, got&^handled)
				}
				if !dir && got&fsDirRights != 0 {
					t.Errorf("ABI %d %s on a file: grants directory rights %#x", abi, access, got&fsDirRights)
				}
			}
		}
	}
}
