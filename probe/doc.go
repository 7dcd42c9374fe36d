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
// the program's result before it exits. A program with a buffer of its own
// also reports where it ignores backpressure and how long it waits for
// drain: WriteAfterFalse for a write its buffer refused and that it made
// anyway (the first call records the caller's file, line and function),
// DrainWait for each wait. Node programs need nothing: the harness injects
// NodePreload(), which speaks the same protocol. One report costs a few
// microseconds (BenchmarkReport): at the default 5ms interval, well under
// 1% of a core.
//
// # The protocol
//
// The harness passes the write end of a pipe as a file descriptor named by
// the environment variable BPBENCH_PROBE_FD (3) and the reporting interval
// in BPBENCH_PROBE_INTERVAL (a time.Duration, e.g. 5ms). The program writes
// one line per interval and a final line when it stops:
//
//	line    = kind { " " key "=" value } "\n"
//	kind    = "s"   (a sample)  |  "f"   (the final report)
//	value   = int | quoted
//	int     = [ "-" ] digit { digit }
//	quoted  = a Go double-quoted string as strconv.Quote writes it
//	int keys:    heap total gc buf peakbuf writes false drains drainwait
//	             written bound hwm waf wafbytes wafline xdrain xdrainline
//	             paf pafbytes pafline
//	quoted keys: waffile waffunc xdrainfile xdrainfunc paffile paffunc err
//
// heap is /memory/classes/heap/objects:bytes, total /memory/classes/total:bytes
// and gc /gc/cycles/total:gc-cycles (runtime/metrics); buf, peakbuf, writes,
// false, drains and drainwait (nanoseconds) are Stats; written is the bytes
// the streams accepted and bound the most they may hold by backpressure's
// promise (the sum over the streams of highWaterMark plus the largest
// chunk), both reported only when known; hwm, in the final line only, is the
// process's own peak RSS (VmHWM) in bytes, and err the error it stopped
// with.
//
// The rest say where backpressure was ignored. waf counts writes made while
// their stream owed a drain (write() had returned false and 'drain' had not
// fired) and wafbytes the bytes (or objects) they added; xdrain counts
// persistent drain listeners attached while an earlier one was still
// attached (on('drain') at every stall instead of once); paf and pafbytes
// (Node readables only) count push() calls made after push() returned false
// and before the stream asked for more. Each count that is not 0 comes with
// the first call site: PREFIXfile, PREFIXline and PREFIXfunc, the source
// file as the compiler or Node recorded it (a path, or a file: URL for an
// ES module), the line in it, and the function. Go programs and the Node
// preload write waf, wafbytes and xdrain in every line, 0 when there were
// none; a reader treats an absent count as unknown.
//
// A quoted value holds no raw space, quote or newline, so nothing a
// program puts in a path, a function name or an error can end the value,
// add a key or end the line. A file keeps its end and a function or error
// its start, cut with "…" to bound the line below PIPE_BUF (4096 bytes),
// so each line is written atomically. Readers ignore unknown keys and
// values that do not fit their key, so the protocol can grow; lines from
// before the quoted keys (and an unquoted err running to the end of the
// line) still parse. The harness timestamps lines as they arrive (the two
// processes share no clock).
package probe
