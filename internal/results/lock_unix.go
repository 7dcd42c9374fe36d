//go:build unix

package results

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockFile is the lock a writer holds in an output folder.
const LockFile = ".bpbench.lock"

// LockDir takes an exclusive lock on the output folder dir (which must
// exist), so that two bpbench processes never write one folder at once. The
// lock file (.bpbench.lock, holding the pid of its last holder) stays in the
// folder; a symbolic link or anything but a regular file at its name is
// refused, never followed.
// The lock is released by unlock, or by the kernel when the process dies.
// If another process holds it, the error names its pid.
func LockDir(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, LockFile)
	// O_NOFOLLOW: a symbolic link planted at the lock's name is refused,
	// never followed to truncate what it points at.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("cannot lock %s: %s is a symbolic link, and bpbench never writes through one; remove it, or choose an empty or new --out", dir, path)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot lock %s: %w", dir, err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("cannot lock %s: %s is not a regular file; remove it, or choose an empty or new --out", dir, path)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := "another bpbench"
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				who = fmt.Sprintf("another bpbench (pid %d)", pid)
			}
			return nil, fmt.Errorf("%s is writing to %s: wait for it to finish, or choose another --out", who, dir)
		}
		return nil, fmt.Errorf("cannot lock %s: %w", dir, err)
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	// The file stays: removing it would let a process that opened it
	// before the removal lock a file no one else can see.
	return func() { f.Close() }, nil
}
