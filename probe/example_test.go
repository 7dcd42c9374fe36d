package probe_test

import (
	"bufio"
	"context"
	"fmt"
	"os"

	"github.com/bpbench/bpbench/probe"
)

// A program of your own speaks the probe in a few lines: start it, tell it
// where your buffers are, stop it with the result. Run by hand it does
// nothing; run by bpbench (bpbench run --cmd './yourprogram') it reports
// the Go heap and these buffers every interval, so that bpbench can plot
// and gate them, not RSS alone.
func Example() {
	ctx := context.Background()
	p := probe.Start(ctx) // nil, and free, when bpbench did not start us
	defer p.Stop(nil)

	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	queue := make(chan []byte, 128)
	p.Buffered(func() int64 { return int64(out.Buffered()) })
	p.Buffered(func() int64 { return int64(len(queue)) * 1024 })

	for i := 0; i < 3; i++ {
		fmt.Fprintf(out, "line %d\n", i)
	}
	out.Flush()
	// Output:
	// line 0
	// line 1
	// line 2
}
