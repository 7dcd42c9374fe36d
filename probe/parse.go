package probe

import (
	"bytes"
	"strconv"
	"strings"
)

// Report is one parsed line; absent values are -1.
type Report struct {
	Final                                                                     bool // the "f" line
	Heap, Total, GC, Buf, PeakBuf, Writes, Falses, Drains, DrainWait, Written int64
	Bound, HWM                                                                int64
	Err                                                                       string
}

// Parse reads one line of the protocol (without its newline); ok is false
// for a line that is not a report.
func Parse(line string) (r Report, ok bool) {
	pl := Report{Heap: -1, Total: -1, GC: -1, Buf: -1, PeakBuf: -1, Writes: -1, Falses: -1, Drains: -1, DrainWait: -1, Written: -1, Bound: -1, HWM: -1}
	switch {
	case strings.HasPrefix(line, "s "):
	case strings.HasPrefix(line, "f "), line == "f":
		pl.Final = true
	default:
		return pl, false
	}
	rest := strings.TrimPrefix(line[1:], " ")
	if before, after, ok := strings.Cut(rest, " err="); ok || strings.HasPrefix(rest, "err=") {
		if !ok {
			before, after = "", strings.TrimPrefix(rest, "err=")
		}
		rest = before
		if msg, err := strconv.Unquote(after); err == nil {
			pl.Err = msg
		} else {
			pl.Err = after
		}
	}
	for _, f := range strings.Fields(rest) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "heap":
			pl.Heap = n
		case "total":
			pl.Total = n
		case "gc":
			pl.GC = n
		case "buf":
			pl.Buf = n
		case "peakbuf":
			pl.PeakBuf = n
		case "writes":
			pl.Writes = n
		case "false":
			pl.Falses = n
		case "drains":
			pl.Drains = n
		case "drainwait":
			pl.DrainWait = n
		case "written":
			pl.Written = n
		case "bound":
			pl.Bound = n
		case "hwm":
			pl.HWM = n
		}
	}
	return pl, true
}

// VmHWM finds "VmHWM:   1234 kB" (a process's peak RSS) in the text of a
// Linux /proc/PID/status and returns it in bytes, or 0.
func VmHWM(status []byte) int64 {
	i := bytes.Index(status, []byte("\nVmHWM:"))
	if i < 0 {
		return 0
	}
	line := status[i+len("\nVmHWM:"):]
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
