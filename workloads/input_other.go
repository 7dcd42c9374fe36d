//go:build !linux

package workloads

import (
	"errors"
	"io/fs"
)

// oNoFollow is 0: refusing a symbolic link at open is not supported here;
// the inputs folder's own checks still apply.
const oNoFollow = 0

// freeSpace is not supported outside Linux: generation is not bounded by
// the free space there, only stopped by the first write that fails.
func freeSpace(dir string) (diskSpace, error) { return diskSpace{}, errors.ErrUnsupported }

// fileOwner is not supported outside Linux: no owner is checked.
func fileOwner(fi fs.FileInfo) (int, bool) { return 0, false }

// processAlive is not supported outside Linux: a temporary counts as a
// live writer's until it is staleAfter old.
func processAlive(pid int) bool { return true }
