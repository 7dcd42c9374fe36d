package workloads

import (
	"errors"
	"syscall"
)

// oNoFollow makes an open refuse a symbolic link.
const oNoFollow = syscall.O_NOFOLLOW

// freeSpace returns the size of dir's filesystem and the space left in it
// for an unprivileged user (statfs(2)'s f_bavail: root's reserve is not
// counted, even for root).
func freeSpace(dir string) (diskSpace, error) {
	var s syscall.Statfs_t
	if err := syscall.Statfs(dir, &s); err != nil {
		return diskSpace{}, err
	}
	return diskSpace{avail: int64(s.Bavail) * s.Bsize, total: int64(s.Blocks) * s.Bsize}, nil
}

// processAlive reports whether process pid exists (one of another user's
// too: EPERM).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
