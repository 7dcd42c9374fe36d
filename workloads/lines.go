package workloads

import (
	"context"
	"os"
	"strconv"

	"github.com/bpbench/bpbench/streamcore"
)

// line returns a fresh "line i\n" chunk: one allocation, as a new string per
// line is in the seeds' Node scripts.
func line(i int) []byte {
	b := make([]byte, 0, 16)
	b = append(b, "line "...)
	b = strconv.AppendInt(b, int64(i), 10)
	return append(b, '\n')
}

func millionLineWriter() *Workload {
	return &Workload{
		Name:     "million-line-writer",
		Bench:    "MillionLineWriter",
		Seed:     "write-with-backpressure.js: 1,000,000 lines `line i` to big-output.txt, waiting for drain",
		Model:    "a file on local disk; the stream hands batches to the file as one write (Node's writev), so the sink is usually faster than a drain-aware producer, and a naive producer outruns it only by the write calls in flight",
		Variants: []Variant{Drain, Naive, DrainOn},
		Uses:     []string{PLines, PHWM, PSink},
		Defaults: Params{Lines: 1_000_000, HWM: streamcore.HWM(streamcore.DefaultHighWaterMark), Sink: "big-output.txt"},
		run:      lineWriter(false),
	}
}

func tightLoop5M() *Workload {
	return &Workload{
		Name:  "tight-loop-5m",
		Bench: "TightLoop5M",
		Seed:  "ignore-backpressure.js: 5,000,000 writes to /dev/null in a for loop, under --max-old-space-size=128",
		Model: "/dev/null with one write system call per chunk (no writev): about a microsecond per line against tens of nanoseconds to produce one, " +
			"so a producer that ignores false queues nearly every line. In Node the loop also starves the event loop so nothing drains until it ends; " +
			"in Go the sink's goroutine runs in parallel, and the per-chunk system call is what keeps it slower than the producer",
		Variants: []Variant{Drain, Naive},
		Uses:     []string{PLines, PHWM, PSink},
		Defaults: Params{Lines: 5_000_000, HWM: streamcore.HWM(streamcore.DefaultHighWaterMark), Sink: "null"},
		run:      lineWriter(true),
	}
}

// lineWriter is the run function of the line-writing workloads: the sink,
// then writeLines.
func lineWriter(unbatched bool) func(context.Context, *Env) error {
	return func(ctx context.Context, env *Env) error {
		w, err := openLineSink(env.Params, unbatched)
		if err != nil {
			return err
		}
		if env.Variant == DrainOn {
			return writeLinesOnDrain(ctx, env, w)
		}
		return writeLines(ctx, env, w)
	}
}

// openLineSink opens the line writers' sink: a file, or for "null"
// /dev/null, optionally with one system call per chunk.
func openLineSink(p Params, unbatched bool) (*streamcore.Writable[[]byte], error) {
	path := p.Sink
	if path == "null" {
		path = os.DevNull
	}
	return streamcore.CreateFile(path, streamcore.FileOptions{HighWaterMark: p.HWM, Unbatched: unbatched})
}

// writeLines writes Params.Lines lines to w. The drain variant is the
// seed's writeChunks: write while Write returns true, then wait for drain.
// The naive variant is the seed's for loop. Both end the stream and wait
// until everything reached the sink and the file is closed.
func writeLines(ctx context.Context, env *Env, w *streamcore.Writable[[]byte]) error {
	env.track(w.Stats)
	n := env.Params.Lines
	for i := 0; i < n; i++ {
		if !w.Write(line(i)) && env.Variant == Drain {
			if err := w.WaitDrain(ctx); err != nil {
				w.Destroy(err)
				return err
			}
		}
		if i&0xffff == 0 && ctx.Err() != nil {
			w.Destroy(ctx.Err())
			return ctx.Err()
		}
	}
	return w.Close()
}

// writeLinesOnDrain is the seed's writeChunks with the mistake its last rule
// warns about ("attach drain with once, not on"): at every stall it attaches
// a persistent drain listener (Writable.OnDrain, Node's on('drain')). The
// listeners pile up, one more per stall, and every drain calls each of them,
// so each re-enters the write loop: the first writes until false, the
// others write one line past the highWaterMark each and attach one more
// listener. Their number doubles at every drain until the lines run out,
// and so does what is buffered beyond the highWaterMark.
//
// As in Node, the loop runs on the stream's own goroutine (its event loop):
// the first call is posted with OnceDrain, which runs it at once since no
// drain is due, and later calls are drain listeners. So no drain can come
// between a false Write and the listener being attached.
func writeLinesOnDrain(ctx context.Context, env *Env, w *streamcore.Writable[[]byte]) error {
	env.track(w.Stats)
	n := env.Params.Lines
	i := 0
	var next func()
	next = func() {
		ok := true
		for i < n && ok {
			ok = w.Write(line(i))
			i++
		}
		if i < n {
			w.OnDrain(next) // the mistake: on, not once
			return
		}
		w.End(nil)
	}
	w.OnceDrain(next)
	select {
	case <-w.Done():
		return w.Err()
	case <-ctx.Done():
		w.Destroy(ctx.Err())
		<-w.Done()
		return ctx.Err()
	}
}
