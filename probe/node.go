package probe

import _ "embed"

// NodePreload returns bpbench's probe for Node programs: loaded with
// node --require (the harness sets NODE_OPTIONS for commands it runs), it
// reports the V8 heap (process.memoryUsage) and the total writableLength and
// readableLength of the program's live streams in this package's line
// format, without the program changing. Its main thread publishes figures
// into shared memory from the patched write path, and a worker thread
// writes them to the pipe on time, so a loop that never yields is still
// sampled while it runs. Run by hand it does nothing. Each call returns a
// fresh copy of the script.
func NodePreload() []byte { return []byte(nodePreload) }

//go:embed node/preload.js
var nodePreload string
