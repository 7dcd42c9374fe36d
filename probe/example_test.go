package probe_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"time"

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

// A program with a buffer of its own reports the two things bpbench
// cannot see from outside: a write its buffer refused (it was full — the
// program's own write() returning false) that it made anyway, and the time
// a producer waited for the buffer to drain. The first WriteAfterFalse
// records the line it was called from, so bpbench's gate and report can
// name it; later calls only count, without allocating. bpbench tune turns
// the drain waits into its pause figures.
func ExampleProbe_WriteAfterFalse() {
	p := probe.Start(context.Background())
	defer p.Stop(nil)

	const limit = 4 << 10
	var buffered []byte
	drained := make(chan struct{}, 1)
	produce := func(rec []byte, honour bool) {
		if len(buffered)+len(rec) > limit { // the buffer refuses this write
			if honour {
				start := time.Now()
				drained <- struct{}{} // (the consumer, for the example)
				<-drained
				buffered = buffered[:0]
				p.DrainWait(time.Since(start))
			} else {
				p.WriteAfterFalse(int64(len(rec))) // made anyway: say so
			}
		}
		buffered = append(buffered, rec...)
	}
	produce(make([]byte, 3<<10), true)
	produce(make([]byte, 3<<10), true)  // waits for drain
	produce(make([]byte, 3<<10), false) // ignores backpressure
	fmt.Println(len(buffered), "bytes buffered")
	// Output: 6144 bytes buffered
}
