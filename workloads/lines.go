package workloads

import (
	"context"
	"os"
	"strconv"
	"unsafe"

	"github.com/bpbench/bpbench/streamcore"
)

// appendLine appends "line i\n" to b. The producers reuse one buffer: Write
// copies what it is given (streamcore's byte path), so a line need not
// outlive the call, and no memory is spent per line.
func appendLine(b []byte, i int) []byte {
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
		run:      runLineWriter,
	}
}

func tightLoop5M() *Workload {
	return &Workload{
		Name:  "tight-loop-5m",
		Bench: "TightLoop5M",
		Seed:  "ignore-backpressure.js: 5,000,000 writes to /dev/null in a for loop, under --max-old-space-size=128",
		Model: "Node's event loop: the stream is Cooperative, so its sink (/dev/null, one write per batch) runs only while the producer waits, " +
			"and each line is a new string the stream keeps by reference until the sink takes it, as a template literal is in Node. " +
			"The drain-aware loop yields at every false and the sink empties the buffer; the naive loop never yields, so nothing drains " +
			"and every line stays buffered until the cap",
		Variants: []Variant{Drain, Naive},
		Uses:     []string{PLines, PHWM, PSink},
		Defaults: Params{Lines: 5_000_000, HWM: streamcore.HWM(streamcore.DefaultHighWaterMark), Sink: "null"},
		run:      runTightLoop,
	}
}

// runLineWriter is the run function of the million-line writer: the sink,
// then writeLines (or the drain-on mistake).
func runLineWriter(ctx context.Context, env *Env) error {
	w, err := openLineSink(env.Params)
	if err != nil {
		return err
	}
	if env.Variant == DrainOn {
		return writeLinesOnDrain(ctx, env, w)
	}
	return writeLines(ctx, env, w)
}

// openLineSink opens the million-line writer's sink: a file, or for "null"
// /dev/null.
func openLineSink(p Params) (*streamcore.Writable[[]byte], error) {
	return streamcore.CreateFile(sinkPath(p), streamcore.FileOptions{HighWaterMark: p.HWM})
}

func sinkPath(p Params) string {
	if p.Sink == "null" {
		return os.DevNull
	}
	return p.Sink
}

// runTightLoop is the backpressure guide's ignore-backpressure.js in Go: a new string
// per line (the template literal), written to a Cooperative stream over a
// file (Node's event loop: the sink runs only while the producer waits).
// The drain variant waits whenever Write returns false; the naive one is
// the backpressure guide's for loop.
func runTightLoop(ctx context.Context, env *Env) error {
	f, err := os.OpenFile(sinkPath(env.Params), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := streamcore.NewWritable[string](&stringFileSink{f: f}, streamcore.WritableOptions{HighWaterMark: env.Params.HWM, Cooperative: true})
	if err != nil {
		return err
	}
	env.track(w.Stats)
	var lines lineArena
	for i := 0; i < env.Params.Lines; i++ {
		if !w.Write(lines.next(i)) && env.Variant == Drain {
			if err := w.WaitDrain(ctx); err != nil {
				w.Destroy(err)
				return err
			}
			lines.reuse() // drained: the sink has returned from every line written
		}
		if i&0xffff == 0 && ctx.Err() != nil {
			w.Destroy(ctx.Err())
			return ctx.Err()
		}
	}
	return w.Close()
}

// lineArena makes the tight loop's strings: each "line i\n" is a string of
// its own, which the stream keeps by reference until the sink takes it (as
// Node keeps a template literal), but the strings are carved from 64KiB
// blocks, as a program formatting into a buffer would, rather than each
// allocated apart. A drain-aware producer reuses the blocks once the stream
// has drained (no string in them is referenced any more), so it makes no
// garbage; a naive one never drains, so it holds every line, and its
// string header in the queue, until the cap.
type lineArena struct {
	block []byte   // the block being filled
	full  [][]byte // blocks filled since the last reuse
}

func (a *lineArena) next(i int) string {
	if cap(a.block)-len(a.block) < 32 {
		if a.block != nil {
			a.full = append(a.full, a.block)
		}
		a.block = nil
		if n := len(a.full); n > 0 && len(a.full[0]) == 0 {
			a.block, a.full = a.full[0], a.full[1:] // a reused block
		} else {
			a.block = make([]byte, 0, 64<<10)
		}
	}
	start := len(a.block)
	a.block = appendLine(a.block, i)
	b := a.block[start:]
	return unsafe.String(&b[0], len(b)) // not written again until reuse
}

// reuse makes every block writable again; call it only when no string from
// them is referenced (the stream has drained).
func (a *lineArena) reuse() {
	blocks := append(a.full, a.block)
	a.full = a.full[:0]
	for _, b := range blocks {
		if b != nil {
			a.full = append(a.full, b[:0])
		}
	}
	a.block = nil
}

// stringFileSink writes string chunks to a file, a batch in one write.
type stringFileSink struct {
	f   *os.File
	buf []byte
}

func (s *stringFileSink) Write(_ context.Context, c string) error {
	_, err := s.f.WriteString(c)
	return err
}

func (s *stringFileSink) WriteBatch(_ context.Context, cs []string) error {
	b := s.buf[:0]
	for _, c := range cs {
		b = append(b, c...)
	}
	s.buf = b
	_, err := s.f.Write(b)
	return err
}

// writeLines writes Params.Lines lines to w. The drain variant is the
// backpressure guide's writeChunks: write while Write returns true, then
// wait for drain. The naive variant is the guide's for loop. Both end the
// stream and wait until everything reached the sink and the file is closed.
func writeLines(ctx context.Context, env *Env, w *streamcore.Writable[[]byte]) error {
	env.track(w.Stats)
	n := env.Params.Lines
	var buf []byte
	for i := 0; i < n; i++ {
		buf = appendLine(buf[:0], i)
		if !w.Write(buf) && env.Variant == Drain {
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

// writeLinesOnDrain is the backpressure guide's writeChunks with the mistake its last rule
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
	var buf []byte
	var next func()
	next = func() {
		ok := true
		for i < n && ok {
			buf = appendLine(buf[:0], i)
			ok = w.Write(buf)
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
