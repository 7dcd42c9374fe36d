package streamcore_test

// The byte path of a Writable[[]byte] (CONFORMANCE.md, items B1-B4): Go
// rules with no Node counterpart, since Node hands Buffers by reference
// and runs producer and sink on one thread.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bpbench/bpbench/streamcore"
)

// B1: Write copies the chunk, so the caller may reuse it at once; a
// Transform's writable side keeps chunks by reference (its function may
// push them on).
func TestBytePath_B1_WriteCopies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newCtSink[[]byte](nil, false)
		w := ctNewW(t, g, -1)
		buf := []byte("first")
		w.Write(buf)
		copy(buf, "XXXXX")
		w.Write(buf)
		w.End(nil)
		<-w.Done()
		var got []string
		for _, c := range g.received() {
			got = append(got, string(c))
		}
		if strings.Join(got, ",") != "first,XXXXX" {
			t.Fatalf("sink got %q, want the chunks as they were when written", got)
		}

		tr := ctIdentity(t, nil, streamcore.TransformOptions[[]byte]{})
		in := []byte("kept")
		tr.Writable.Write(in)
		out, err := tr.Readable.Next(context.Background())
		if err != nil || &out[0] != &in[0] {
			t.Fatalf("transform output %q (%v): want the written slice itself", out, err)
		}
	})
}

// B2: when bytes reach the sink. A write that finds the stream idle goes at
// once; once the sink is busy, writes are collected and handed over in
// batches: when the batch is full, at Flush, when one returns false (so
// false and drain stay exact), and at End.
func TestBytePath_B2_WhenBytesReachTheSink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newCtSink[[]byte](nil, true)
		w := ctNewW(t, g, -1)
		w.Write(ctB("a"))
		a := g.expect(t, "write:a") // idle: at once
		w.Write(ctB("b"))           // the sink is busy now: b is queued, and the batch starts
		w.Write(ctB("c"))
		w.Write(ctB("d"))
		a.reply <- nil
		g.expect(t, "write:b").reply <- nil
		synctest.Wait()
		g.none(t) // c and d wait in the producer's batch
		if w.Length() != 0 {
			t.Fatalf("length %d: writes still in the batch are not counted yet", w.Length())
		}
		w.Flush()
		g.expect(t, "batch:c,d").reply <- nil

		// A write that returns false hands everything over first.
		w.Write(ctB("d"))
		d := g.expect(t, "write:d")
		synctest.Wait()
		chunk := bytes.Repeat([]byte{'x'}, 1000)
		n := 1
		for w.Write(chunk) {
			n += len(chunk)
		}
		n += len(chunk)
		if w.Length() != int64(n) || !w.NeedDrain() {
			t.Fatalf("after false: length %d, need drain %v; want %d, true", w.Length(), w.NeedDrain(), n)
		}
		d.reply <- nil
		drained := make(chan struct{})
		w.OnceDrain(func() { close(drained) })
		ctAnswerUntil(t, drained, g)

		w.Write(ctB("e"))
		e := g.expect(t, "write:e")
		w.Write(ctB("f"))
		w.Write(ctB("g")) // in the batch
		w.End(nil)        // End hands it over
		e.reply <- nil
		g.expect(t, "batch:f,g").reply <- nil
		ctAnswerUntil(t, w.Done(), g)
	})
}

// B2's batch gap: a write that finds the stream idle is handed over at
// once, but when the previous such write was less than 50µs before, the
// producer is writing faster than handing over each write is worth: the
// writes after it are collected into the batch. Time stands still in the
// bubble until the test sleeps.
func TestBytePath_B2_BatchGap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newCtSink[[]byte](nil, true)
		w := ctNewW(t, g, -1)
		// A slow producer: each write finds the stream idle, long after
		// the last, and goes at once.
		for _, s := range []string{"a", "b", "c"} {
			w.Write(ctB(s))
			g.expect(t, "write:"+s).reply <- nil
			synctest.Wait()
			time.Sleep(time.Millisecond)
		}
		// d goes at once too; e finds the stream idle right after d went,
		// so it goes, and the writes after it are collected.
		w.Write(ctB("d"))
		g.expect(t, "write:d").reply <- nil
		synctest.Wait()
		w.Write(ctB("e"))
		g.expect(t, "write:e").reply <- nil
		synctest.Wait()
		w.Write(ctB("f"))
		w.Write(ctB("g"))
		synctest.Wait()
		g.none(t)
		w.Flush()
		g.expect(t, "batch:f,g").reply <- nil
		w.End(nil)
		ctAnswerUntil(t, w.Done(), g)
	})
}

// B2's batch size: while the sink is busy, the producer hands its writes
// over once they reach half the highWaterMark, at most 32 KiB; less stays
// in the producer's batch until Flush, a false return or End.
func TestBytePath_B2_BatchSize(t *testing.T) {
	for _, tc := range []struct{ hwm, batch int }{{16 << 10, 8 << 10}, {64 << 10, 32 << 10}, {1 << 20, 32 << 10}} {
		t.Run(fmt.Sprintf("hwm=%d", tc.hwm), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := newCtSink[[]byte](nil, true)
				w := ctNewW(t, g, tc.hwm)
				w.Write(ctB("a"))
				a := g.expect(t, "write:a") // idle: at once
				w.Write(ctB("b"))           // queued; the producer's batch starts after it
				a.reply <- nil
				g.expect(t, "write:b").reply <- nil
				chunk := bytes.Repeat([]byte{'x'}, 1<<10)
				for range tc.batch/len(chunk) - 1 {
					if !w.Write(chunk) {
						t.Fatal("false below the highWaterMark")
					}
				}
				synctest.Wait()
				g.none(t) // one KiB short of a full batch: held
				w.Write(chunk)
				c := g.next(t)
				n := 0
				for _, ch := range c.chunks {
					n += len(ch)
				}
				if n != tc.batch {
					t.Fatalf("handed over %d bytes at a full batch; want %d", n, tc.batch)
				}
				c.reply <- nil
				w.End(nil)
				ctAnswerUntil(t, w.Done(), g)
			})
		})
	}
}

// B3: WriteString copies a string into a Writable[[]byte] without
// converting it first, is Write on a Writable[string], and fails like a
// bad chunk on a stream of any other type.
func TestBytePath_B3_WriteString(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newCtSink[[]byte](nil, false)
		w := ctNewW(t, g, -1)
		w.WriteString("hello")
		w.Close()
		if got := g.received(); len(got) != 1 || string(got[0]) != "hello" {
			t.Fatalf("sink got %q", got)
		}

		gs := newCtSink[string](nil, false)
		ws, _ := streamcore.NewWritable[string](gs, streamcore.WritableOptions{})
		ws.WriteString("as is")
		ws.Close()
		if got := gs.received(); len(got) != 1 || got[0] != "as is" {
			t.Fatalf("string sink got %q", got)
		}

		wo, _ := streamcore.NewWritable[int](streamcore.Discard[int]{}, streamcore.WritableOptions{ObjectMode: true})
		if wo.WriteString("x") {
			t.Fatal("WriteString on a stream of int returned true")
		}
		<-wo.Done()
		if wo.Err() == nil {
			t.Fatal("WriteString on a stream of int: no error")
		}
	})
}

// B3: PutByte(c) is WriteString of the one-byte string c, on every path:
// its own chunk on a sink that keeps boundaries, the fast path on one that
// joins them, Write on a Writable[string], a failure on other chunk types
// and after End.
func TestBytePath_B3_PutByte(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newCtSink[[]byte](nil, false)
		w := ctNewW(t, g, -1)
		w.WriteString("hello")
		w.PutByte('\n')
		w.PutByte(0xff)
		w.Close()
		if got := g.received(); len(got) != 3 || string(got[0]) != "hello" || string(got[1]) != "\n" || string(got[2]) != "\xff" {
			t.Fatalf("sink got %q", got)
		}

		gs := newCtSink[string](nil, false)
		ws, _ := streamcore.NewWritable[string](gs, streamcore.WritableOptions{})
		ws.PutByte(0xff)
		ws.Close()
		if got := gs.received(); len(got) != 1 || got[0] != "\xff" {
			t.Fatalf("string sink got %q", got)
		}

		wo, _ := streamcore.NewWritable[int](streamcore.Discard[int]{}, streamcore.WritableOptions{ObjectMode: true})
		if wo.PutByte('x') {
			t.Fatal("PutByte on a stream of int returned true")
		}
		<-wo.Done()
		if wo.Err() == nil {
			t.Fatal("PutByte on a stream of int: no error")
		}

		we := ctNewW(t, streamcore.Discard[[]byte]{}, -1)
		we.End(nil)
		if we.PutByte('x') {
			t.Fatal("PutByte after End returned true")
		}
		<-we.Done()
		if !errors.Is(we.Err(), streamcore.ErrWriteAfterEnd) {
			t.Fatalf("PutByte after End: error %v, want ErrWriteAfterEnd", we.Err())
		}
	})
}

// B3: lines written as WriteString, Write and PutByte into a sink that
// joins chunks (most of them by the fast path) arrive whole and in order,
// each write counted once, with the false returns and drains of a small
// highWaterMark.
func TestBytePath_B3_PutByteLines(t *testing.T) {
	var buf bytes.Buffer
	w, err := streamcore.NewWritable[[]byte](streamcore.NewWriterSink(&buf), streamcore.WritableOptions{HighWaterMark: streamcore.HWM(4096)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var want bytes.Buffer
	const n = 20000
	for i := 0; i < n; i++ {
		ok := w.WriteString("line ")
		ok = w.Write(strconv.AppendInt(nil, int64(i), 10)) && ok
		if !(w.PutByte('\n') && ok) {
			if err := w.WaitDrain(ctx); err != nil {
				t.Fatal(err)
			}
		}
		fmt.Fprintf(&want, "line %d\n", i)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want.Bytes()) {
		t.Fatalf("sink got %d bytes, want %d (or different bytes)", buf.Len(), want.Len())
	}
	// A line waits for drain after its last write, so the writes after a
	// false return within it (at most two a line) count as after false.
	st := w.Stats()
	if st.Writes != 3*n || st.Written != int64(want.Len()) || st.FalseReturns == 0 || st.WritesAfterFalse > 2*(st.Drains+1) {
		t.Fatalf("Stats %+v: want %d writes, %d bytes, some false returns, at most two writes after false a drain", st, 3*n, want.Len())
	}
}

// B4: Write is the producer's (one goroutine at a time, as bufio.Writer),
// but pipes serialise their own writes, so several sources may pipe into
// one destination at once (run with -race).
func TestBytePath_B4_PipesFromSeveralSources(t *testing.T) {
	var mu sync.Mutex
	var got []byte
	dst, err := streamcore.NewWritable[[]byte](streamcore.SinkFunc[[]byte](func(_ context.Context, c []byte) error {
		mu.Lock()
		got = append(got, c...)
		mu.Unlock()
		return nil
	}), streamcore.WritableOptions{HighWaterMark: streamcore.HWM(64)})
	if err != nil {
		t.Fatal(err)
	}
	const sources, chunks = 4, 200
	ended := make(chan struct{}, sources)
	for s := 0; s < sources; s++ {
		var cs []string
		for i := 0; i < chunks; i++ {
			cs = append(cs, "0123456789")
		}
		src := ctNewR[[]byte](t, ctChunks(cs...), streamcore.ReadableOptions{HighWaterMark: streamcore.HWM(16)})
		src.OnEnd(func() { ended <- struct{}{} })
		streamcore.Pipe(src, dst, streamcore.PipeOptions{KeepOpen: true})
	}
	for s := 0; s < sources; s++ {
		<-ended
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	if len(got) != sources*chunks*10 {
		t.Fatalf("destination got %d bytes, want %d", len(got), sources*chunks*10)
	}
}
