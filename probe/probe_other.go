//go:build !linux

package probe

func closeOnExec(fd int) {}

// SelfHWM is this process's peak RSS (VmHWM) in bytes: 0, unknown,
// outside Linux.
func SelfHWM() int64 { return 0 }
