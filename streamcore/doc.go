// Package streamcore is a streams library for Go with the flow-control
// semantics of Node.js streams: Writable, Readable, Transform, Pipe and
// Pipeline, file, discard, throttled and gzip stages, and always-on
// counters for observing backpressure.
//
// # Backpressure in one paragraph
//
// A Writable buffers what is written to it until its Sink takes it. Write
// always accepts the chunk and returns false once the buffered length
// (queued plus in flight) reaches the highWaterMark: "slow down". A producer
// that honours it waits for drain, which comes when the buffer is empty
// again. One that ignores it makes the buffer, and the process, grow
// without bound when the sink is slower than the producer. The sink runs on
// a goroutine the stream owns, so this happens in Go exactly as in Node.
//
// # The backpressure guide's writeChunks loop
//
// The Go way blocks on WaitDrain. Write copies the line, so one buffer
// serves every line and nothing is allocated per write:
//
//	w, _ := streamcore.CreateFile("big-output.txt", streamcore.FileOptions{})
//	var line []byte
//	for i := 0; i < 1_000_000; i++ {
//		line = strconv.AppendInt(append(line[:0], "line "...), int64(i), 10)
//		if !w.Write(append(line, '\n')) {
//			if err := w.WaitDrain(ctx); err != nil {
//				return err
//			}
//		}
//	}
//	return w.Close() // End, then wait for finish and close
//
// The Node way, write until false then once('drain', next), works too:
// OnceDrain(next). See the examples.
//
// # pipeline(read, gzip, write)
//
//	src, _ := streamcore.OpenFile("huge.log", streamcore.FileOptions{})
//	gz, _ := streamcore.NewGzip(gzip.DefaultCompression, streamcore.TransformOptions[[]byte]{})
//	dst, _ := streamcore.CreateFile("huge.log.gz", streamcore.FileOptions{})
//	err := streamcore.Pipeline(ctx, src, gz, dst)
//
// Pipeline applies backpressure between every pair of stages, destroys
// every stream (closing files) when one fails or ctx is cancelled, and
// returns the first error once everything has closed. Prefer it to a bare
// Pipe, which, as in Node, does not clean up after errors.
//
// # Modes and options
//
// Byte mode (chunk type []byte or string) counts bytes against a default
// highWaterMark of 64 KiB; ObjectMode counts chunks, default 16, with any
// chunk type. Options are plain structs whose zero value is the default;
// HighWaterMark is a *int so that HWM(0), an explicit zero, differs from
// nil, the default. Negative marks are rejected by the constructors.
//
// # The byte path and when bytes reach the sink
//
// A Writable[[]byte] in byte mode (CreateFile, or NewWritable with a
// []byte sink) copies each write into 64 KiB slabs it owns and reuses once
// the sink has returned from them (the oldest first, once four are free,
// so that the producer does not write into memory the sink has just read
// on another processor: a stream keeps up to about 400 KiB of slabs), and
// its producer takes no lock for most writes: it appends to its slab and
// hands what it wrote to the stream's goroutine in batches. BenchmarkMillionLineWriter compares the backpressure
// guide's million-line writer with a bufio.Writer loop writing the same
// lines, with the same backpressure: Write returns false exactly when the
// buffered length reaches the highWaterMark, drain comes when it is empty
// again, and a producer that ignores false still grows the buffer without
// bound.
//
// The rule for when bytes reach the sink: a write that finds the stream
// idle is handed over at once; while the sink is busy with earlier writes,
// or after a write that found it idle less than 50µs after the previous
// such write (a producer writing that fast), writes are collected and
// handed over when the batch is full (hwm/2, at most 32 KiB), when a write
// returns false, and at Flush, Uncork, End and Close. A producer that
// writes a little and then stops without ending the stream should call
// Flush, as with bufio.Writer. Length and Stats count what has been handed
// over. Sinks that implement ByteStreamSink (files, Discard) get a batch's
// bytes joined in one chunk; others get each write as its own chunk, in
// order.
//
// A producer that streams (the sink has taken at least half a batch since
// the stream's goroutine last slept) finds that goroutine spinning for the
// next batch rather than asleep, so that a handover costs an atomic store
// instead of waking a thread (which
// the Go scheduler on Linux can delay by some 55µs, long enough for the
// producer to reach the highWaterMark and wait). The spin is bounded (at
// most 100µs after each batch, on at most half the processors, never with
// GOMAXPROCS 1), but while such a producer writes, the stream keeps a
// second processor busy. See handoff.go.
//
// # Concurrency and ownership
//
// Each stream runs at most one goroutine of its own, which calls the Sink
// or Source and the event listeners one at a time in Node's order, and
// exits when the stream closes.
//
// A Writable's producer methods, Write, WriteString, PutByte, WriteCB,
// Flush, Uncork, End, EndWith and Close, must be called by one goroutine
// at a time, like bufio.Writer's (a listener that writes on the stream's
// goroutine counts as the producer while it runs: the events order it).
// Pipes serialise their own writes, so several sources may pipe into one
// destination. Every other method (Destroy, WaitDrain, Drain, OnceDrain,
// the On* listeners, Length, Stats, ...) and every Readable method is safe
// for concurrent use.
//
// Write on a Writable[[]byte] copies the chunk: the caller may reuse it
// when Write returns. On other Writables a chunk belongs to the stream
// until its callback has run. A Sink must not keep a []byte chunk after it
// returns (io.Writer's rule). Errors are sticky and the first one wins, as
// with bufio.Writer.
//
// A chunk a Readable hands out belongs to whoever receives it. OpenFile's
// source and NewGzip's output reuse a chunk's buffer in one case only (B5):
// the chunk was piped to a single destination, no other data listener saw
// it, the destination is a byte-mode Writable[[]byte] (whose sink keeps
// nothing, by the rule above) or a gzip or gunzip transform (which copy
// their input), and the destination's write of the chunk has called back.
// Read, Next or Unshift on such a Readable ends the reuse for good. A file
// piped through gzip into a file therefore reads and compresses into a few
// buffers instead of allocating every chunk.
//
// # Differences from Node
//
// Go has no event loop, so "asynchronously" means "on the stream's
// goroutine", and the orders users can observe are kept: drain before the
// callback of the write that emptied the buffer; end callback, finish,
// close; error before close. The behaviours and their tests are listed in
// CONFORMANCE.md beside this file. Where streamcore differs, and why:
//
//   - OnceDrain and Drain fire at once if no drain is due, since the
//     stream's goroutine may drain between a false return and the listener
//     being attached; in Node both run on one thread. OnDrain, a persistent
//     listener, does not: attach it from the stream's goroutine (in a
//     listener) to be sure to see the next drain.
//   - The byte path holds writes made while the sink is busy until the
//     batch fills, a write returns false, or Flush, Uncork or End (B2). Node
//     hands every write to the sink's queue at once; a producer writing as
//     fast as Go allows could not afford a lock per write.
//   - Write on a Writable[[]byte] copies the chunk (B1); Node keeps a
//     reference to the Buffer. The copy is what lets a producer reuse one
//     buffer for every line; a Transform's writable side and pipes keep
//     references, since their chunks already belong to the streams.
//   - Writable's producer methods are for one goroutine at a time (B4); in
//     Node there is only one.
//   - OnData and Resume start the flow at once, on the stream's goroutine;
//     Node starts it on the next tick, so consumers attached in the same
//     synchronous block all see the first chunk. Attach every consumer
//     (Pipe, OnData, OnEnd) before the one that starts the flow; a Pipe
//     from a source that has already ended ends its destination (P8).
//   - Opening a file reports its error from CreateFile or OpenFile instead
//     of as an error event.
//   - Only OnData, OnReadable and OnDrain return a function that removes
//     the listener (R11). end, finish, error and close fire at most once,
//     after which a stream is done; a listener that must stop caring
//     earlier can check a flag of its own.
//   - A Readable with a readable listener stays paused on Resume (R10);
//     Node emits resume and stays paused. Read's byte joining follows
//     Node's read(), but a paused-mode Read does not run the Source
//     synchronously to satisfy itself: it returns what is buffered.
//
// # Observability
//
// Writable.Stats returns the buffered length now and at its peak, the
// number of writes and of writes that returned false, drains, the total
// time producers waited for drain, and the drain listeners attached. The
// counters are updated when writes are handed over (under the lock that
// takes anyway), so they cost nothing extra to keep on; the peak is
// sampled there and is exact at every false return.
//
// Stats also names the cause when memory grows: writes made while the
// stream owed a drain (WritesAfterFalse, BytesAfterFalse) and drain
// listeners attached with OnDrain while one was already attached
// (ExtraDrainListeners), each with the CallSite of the first one, the
// program's line that ignored backpressure. A producer that waits for
// drain, Pipe and Pipeline make none. The call site is taken once per
// stream, and writes that honour backpressure pay nothing for it.
package streamcore
