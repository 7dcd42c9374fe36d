package probe

import _ "embed"

// NodePreload returns bpbench's probe for Node programs: loaded with
// node --require (the harness sets NODE_OPTIONS for commands it runs), it
// reports the V8 heap (process.memoryUsage) and the total writableLength and
// readableLength of the program's live streams in this package's line
// format, without the program changing. It also says where the program
// ignores backpressure: a write() made while the stream's
// writableNeedDrain is true, a push() made after push() returned false and
// before the stream asked for more, and a persistent 'drain' listener (on,
// addListener; not once) attached while one the program attached is still
// there, each counted with the first call site (the first stack frame
// outside Node's internals and the preload). It measures the drain waits
// too: the drain count and the time from a write() returning false to that
// stream's 'drain'. Its main thread publishes figures
// into shared memory from the patched write path, and a worker thread
// writes them to the pipe on time, so a loop that never yields is still
// sampled while it runs. Run by hand it does nothing. Each call returns a
// fresh copy of the script.
func NodePreload() []byte { return []byte(nodePreload) }

//go:embed node/preload.js
var nodePreload string
