package private

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// A FolderError is a folder bpbench will not use: a symbolic link, not a
// folder, or someone else's. Only the user can fix it.
type FolderError struct {
	Path   string
	Reason string // what is wrong, e.g. "belongs to uid 65534"
}

func (e *FolderError) Error() string {
	return fmt.Sprintf("the folder %s %s: bpbench uses only a private folder of this user's (uid %d); remove it, or set XDG_CACHE_HOME to a folder of yours",
		e.Path, e.Reason, os.Getuid())
}

// OwnedByUser reports whether fi belongs to the user running bpbench. Where
// the platform does not say (outside Linux and the BSDs), it reports true:
// no owner can be checked there.
func OwnedByUser(fi fs.FileInfo) bool {
	uid, ok := owner(fi)
	return !ok || uid == os.Getuid()
}

// Folder makes dir with mode 0700 unless it exists, and checks that it is a
// folder of the user's (a *FolderError if not); one of the user's that is
// open to others is closed.
func Folder(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	switch uid, ok := owner(fi); {
	case !fi.IsDir():
		return &FolderError{Path: dir, Reason: "is not a folder (a symbolic link?)"}
	case ok && uid != os.Getuid():
		return &FolderError{Path: dir, Reason: "belongs to uid " + strconv.Itoa(uid)}
	case fi.Mode().Perm()&0o077 != 0:
		return os.Chmod(dir, 0o700)
	}
	return nil
}

// CacheFolder is bpbench's private folder name under the user's cache
// folder (base, or os.UserCacheDir when base is ""): every folder from
// bpbench down is checked with Folder. Without a cache folder (no HOME) it
// is a fresh private folder in the system temp folder and temp is true:
// the caller removes it when done.
func CacheFolder(base, name string) (dir string, temp bool, err error) {
	if base == "" {
		base, err = os.UserCacheDir()
	}
	if err == nil {
		// The cache folder itself is made only where its parent is
		// (HOME=/nonexistent is no place to make one).
		if err = os.Mkdir(base, 0o700); errors.Is(err, fs.ErrExist) {
			err = nil
		}
	}
	if err != nil {
		dir, err = os.MkdirTemp("", "bpbench-"+name+"-"+strconv.Itoa(os.Getpid())+"-*")
		return dir, true, err
	}
	dir = base
	for _, n := range []string{"bpbench", name} {
		dir = filepath.Join(dir, n)
		if err := Folder(dir); err != nil {
			return "", false, err
		}
	}
	return dir, false, nil
}
