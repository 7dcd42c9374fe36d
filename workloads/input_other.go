//go:build !linux

package workloads

import "errors"

// oNoFollow is 0: refusing a symbolic link at open is not supported here;
// the inputs folder's own checks still apply.
const oNoFollow = 0

// freeSpace is not supported outside Linux: generation is not bounded by
// the free space there, only stopped by the first write that fails.
func freeSpace(dir string) (diskSpace, error) { return diskSpace{}, errors.ErrUnsupported }

// processAlive is not supported outside Linux: a temporary counts as a
// live writer's until it is staleAfter old.
func processAlive(pid int) bool { return true }
