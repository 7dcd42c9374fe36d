//go:build !unix

package results

// LockFile is the lock a writer holds in an output folder.
const LockFile = ".bpbench.lock"

// LockDir does nothing where flock is not available: two bpbench
// processes must not be pointed at one folder there.
func LockDir(dir string) (unlock func(), err error) { return func() {}, nil }
