//go:build !linux

package probe

func closeOnExec(fd int) {}

// selfHWM is unknown outside Linux.
func selfHWM() int64 { return 0 }
