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
// # The seed's writeChunks loop
//
// The Go way blocks on WaitDrain:
//
//	w, _ := streamcore.CreateFile("big-output.txt", streamcore.FileOptions{})
//	for i := 0; i < 1_000_000; i++ {
//		if !w.Write([]byte("line " + strconv.Itoa(i) + "\n")) {
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
// # Concurrency and ownership
//
// Every method is safe for concurrent use. Each stream runs at most one
// goroutine of its own, which calls the Sink or Source and the event
// listeners one at a time in Node's order, and exits when the stream closes.
// A chunk passed to Write belongs to the stream until its callback has run.
// Errors are sticky and the first one wins, as with bufio.Writer.
//
// # Differences from Node
//
// Go has no event loop, so "asynchronously" means "on the stream's
// goroutine", and the orders users can observe are kept: drain before the
// callback of the write that emptied the buffer; end callback, finish,
// close; error before close. OnceDrain and Drain fire at once if no drain is
// due, since the stream's goroutine may drain between a false return and the
// listener being attached. Opening a file reports its error from CreateFile
// or OpenFile instead of as an error event. The full list of behaviours,
// each with its test, is CONFORMANCE.md in the project's shared folder.
//
// # Observability
//
// Writable.Stats returns the buffered length now and at its peak, the
// number of writes and of writes that returned false, drains, and the total
// time producers waited for drain. The counters are updated under the lock
// Write takes anyway, so they cost nothing extra to keep on.
package streamcore
