package machine

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"

	"github.com/bpbench/bpbench/internal/results"
)

// readSystem fills memory, kernel and load average from /proc.
func readSystem(m *results.Machine) {
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemoryBytes = memTotal(b)
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		if r := strings.TrimSpace(string(b)); r != "" {
			m.Kernel = "Linux " + r
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.LoadAverage = loadAvg(b)
	}
}

// memTotal parses /proc/meminfo's MemTotal line (in kB); 0 if absent.
func memTotal(b []byte) int64 {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "MemTotal:" && f[2] == "kB" {
			if n, err := strconv.ParseInt(f[1], 10, 64); err == nil && n > 0 {
				return n << 10
			}
		}
	}
	return 0
}

// loadAvg parses the first three fields of /proc/loadavg; nil if malformed.
func loadAvg(b []byte) []float64 {
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return nil
	}
	out := make([]float64, 3)
	for i := range out {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil || v < 0 {
			return nil
		}
		out[i] = v
	}
	return out
}
