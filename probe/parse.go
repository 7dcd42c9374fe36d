package probe

import (
	"bytes"
	"strconv"
	"strings"
)

// Report is one parsed line; absent numbers are -1 and absent call sites
// zero. Every figure is a plain field, for the harness to copy.
type Report struct {
	Final                                                                     bool // the "f" line
	Heap, Total, GC, Buf, PeakBuf, Writes, Falses, Drains, DrainWait, Written int64
	Bound, HWM                                                                int64
	Err                                                                       string

	// Backpressure ignored (see Stats). Go programs and the Node preload
	// report writes after false and extra drain listeners in every line
	// (0 when there were none); pushes after false come from the Node
	// preload alone (readables), so they are -1 for a Go program.
	WritesAfterFalse, BytesAfterFalse       int64    // waf, wafbytes
	FirstWriteAfterFalse                    CallSite // waffile, wafline, waffunc
	ExtraDrainListeners                     int64    // xdrain
	FirstExtraDrainListener                 CallSite // xdrainfile, xdrainline, xdrainfunc
	PushesAfterFalse, BytesPushedAfterFalse int64    // paf, pafbytes
	FirstPushAfterFalse                     CallSite // paffile, pafline, paffunc
}

// Parse reads one line of the protocol (without its newline); ok is false
// for a line that is not a report. Unknown keys, and values that do not
// fit their key, are ignored.
func Parse(line string) (r Report, ok bool) {
	pl := Report{Heap: -1, Total: -1, GC: -1, Buf: -1, PeakBuf: -1, Writes: -1, Falses: -1, Drains: -1, DrainWait: -1, Written: -1, Bound: -1, HWM: -1,
		WritesAfterFalse: -1, BytesAfterFalse: -1, ExtraDrainListeners: -1, PushesAfterFalse: -1, BytesPushedAfterFalse: -1}
	switch {
	case strings.HasPrefix(line, "s "), line == "s":
	case strings.HasPrefix(line, "f "), line == "f":
		pl.Final = true
	default:
		return pl, false
	}
	rest := line[1:]
	for {
		rest = strings.TrimLeft(rest, " ")
		if rest == "" {
			return pl, true
		}
		eq := strings.IndexByte(rest, '=')
		sp := strings.IndexByte(rest, ' ')
		if eq < 0 || (sp >= 0 && sp < eq) { // a word without a value
			if sp < 0 {
				return pl, true
			}
			rest = rest[sp:]
			continue
		}
		k := rest[:eq]
		rest = rest[eq+1:]
		var v string
		quoted := false
		if q, err := strconv.QuotedPrefix(rest); err == nil && q[0] == '"' {
			v, _ = strconv.Unquote(q)
			rest, quoted = rest[len(q):], true
		} else if k == "err" {
			// Before quoting was the rule, err's value ran to the end of
			// the line unquoted; an unreadable quote means the same.
			v, rest, quoted = rest, "", true
		} else {
			v, rest, _ = strings.Cut(rest, " ")
		}
		if quoted {
			switch k {
			case "err":
				pl.Err = v
			case "waffile":
				pl.FirstWriteAfterFalse.File = v
			case "waffunc":
				pl.FirstWriteAfterFalse.Function = v
			case "xdrainfile":
				pl.FirstExtraDrainListener.File = v
			case "xdrainfunc":
				pl.FirstExtraDrainListener.Function = v
			case "paffile":
				pl.FirstPushAfterFalse.File = v
			case "paffunc":
				pl.FirstPushAfterFalse.Function = v
			}
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
		case "waf":
			pl.WritesAfterFalse = n
		case "wafbytes":
			pl.BytesAfterFalse = n
		case "wafline":
			pl.FirstWriteAfterFalse.Line = int(n)
		case "xdrain":
			pl.ExtraDrainListeners = n
		case "xdrainline":
			pl.FirstExtraDrainListener.Line = int(n)
		case "paf":
			pl.PushesAfterFalse = n
		case "pafbytes":
			pl.BytesPushedAfterFalse = n
		case "pafline":
			pl.FirstPushAfterFalse.Line = int(n)
		}
	}
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
