package probe

import (
	"os"
	"syscall"
)

func closeOnExec(fd int) { syscall.CloseOnExec(fd) }

// SelfHWM is this process's peak RSS (VmHWM) in bytes, or 0 if unknown:
// what the final report's hwm key carries.
func SelfHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	return VmHWM(b)
}
