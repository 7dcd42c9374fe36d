// Package probe is the wire format between a program and the bpbench
// harness that runs it: a program that starts a probe reports its Go heap,
// GC cycles and stream statistics (buffered bytes, false returns, drains,
// drain wait, bytes written) to the harness over an inherited pipe, so that
// bpbench can plot and gate more than RSS. Run by hand, a probe does
// nothing and costs nothing.
//
// Any Go program can speak it: call Start, tell the Probe where the
// program's buffers are (Track for stream statistics, Buffered for a
// bufio.Writer's Buffered, a channel's length, anything), and call Stop with
// the program's result before it exits. Node programs need nothing: the
// harness injects NodePreload(), which speaks the same protocol. One report
// costs a few microseconds (BenchmarkReport): at the default 5ms interval,
// well under 1% of a core.
//
// # The protocol
//
// The harness passes the write end of a pipe as a file descriptor named by
// the environment variable BPBENCH_PROBE_FD (3) and the reporting interval
// in BPBENCH_PROBE_INTERVAL (a time.Duration, e.g. 5ms). The program writes
// one line per interval and a final line when it stops:
//
//	line    = kind { " " key "=" int } [ " err=" quoted ] "\n"
//	kind    = "s"   (a sample)  |  "f"   (the final report)
//	key     = "heap" | "total" | "gc" | "buf" | "peakbuf" | "writes" | "false"
//	        | "drains" | "drainwait" | "written" | "bound" | "hwm"
//
// heap is /memory/classes/heap/objects:bytes, total /memory/classes/total:bytes
// and gc /gc/cycles/total:gc-cycles (runtime/metrics); buf, peakbuf, writes,
// false, drains and drainwait (nanoseconds) are Stats; written is the bytes
// the streams accepted and bound the most they may hold by backpressure's
// promise (the sum over the streams of highWaterMark plus the largest
// chunk), both reported only when known; hwm, in the final line only, is the
// process's own peak RSS (VmHWM) in bytes, and err the error it stopped
// with, quoted as by strconv.Quote. Readers ignore unknown keys, so the
// protocol can grow. Lines are shorter than PIPE_BUF, so each is written
// atomically; the harness timestamps them as they arrive (the two
// processes share no clock).
package probe
