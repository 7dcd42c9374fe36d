package probe

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

func closeOnExec(fd int) { syscall.CloseOnExec(fd) }

// selfHWM is this process's VmHWM (peak RSS) in bytes, or 0 if unknown.
func selfHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	i := bytes.Index(b, []byte("\nVmHWM:"))
	if i < 0 {
		return 0
	}
	line := b[i+len("\nVmHWM:"):]
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	f := bytes.Fields(line)
	if len(f) == 0 {
		return 0
	}
	kb, _ := strconv.ParseInt(string(f[0]), 10, 64)
	return kb << 10
}
