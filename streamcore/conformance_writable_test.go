package streamcore_test

// Conformance tests for the Writable: CONFORMANCE.md items D1-D3, W1-W11,
// E1-E5, X1-X6 and C1-C5. Most run in a synctest bubble: synctest.Wait
// proves that something did not happen (the stream's goroutine is parked),
// and the bubble fails the test if a stream's goroutine is left running.

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/bpbench/bpbench/streamcore"
)

// ---- Defaults -------------------------------------------------------------

func TestDefaults_D1_HighWaterMarkDefaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		if streamcore.DefaultHighWaterMark != 64<<10 || streamcore.DefaultObjectHighWaterMark != 16 {
			t.Fatalf("defaults %d, %d; want 65536, 16", streamcore.DefaultHighWaterMark, streamcore.DefaultObjectHighWaterMark)
		}
		wb := ctNewW(t, streamcore.Discard[[]byte]{}, -1)
		wo, _ := streamcore.NewWritable[int](streamcore.Discard[int]{}, streamcore.WritableOptions{ObjectMode: true})
		w0 := ctNewW(t, streamcore.Discard[[]byte]{}, 0)
		rb, _ := streamcore.NewReadable[[]byte](streamcore.SourceFunc[[]byte](func(context.Context, *streamcore.Readable[[]byte], int) {}), streamcore.ReadableOptions{})
		ro, _ := streamcore.NewReadable[int](streamcore.SourceFunc[int](func(context.Context, *streamcore.Readable[int], int) {}), streamcore.ReadableOptions{ObjectMode: true})
		r0, _ := streamcore.NewReadable[[]byte](streamcore.SourceFunc[[]byte](func(context.Context, *streamcore.Readable[[]byte], int) {}), streamcore.ReadableOptions{HighWaterMark: streamcore.HWM(0)})
		tr, _ := streamcore.NewTransform(func(_ context.Context, c []byte, push func([]byte) bool) error { push(c); return nil }, streamcore.TransformOptions[[]byte]{})

		for _, c := range []struct {
			name      string
			got, want int64
		}{
			{"writable bytes", wb.HighWaterMark(), 64 << 10},
			{"writable objects", wo.HighWaterMark(), 16},
			{"writable HWM(0)", w0.HighWaterMark(), 0},
			{"readable bytes", rb.HighWaterMark(), 64 << 10},
			{"readable objects", ro.HighWaterMark(), 16},
			{"readable HWM(0)", r0.HighWaterMark(), 0},
			{"transform writable", tr.Writable.HighWaterMark(), 64 << 10},
			{"transform readable", tr.Readable.HighWaterMark(), 64 << 10},
		} {
			if c.got != c.want {
				t.Errorf("%s: highWaterMark %d, want %d", c.name, c.got, c.want)
			}
		}
		// The explicit zero is honoured: even one byte reports backpressure,
		// and a push of one byte too.
		if w0.Write(ctB("x")) {
			t.Error("HWM(0): Write returned true")
		}
		if r0.Push(ctB("x")) {
			t.Error("HWM(0): Push returned true")
		}
		// ... and a zero-mark Readable still reads, one chunk at a time.
		r0.Read(0)
		src0 := &ctManual[[]byte]{}
		src0.onRead = func(call int, r *streamcore.Readable[[]byte]) {
			if call <= 2 {
				r.Push(ctB("y"))
			} else {
				r.PushEnd()
			}
		}
		r0b := ctNewR(t, src0, streamcore.ReadableOptions{HighWaterMark: streamcore.HWM(0)})
		for i := 0; i < 2; i++ {
			if c, err := r0b.Next(context.Background()); err != nil || string(c) != "y" {
				t.Fatalf("HWM(0) readable: Next = %q, %v", c, err)
			}
			if l := r0b.Length(); l > 1 {
				t.Fatalf("HWM(0) readable buffered %d", l)
			}
		}
		if _, err := r0b.Next(context.Background()); err != io.EOF {
			t.Fatalf("HWM(0) readable: Next = %v, want io.EOF", err)
		}
		<-r0b.Done()
		// The default is honoured too: 64 KiB - 1 is below, 64 KiB is at it.
		g := newCtSink[[]byte](nil, true)
		wd := ctNewW(t, g, -1)
		if !wd.Write(make([]byte, 64<<10-1)) || wd.Write(ctB("x")) {
			t.Error("default byte hwm: want true at 65535 bytes, false at 65536")
		}
		ctDrainGate(t, wd, g)
		for _, w := range []*streamcore.Writable[[]byte]{wb, w0} {
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		}
		wo.Close()
		rb.Destroy(nil)
		ro.Destroy(nil)
		r0.Destroy(nil)
		tr.Destroy(nil)
		<-rb.Done()
		<-ro.Done()
		<-r0.Done()
		<-tr.Done()
	})
}

func TestDefaults_D2_NegativeHighWaterMarkRejected(t *testing.T) {
	neg := streamcore.HWM(-1)
	check := func(what string, err error) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), "invalid highWaterMark -1") {
			t.Errorf("%s: got error %v, want invalid highWaterMark -1", what, err)
		}
	}
	_, err := streamcore.NewWritable[[]byte](streamcore.Discard[[]byte]{}, streamcore.WritableOptions{HighWaterMark: neg})
	check("NewWritable", err)
	_, err = streamcore.NewWritable[int](streamcore.Discard[int]{}, streamcore.WritableOptions{HighWaterMark: neg, ObjectMode: true})
	check("NewWritable object mode", err)
	_, err = streamcore.NewReadable[[]byte](nil, streamcore.ReadableOptions{HighWaterMark: neg})
	check("NewReadable", err)
	_, err = streamcore.FromSlice([]int{1}, streamcore.ReadableOptions{HighWaterMark: neg})
	check("FromSlice", err)
	id := func(_ context.Context, c []byte, push func([]byte) bool) error { push(c); return nil }
	_, err = streamcore.NewTransform(id, streamcore.TransformOptions[[]byte]{HighWaterMark: neg})
	check("NewTransform HighWaterMark", err)
	_, err = streamcore.NewTransform(id, streamcore.TransformOptions[[]byte]{ReadableHighWaterMark: neg})
	check("NewTransform ReadableHighWaterMark", err)
	_, err = streamcore.NewTransform(id, streamcore.TransformOptions[[]byte]{WritableHighWaterMark: neg})
	check("NewTransform WritableHighWaterMark", err)
	_, err = streamcore.NewGzip(1, streamcore.TransformOptions[[]byte]{HighWaterMark: neg})
	check("NewGzip", err)

	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	_, err = streamcore.CreateFile(out, streamcore.FileOptions{HighWaterMark: neg})
	check("CreateFile", err)
	if _, serr := os.Stat(out); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("CreateFile with a bad hwm created the file (stat: %v)", serr)
	}
	in := filepath.Join(dir, "in")
	os.WriteFile(in, []byte("x"), 0o644)
	_, err = streamcore.OpenFile(in, streamcore.FileOptions{HighWaterMark: neg})
	check("OpenFile", err)
}

func TestDefaults_D3_TransformSidesSeparately(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		id := func(_ context.Context, c []byte, push func([]byte) bool) error { push(c); return nil }
		for _, c := range []struct {
			name   string
			opts   streamcore.TransformOptions[[]byte]
			r, w   int64
			rObj   bool
			wObjOK bool
		}{
			{"one sets both", streamcore.TransformOptions[[]byte]{HighWaterMark: streamcore.HWM(5)}, 5, 5, false, false},
			{"separate", streamcore.TransformOptions[[]byte]{ReadableHighWaterMark: streamcore.HWM(3), WritableHighWaterMark: streamcore.HWM(7)}, 3, 7, false, false},
			// As in Node (test-stream-transform-split-highwatermark.js):
			// highWaterMark wins over the per-side options, and a readable
			// side of 0 makes the writable side 0 unless it is set above 0.
			{"one wins over readable", streamcore.TransformOptions[[]byte]{HighWaterMark: streamcore.HWM(5), ReadableHighWaterMark: streamcore.HWM(0)}, 5, 5, false, false},
			{"one wins over writable", streamcore.TransformOptions[[]byte]{HighWaterMark: streamcore.HWM(5), WritableHighWaterMark: streamcore.HWM(9)}, 5, 5, false, false},
			{"readable 0 makes writable 0", streamcore.TransformOptions[[]byte]{ReadableHighWaterMark: streamcore.HWM(0)}, 0, 0, false, false},
			{"readable 0, writable set", streamcore.TransformOptions[[]byte]{ReadableHighWaterMark: streamcore.HWM(0), WritableHighWaterMark: streamcore.HWM(100)}, 0, 100, false, false},
			{"one 0, writable set", streamcore.TransformOptions[[]byte]{HighWaterMark: streamcore.HWM(0), WritableHighWaterMark: streamcore.HWM(100)}, 0, 100, false, false},
			{"readable object mode", streamcore.TransformOptions[[]byte]{ReadableObjectMode: true}, 16, 64 << 10, true, false},
		} {
			tr, err := streamcore.NewTransform(id, c.opts)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if got := tr.Readable.HighWaterMark(); got != c.r {
				t.Errorf("%s: readable hwm %d, want %d", c.name, got, c.r)
			}
			if got := tr.Writable.HighWaterMark(); got != c.w {
				t.Errorf("%s: writable hwm %d, want %d", c.name, got, c.w)
			}
			if got := tr.Writable.ObjectMode(); got != c.wObjOK {
				t.Errorf("%s: writable object mode %v", c.name, got)
			}
			tr.Destroy(nil)
			<-tr.Done()
		}
		// The writable side's mark is the one Write answers to: 7 bytes.
		tr, _ := streamcore.NewTransform(id, streamcore.TransformOptions[[]byte]{ReadableHighWaterMark: streamcore.HWM(100), WritableHighWaterMark: streamcore.HWM(7)})
		tr.Writable.Cork() // keep the bytes on the writable side
		if !tr.Writable.Write(ctB("123456")) || tr.Writable.Write(ctB("7")) {
			t.Error("writable side: want true at 6 bytes, false at 7")
		}
		tr.Destroy(nil)
		<-tr.Done()
	})
}

// ---- Writable: write, length, drain ---------------------------------------

func TestWritable_W1_ReturnIsLengthBelowHWMAfterAdding(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newCtSink[[]byte](nil, true)
		w := ctNewW(t, g, 10)
		got := []bool{w.Write(ctB("aaaa")), w.Write(ctB("bbbb")), w.Write(ctB("cc"))}
		// The sink holds the first write: nothing has left the buffer.
		if !slices.Equal(got, []bool{true, true, false}) {
			t.Fatalf("writes of 4, 4, 2 bytes at hwm 10: got %v, want [true true false]", got)
		}
		s := w.Stats()
		if s.Buffered != 10 || s.FalseReturns != 1 || s.Writes != 3 {
			t.Fatalf("stats %+v, want Buffered 10, FalseReturns 1, Writes 3", s)
		}
		ctDrainGate(t, w, g)
	})
}

func TestWritable_W2_LargeChunkAcceptedWhole(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newCtSink[[]byte](nil, true)
		w := ctNewW(t, g, 10)
		big := strings.Repeat("x", 100)
		if w.Write(ctB(big)) {
			t.Fatal("first write of 100 bytes at hwm 10: got true")
		}
		c := g.expect(t, "write:"+big) // one call, the whole chunk
		if n := w.Length(); n != 100 {
			t.Fatalf("length %d, want 100", n)
		}
		c.reply <- nil
		ctDrainGate(t, w, g)
		if got := ctStr(slices.Concat(g.received()...)); got != big {
			t.Fatalf("sink got %q", got)
		}
	})
}

func TestWritable_W3_FalseIsAdvisory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newCtSink[[]byte](nil, true)
		w := ctNewW(t, g, 4)
		rets := []bool{w.Write(ctB("aaaa"))}
		a := g.expect(t, "write:aaaa")
		for _, s := range []string{"bb", "c", "dddddd"} {
			rets = append(rets, w.Write(ctB(s)))
		}
		if !slices.Equal(rets, []bool{false, false, false, false}) {
			t.Fatalf("returns %v, want all false", rets)
		}
		if n := w.Length(); n != 13 {
			t.Fatalf("length %d, want 13: every chunk is buffered", n)
		}
		a.reply <- nil
		g.expect(t, "batch:bb,c,dddddd").reply <- nil
		ctDrainGate(t, w, g)
		if got := ctStr(slices.Concat(g.received()...)); got != "aaaabbcdddddd" {
			t.Fatalf("delivered %q, want in order", got)
		}
		if s := w.Stats(); s.Writes != 4 || s.FalseReturns != 4 {
			t.Fatalf("stats %+v", s)
		}
	})
}

func TestWritable_W4_LengthCountsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newCtSink[[]byte](nil, true)
		w := ctNewW(t, g, -1)
		cbA, doneA := ctErrCh()
		cbB, doneB := ctErrCh()
		w.WriteCB(ctB("aaaaa"), cbA)
		a := g.expect(t, "write:aaaaa")
		w.WriteCB(ctB("bbb"), cbB)
		synctest.Wait()
		if n := w.Length(); n != 8 {
			t.Fatalf("a in flight, b queued: length %d, want 8", n)
		}
		a.reply <- nil
		ctRecv(t, doneA, "a's callback")
		b := g.expect(t, "write:bbb")
		synctest.Wait()
		if n := w.Length(); n != 3 {
			t.Fatalf("b in flight: length %d, want 3", n)
		}
		b.reply <- nil
		ctRecv(t, doneB, "b's callback")
		if n := w.Length(); n != 0 {
			t.Fatalf("after b returned: length %d, want 0", n)
		}
		ctDrainGate(t, w, g)
	})
}

func TestWritable_W5_DrainOnlyAtZeroAfterFalse(t *testing.T) {
	t.Run("all true never drains", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var l ctLog
			g := newCtSink[[]byte](nil, true)
			w := ctNewW(t, g, 10)
			ctWatch(&l, w)
			if !w.Write(ctB("aaa")) {
				t.Fatal("write 1 returned false")
			}
			a := g.expect(t, "write:aaa")
			if !w.Write(ctB("bbb")) || !w.Write(ctB("ccc")) {
				t.Fatal("write 2 or 3 returned false")
			}
			a.reply <- nil
			// b and c reach the sink in one batch or in two calls,
			// depending on where the producer's batch ends; Flush hands
			// over what the producer still holds (B2).
			w.Flush()
			var rest []string
			for n := 0; n < 6; {
				c := g.next(t)
				for _, ch := range c.chunks {
					n += len(ch)
					rest = append(rest, string(ch))
				}
				c.reply <- nil
			}
			if got := strings.Join(rest, ","); got != "bbb,ccc" {
				t.Fatalf("sink got %s after aaa, want bbb,ccc", got)
			}
			synctest.Wait()
			if w.Length() != 0 || w.NeedDrain() {
				t.Fatalf("length %d needDrain %v", w.Length(), w.NeedDrain())
			}
			ctDrainGate(t, w, g)
			l.want(t, "finish", "close")
			if d := w.Stats().Drains; d != 0 {
				t.Fatalf("drains %d, want 0", d)
			}
		})
	})
	t.Run("drain waits for zero", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var l ctLog
			g := newCtSink[[]byte](nil, true)
			w := ctNewW(t, streamcore.Unbatched[[]byte](g), 4)
			w.OnDrain(func() { l.add("drain len=%d", w.Length()) })
			w.WriteCB(ctB("aaa"), l.cb("cb:a"))
			a := g.expect(t, "write:aaa")
			if w.WriteCB(ctB("bbb"), l.cb("cb:b")) {
				t.Fatal("length 6 at hwm 4: got true")
			}
			a.reply <- nil
			b := g.expect(t, "write:bbb")
			synctest.Wait()
			l.want(t, "cb:a:nil") // length 3: no drain yet
			b.reply <- nil
			synctest.Wait()
			l.want(t, "cb:a:nil", "drain len=0", "cb:b:nil")
			// No false since that drain: a true write does not drain again.
			if !w.WriteCB(ctB("c"), l.cb("cb:c")) {
				t.Fatal("length 1 at hwm 4: got false")
			}
			g.expect(t, "write:c").reply <- nil
			synctest.Wait()
			l.want(t, "cb:a:nil", "drain len=0", "cb:b:nil", "cb:c:nil")
			ctDrainGate(t, w, g)
			if d := w.Stats().Drains; d != 1 {
				t.Fatalf("drains %d, want 1", d)
			}
		})
	})
}

func TestWritable_W6_DrainBeforeCallback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		g := newCtSink[[]byte](nil, true)
		w := ctNewW(t, g, 1)
		ctWatch(&l, w)
		// One write that empties the buffer.
		if w.WriteCB(ctB("a"), l.cb("cb:a")) {
			t.Fatal("got true at hwm 1")
		}
		g.expect(t, "write:a").reply <- nil
		synctest.Wait()
		l.want(t, "drain", "cb:a:nil")
		// A batch that empties it: drain, then every callback of the batch.
		w.WriteCB(ctB("b"), l.cb("cb:b"))
		b := g.expect(t, "write:b")
		w.WriteCB(ctB("c"), l.cb("cb:c"))
		w.WriteCB(ctB("d"), l.cb("cb:d"))
		b.reply <- nil
		g.expect(t, "batch:c,d").reply <- nil
		synctest.Wait()
		l.want(t, "drain", "cb:a:nil", "cb:b:nil", "drain", "cb:c:nil", "cb:d:nil")
		ctDrainGate(t, w, g)
	})
}

func TestWritable_W7_NoDrainAfterEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		g := newCtSink[[]byte](nil, true)
		w := ctNewW(t, g, 1)
		ctWatch(&l, w)
		if w.WriteCB(ctB("a"), l.cb("cb:a")) {
			t.Fatal("got true at hwm 1")
		}
		a := g.expect(t, "write:a")
		w.End(l.cb("end"))
		if err := w.WaitDrain(context.Background()); err != nil {
			t.Fatalf("WaitDrain after End: %v, want nil at once", err)
		}
		a.reply <- nil
		<-w.Done()
		l.want(t, "cb:a:nil", "end:nil", "finish", "close")
		if d := w.Stats().Drains; d != 0 {
			t.Fatalf("drains %d, want 0", d)
		}
	})
}

func TestWritable_W8_CallbackNeverInsideWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		me := ctGoid()
		check := func(name string, wantErr error) func(error) {
			return func(err error) {
				if g := ctGoid(); g == me {
					t.Errorf("%s: callback ran on the writing goroutine, inside WriteCB", name)
				}
				if !errors.Is(err, wantErr) && !(wantErr == nil && err == nil) {
					t.Errorf("%s: callback error %v, want %v", name, err, wantErr)
				}
			}
		}
		// A sink that returns at once.
		w := ctNewW(t, streamcore.Discard[[]byte]{}, -1)
		fn, ch := ctErrCh()
		cb := check("sync sink", nil)
		w.WriteCB(ctB("a"), func(err error) { cb(err); fn(err) })
		ctRecv(t, ch, "callback")
		// Write after End, which fails at once.
		w.End(nil)
		fn, ch = ctErrCh()
		cb2 := check("write after end", streamcore.ErrWriteAfterEnd)
		w.WriteCB(ctB("b"), func(err error) { cb2(err); fn(err) })
		ctRecv(t, ch, "callback")
		<-w.Done()
		// Write to a closed stream.
		fn, ch = ctErrCh()
		cb3 := check("write after close", streamcore.ErrWriteAfterEnd)
		w.WriteCB(ctB("c"), func(err error) { cb3(err); fn(err) })
		ctRecv(t, ch, "callback")
		// Write to a destroyed stream, and a nil object.
		wo, _ := streamcore.NewWritable[*int](streamcore.Discard[*int]{}, streamcore.WritableOptions{ObjectMode: true})
		fn, ch = ctErrCh()
		cb4 := check("nil object", streamcore.ErrNullValue)
		wo.WriteCB(nil, func(err error) { cb4(err); fn(err) })
		ctRecv(t, ch, "callback")
		fn, ch = ctErrCh()
		cb5 := check("destroyed", streamcore.ErrDestroyed)
		wo.WriteCB(new(int), func(err error) { cb5(err); fn(err) })
		ctRecv(t, ch, "callback")
		<-wo.Done()
	})
}

func TestWritable_W9_ZeroHWMAlwaysFalseAndDrains(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var drains atomic.Int64
		g := newCtSink[[]byte](nil, true)
		w := ctNewW(t, g, 0)
		w.OnDrain(func() { drains.Add(1) })
		for i, s := range []string{"a", "bb", "ccc"} {
			if w.Write(ctB(s)) {
				t.Fatalf("write %d at hwm 0: got true", i)
			}
			dc := w.Drain()
			g.expect(t, "write:"+s).reply <- nil
			ctWait(t, dc, "drain")
			if err := w.WaitDrain(context.Background()); err != nil {
				t.Fatal(err)
			}
			synctest.Wait() // the channel closes before the listeners run
			if got := drains.Load(); got != int64(i+1) {
				t.Fatalf("after write %d: %d drains, want %d", i, got, i+1)
			}
		}
		ctDrainGate(t, w, g)
		if s := w.Stats(); s.FalseReturns != 3 || s.Drains != 3 {
			t.Fatalf("stats %+v, want 3 false returns and 3 drains", s)
		}
	})
}

func TestWritable_W10_ObjectModeCountsOnePerWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newCtSink[[]byte](nil, true)
		w, err := streamcore.NewWritable[[]byte](g, streamcore.WritableOptions{ObjectMode: true, HighWaterMark: streamcore.HWM(3)})
		if err != nil {
			t.Fatal(err)
		}
		big := make([]byte, 1<<20)
		got := []bool{w.Write(big), w.Write([]byte{}), w.Write(big)}
		if !slices.Equal(got, []bool{true, true, false}) {
			t.Fatalf("object writes at hwm 3: got %v, want [true true false]", got)
		}
		if n := w.Length(); n != 3 {
			t.Fatalf("length %d, want 3 objects", n)
		}
		ctAnswerUntil(t, closeAfter(w), g)

		// The default of 16 objects.
		g2 := newCtSink[string](nil, true)
		w2, _ := streamcore.NewWritable[string](g2, streamcore.WritableOptions{ObjectMode: true})
		for i := 1; i <= 16; i++ {
			if ok := w2.Write(strings.Repeat("x", 1000)); ok != (i < 16) {
				t.Fatalf("write %d of 16: got %v", i, ok)
			}
		}
		ctAnswerUntil(t, closeAfter(w2), g2)
	})
}

// closeAfter ends w and returns its Done channel.
func closeAfter[T any](w *streamcore.Writable[T]) <-chan struct{} {
	w.End(nil)
	return w.Done()
}

func TestWritable_W11_NilObjectIsErrorEmptyChunkIsFine(t *testing.T) {
	t.Run("nil object", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var l ctLog
			w, _ := streamcore.NewWritable[*int](streamcore.Discard[*int]{}, streamcore.WritableOptions{ObjectMode: true})
			ctWatch(&l, w)
			if w.WriteCB(nil, l.cb("cb")) {
				t.Fatal("nil object: Write returned true")
			}
			<-w.Done()
			l.want(t, "cb:null-value", "error:null-value", "close")
			if !errors.Is(w.Err(), streamcore.ErrNullValue) || !w.Destroyed() {
				t.Fatalf("Err %v Destroyed %v", w.Err(), w.Destroyed())
			}
		})
	})
	t.Run("nil slice in object mode", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			w, _ := streamcore.NewWritable[[]byte](streamcore.Discard[[]byte]{}, streamcore.WritableOptions{ObjectMode: true})
			if !w.Write([]byte{}) {
				t.Fatal("empty non-nil object: got false")
			}
			if w.Write(nil) {
				t.Fatal("nil object: got true")
			}
			<-w.Done()
			if !errors.Is(w.Err(), streamcore.ErrNullValue) {
				t.Fatalf("Err %v", w.Err())
			}
		})
	})
	t.Run("empty byte chunk", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var l ctLog
			g := newCtSink[[]byte](nil, true)
			w := ctNewW(t, g, 1)
			ctWatch(&l, w)
			if !w.WriteCB([]byte{}, l.cb("cb:empty")) {
				t.Fatal("empty chunk: got false")
			}
			if !w.WriteCB(nil, l.cb("cb:nil")) {
				t.Fatal("nil byte chunk: got false")
			}
			if n := w.Length(); n != 0 {
				t.Fatalf("length %d", n)
			}
			ctDrainGate(t, w, g)
			l.want(t, "cb:empty:nil", "cb:nil:nil", "finish", "close")
			if w.Err() != nil {
				t.Fatal(w.Err())
			}
		})
	})
}

// ---- Writable: end, finish, close -----------------------------------------

func TestWritable_E1_EndOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		g := newCtSink[[]byte](&l, true)
		g.gateFinal = true
		w := ctNewW(t, streamcore.Unbatched[[]byte](g), -1)
		ctWatch(&l, w)
		me := ctGoid()
		w.OnFinish(func() {
			if ctGoid() == me {
				t.Error("finish ran on the goroutine that called End")
			}
		})
		w.WriteCB(ctB("a"), l.cb("cb:a"))
		w.WriteCB(ctB("b"), l.cb("cb:b"))
		w.End(l.cb("end"))
		synctest.Wait()
		if slices.Contains(l.events(), "finish") {
			t.Fatal("finish before the writes reached the sink")
		}
		g.expect(t, "write:a").reply <- nil
		g.expect(t, "write:b").reply <- nil
		fin := g.expect(t, "final:")
		synctest.Wait()
		if w.Finished() || slices.Contains(l.events(), "finish") {
			t.Fatal("finished before Final returned")
		}
		fin.reply <- nil
		<-w.Done()
		l.want(t, "sink:write:a", "cb:a:nil", "sink:write:b", "cb:b:nil", "sink:final", "end:nil", "finish", "sink:close", "close")
	})
}

func TestWritable_E2_EndedNotFinished(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newCtSink[[]byte](nil, true)
		g.gateFinal = true
		w := ctNewW(t, g, -1)
		if !w.Writable() || w.Ended() || w.Finished() {
			t.Fatal("fresh stream: want writable, not ended, not finished")
		}
		w.Write(ctB("a"))
		a := g.expect(t, "write:a")
		var inEnd, inFinish atomic.Bool
		w.End(func(error) { inEnd.Store(w.Finished()) })
		w.OnFinish(func() { inFinish.Store(w.Finished()) })
		if w.Writable() || !w.Ended() || w.Finished() {
			t.Fatalf("after End: Writable %v Ended %v Finished %v; want false true false", w.Writable(), w.Ended(), w.Finished())
		}
		a.reply <- nil
		fin := g.expect(t, "final:")
		if w.Finished() {
			t.Fatal("finished while Final runs")
		}
		fin.reply <- nil
		<-w.Done()
		if !inEnd.Load() || !inFinish.Load() || !w.Finished() {
			t.Fatalf("Finished: in end callback %v, in finish %v, after close %v; want all true", inEnd.Load(), inFinish.Load(), w.Finished())
		}
	})
}

func TestWritable_E3_FinalOnceAfterWrites(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		g := newCtSink[[]byte](&l, true)
		g.gateFinal = true
		w := ctNewW(t, g, -1)
		ctWatch(&l, w)
		w.Write(ctB("a"))
		a := g.expect(t, "write:a")
		w.Write(ctB("b"))
		w.End(nil)
		w.End(nil)
		synctest.Wait()
		if f, _ := g.counts(); f != 0 {
			t.Fatal("Final ran while a write was in flight")
		}
		a.reply <- nil
		g.expect(t, "write:b").reply <- nil
		fin := g.expect(t, "final:")
		synctest.Wait()
		if slices.Contains(l.events(), "finish") {
			t.Fatal("finish did not wait for Final")
		}
		fin.reply <- nil
		<-w.Done()
		if f, c := g.counts(); f != 1 || c != 1 {
			t.Fatalf("Final ran %d times, Close %d; want 1 and 1", f, c)
		}
		l.want(t, "sink:write:a", "sink:write:b", "sink:final", "finish", "sink:close", "close")
	})
}

func TestWritable_E4_SecondEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		g := newCtSink[[]byte](nil, true)
		w := ctNewW(t, g, -1)
		ctWatch(&l, w)
		w.Write(ctB("a"))
		a := g.expect(t, "write:a")
		w.End(l.cb("end1"))
		w.End(l.cb("end2"))
		w.OnFinish(func() { w.End(l.cb("end-in-finish")) })
		a.reply <- nil
		<-w.Done()
		w.End(l.cb("end-after-close"))
		synctest.Wait()
		l.want(t, "end1:nil", "end2:nil", "finish", "end-in-finish:already-finished", "close", "end-after-close:already-finished")
		if w.Err() != nil {
			t.Fatalf("Err %v, want nil: no error event", w.Err())
		}
	})
}

func TestWritable_E5_WriteAfterEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		g := newCtSink[[]byte](nil, true)
		w := ctNewW(t, g, -1)
		ctWatch(&l, w)
		w.Write(ctB("a"))
		a := g.expect(t, "write:a")
		w.End(l.cb("end"))
		if w.WriteCB(ctB("b"), l.cb("cb:b")) {
			t.Fatal("write after end returned true")
		}
		if !w.Destroyed() {
			t.Fatal("write after end did not destroy the stream")
		}
		a.reply <- nil
		<-w.Done()
		ev := l.events()
		if len(ev) == 0 || ev[len(ev)-1] != "close" {
			t.Fatalf("events %q: want close last", ev)
		}
		ib, ie := slices.Index(ev, "cb:b:write-after-end"), slices.Index(ev, "error:write-after-end")
		if ib < 0 || ie < 0 || ib > ie || l.count("error:write-after-end") != 1 {
			t.Fatalf("events %q: want cb:b then one error, both write after end", ev)
		}
		if slices.Contains(ev, "finish") || !slices.Contains(ev, "end:write-after-end") {
			t.Fatalf("events %q: want no finish, end callback with the error", ev)
		}
		if !errors.Is(w.Err(), streamcore.ErrWriteAfterEnd) {
			t.Fatalf("Err %v", w.Err())
		}
	})
}

// ---- Writable: errors and destroy -----------------------------------------

func TestWritable_X1_SinkErrorFailsEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		g := newCtSink[[]byte](nil, true)
		w := ctNewW(t, g, -1)
		ctWatch(&l, w)
		w.WriteCB(ctB("a"), l.cb("cb:a"))
		a := g.expect(t, "write:a")
		w.WriteCB(ctB("b"), l.cb("cb:b"))
		w.WriteCB(ctB("c"), l.cb("cb:c"))
		w.End(l.cb("end"))
		a.reply <- errCtBoom
		<-w.Done()
		l.want(t, "cb:a:boom", "cb:b:boom", "cb:c:boom", "end:boom", "error:boom", "close")
		if got := g.received(); len(got) != 1 {
			t.Fatalf("sink got %d chunks, want only a", len(got))
		}
		if !errors.Is(w.Err(), errCtBoom) || w.Length() != 0 {
			t.Fatalf("Err %v Length %d", w.Err(), w.Length())
		}
		fn, ch := ctErrCh()
		if w.WriteCB(ctB("d"), fn) {
			t.Fatal("write after failure returned true")
		}
		if err := ctRecv(t, ch, "callback"); !errors.Is(err, streamcore.ErrWriteAfterEnd) {
			t.Fatalf("write after failure (ended): %v", err)
		}
	})
	t.Run("not ended", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var l ctLog
			g := newCtSink[[]byte](nil, true)
			w := ctNewW(t, g, -1)
			ctWatch(&l, w)
			w.WriteCB(ctB("a"), l.cb("cb:a"))
			a := g.expect(t, "write:a")
			w.WriteCB(ctB("b"), l.cb("cb:b"))
			a.reply <- errCtBoom
			<-w.Done()
			w.WriteCB(ctB("c"), l.cb("cb:c"))
			synctest.Wait()
			l.want(t, "cb:a:boom", "cb:b:boom", "error:boom", "close", "cb:c:destroyed")
		})
	})
}

func TestWritable_X2_OneErrorEvent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		g := newCtSink[[]byte](nil, true)
		w := ctNewW(t, g, -1)
		ctWatch(&l, w)
		w.OnError(func(err error) { l.add("error2:%s", ctErrName(err)) })
		w.Write(ctB("a"))
		a := g.expect(t, "write:a")
		w.Write(ctB("b"))
		w.Destroy(errCtBoom)
		w.Destroy(errCtBoom2)
		w.End(nil)
		w.Write(ctB("c"))
		a.reply <- errCtBoom2
		<-w.Done()
		w.Destroy(errCtBoom2)
		w.Write(ctB("d"))
		synctest.Wait()
		l.want(t, "error:boom", "error2:boom", "close")
	})
}

func TestWritable_X3_DestroyWithError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		g := newCtSink[[]byte](&l, true)
		g.ignoreCtx = true
		w := ctNewW(t, g, -1)
		ctWatch(&l, w)
		w.WriteCB(ctB("a"), l.cb("cb:a"))
		a := g.expect(t, "write:a")
		w.WriteCB(ctB("b"), l.cb("cb:b"))
		w.WriteCB(ctB("c"), l.cb("cb:c"))
		w.Destroy(errCtBoom)
		if !w.Destroyed() || w.Writable() {
			t.Fatal("not destroyed at once")
		}
		if !ctClosed(a.ctx.Done()) {
			t.Fatal("the sink's ctx was not cancelled")
		}
		w.Destroy(errCtBoom2) // changes nothing
		a.reply <- nil        // the write in flight succeeds after all
		<-w.Done()
		w.Destroy(errCtBoom2)
		l.want(t, "sink:write:a", "cb:a:nil", "cb:b:boom", "cb:c:boom", "sink:close", "error:boom", "close")
		if !errors.Is(w.Err(), errCtBoom) {
			t.Fatalf("Err %v", w.Err())
		}
	})
}

func TestWritable_X4_DestroyNil(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		g := newCtSink[[]byte](nil, true) // gives up with ctx.Err() on destroy
		w := ctNewW(t, g, -1)
		ctWatch(&l, w)
		w.WriteCB(ctB("a"), l.cb("cb:a"))
		g.expect(t, "write:a")
		w.WriteCB(ctB("b"), l.cb("cb:b"))
		w.Destroy(nil)
		if !w.Destroyed() {
			t.Fatal("not destroyed at once")
		}
		<-w.Done()
		w.WriteCB(ctB("c"), l.cb("cb:c"))
		synctest.Wait()
		// The write in flight gets its own result (the sink gave up), but
		// that is no error event: the stream was destroyed without one.
		l.want(t, "cb:a:canceled", "cb:b:destroyed", "close", "cb:c:destroyed")
		if w.Err() != nil {
			t.Fatalf("Err %v, want nil", w.Err())
		}
		if err := w.WaitDrain(context.Background()); !errors.Is(err, streamcore.ErrDestroyed) {
			t.Fatalf("WaitDrain: %v", err)
		}
	})
}

func TestWritable_X5_FinalError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		g := newCtSink[[]byte](&l, false)
		g.finalErr = errCtBoom
		w := ctNewW(t, g, -1)
		ctWatch(&l, w)
		w.WriteCB(ctB("a"), l.cb("cb:a"))
		w.End(l.cb("end"))
		<-w.Done()
		l.want(t, "sink:write:a", "cb:a:nil", "sink:final", "end:boom", "sink:close", "error:boom", "close")
		if !errors.Is(w.Err(), errCtBoom) || w.Finished() {
			t.Fatalf("Err %v Finished %v", w.Err(), w.Finished())
		}
	})
}

func TestWritable_X6_StickyFirstErrorWins(t *testing.T) {
	t.Run("sink error then destroy", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var l ctLog
			g := newCtSink[[]byte](nil, true)
			w := ctNewW(t, g, 1)
			ctWatch(&l, w)
			w.Write(ctB("a"))
			g.expect(t, "write:a").reply <- errCtBoom
			<-w.Done()
			w.Destroy(errCtBoom2)
			for _, err := range []error{w.Err(), w.Close(), w.WaitDrain(context.Background())} {
				if !errors.Is(err, errCtBoom) {
					t.Fatalf("got %v, want the first error", err)
				}
			}
			end, ch := ctErrCh()
			w.End(end)
			if err := ctRecv(t, ch, "end callback"); !errors.Is(err, errCtBoom) {
				t.Fatalf("End after failure: %v", err)
			}
			l.want(t, "error:boom", "close")
		})
	})
	t.Run("destroy then sink error", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var l ctLog
			g := newCtSink[[]byte](nil, true)
			g.ignoreCtx = true
			w := ctNewW(t, g, -1)
			ctWatch(&l, w)
			w.WriteCB(ctB("a"), l.cb("cb:a"))
			a := g.expect(t, "write:a")
			w.Destroy(errCtBoom)
			a.reply <- errCtBoom2
			<-w.Done()
			l.want(t, "cb:a:boom2", "error:boom", "close")
			if !errors.Is(w.Err(), errCtBoom) {
				t.Fatalf("Err %v", w.Err())
			}
		})
	})
}

// ---- Cork and batching ----------------------------------------------------

func TestWritable_C1_CorkNestsAndBatches(t *testing.T) {
	for _, batch := range []bool{true, false} {
		name := map[bool]string{true: "batch sink", false: "plain sink"}[batch]
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var l ctLog
				g := newCtSink[[]byte](nil, true)
				var sink streamcore.Sink[[]byte] = g
				if !batch {
					sink = streamcore.Unbatched[[]byte](g)
				}
				w := ctNewW(t, sink, -1)
				w.Cork()
				w.Cork()
				for _, s := range []string{"a", "b", "c"} {
					w.WriteCB(ctB(s), l.cb("cb:"+s))
				}
				synctest.Wait()
				g.none(t)
				w.Uncork()
				if w.Corked() != 1 {
					t.Fatalf("corked %d, want 1", w.Corked())
				}
				synctest.Wait()
				g.none(t)
				if n := w.Length(); n != 3 {
					t.Fatalf("length %d, want 3", n)
				}
				w.Uncork()
				if batch {
					g.expect(t, "batch:a,b,c").reply <- nil
				} else {
					g.expect(t, "write:a").reply <- nil
					g.expect(t, "write:b").reply <- nil
					g.expect(t, "write:c").reply <- nil
				}
				synctest.Wait()
				l.want(t, "cb:a:nil", "cb:b:nil", "cb:c:nil")
				w.Uncork() // extra uncorks are harmless
				ctDrainGate(t, w, g)
			})
		})
	}
}

func TestWritable_C2_EndUncorks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		g := newCtSink[[]byte](&l, false)
		w := ctNewW(t, g, -1)
		ctWatch(&l, w)
		w.Cork()
		w.Cork()
		w.Write(ctB("a"))
		w.Write(ctB("b"))
		w.End(nil)
		if w.Corked() != 0 {
			t.Fatalf("corked %d after End", w.Corked())
		}
		<-w.Done()
		l.want(t, "sink:batch:a,b", "sink:final", "finish", "sink:close", "close")
	})
}

func TestWritable_C3_QueuedWritesBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newCtSink[[]byte](nil, true)
		w := ctNewW(t, g, -1)
		w.Write(ctB("a"))
		a := g.expect(t, "write:a")
		w.Write(ctB("b"))
		w.Write(ctB("c"))
		w.Write(ctB("d"))
		// Writes made while the sink is busy may wait in the producer's
		// batch until Flush (see "When bytes reach the sink").
		w.Flush()
		a.reply <- nil
		g.expect(t, "batch:b,c,d").reply <- nil
		w.Write(ctB("e")) // alone again: a single Write
		w.Flush()
		g.expect(t, "write:e").reply <- nil
		ctDrainGate(t, w, g)
	})
}

func TestWritable_C4_FailedBatchFailsAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		g := newCtSink[[]byte](nil, true)
		w := ctNewW(t, g, -1)
		ctWatch(&l, w)
		w.WriteCB(ctB("a"), l.cb("cb:a"))
		a := g.expect(t, "write:a")
		w.WriteCB(ctB("b"), l.cb("cb:b"))
		w.WriteCB(ctB("c"), l.cb("cb:c"))
		w.WriteCB(ctB("d"), l.cb("cb:d"))
		a.reply <- nil
		b := g.expect(t, "batch:b,c,d")
		w.WriteCB(ctB("e"), l.cb("cb:e"))
		b.reply <- errCtBoom
		<-w.Done()
		l.want(t, "cb:a:nil", "cb:b:boom", "cb:c:boom", "cb:d:boom", "cb:e:boom", "error:boom", "close")
	})
}

func TestWritable_C5_BatchLengthAndDrain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		g := newCtSink[[]byte](nil, true)
		w := ctNewW(t, g, 4)
		w.OnDrain(func() { l.add("drain len=%d", w.Length()) })
		w.WriteCB(ctB("aa"), l.cb("cb:a"))
		a := g.expect(t, "write:aa")
		w.WriteCB(ctB("bb"), l.cb("cb:b"))
		if w.WriteCB(ctB("cc"), l.cb("cb:c")) {
			t.Fatal("length 6 at hwm 4: got true")
		}
		a.reply <- nil
		b := g.expect(t, "batch:bb,cc")
		synctest.Wait()
		if n := w.Length(); n != 4 {
			t.Fatalf("batch in flight: length %d, want 4", n)
		}
		b.reply <- nil
		synctest.Wait()
		l.want(t, "cb:a:nil", "drain len=0", "cb:b:nil", "cb:c:nil")
		ctDrainGate(t, w, g)
	})
}

// WaitDrain on a stream that finished cleanly is no failure: the stream
// tears itself down after finish, but WaitDrain returns nil (E2).
func TestWritable_E2_WaitDrainAfterFinishIsNil(t *testing.T) {
	w, err := streamcore.NewWritable[[]byte](streamcore.Discard[[]byte]{}, streamcore.WritableOptions{HighWaterMark: streamcore.HWM(1)})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(ctB("ab"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.WaitDrain(context.Background()); err != nil {
		t.Fatalf("WaitDrain after a clean finish = %v, want nil", err)
	}
	w2, _ := streamcore.NewWritable[[]byte](streamcore.Discard[[]byte]{}, streamcore.WritableOptions{})
	boom := errors.New("boom")
	w2.Destroy(boom)
	if err := w2.WaitDrain(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("WaitDrain after Destroy(boom) = %v, want boom", err)
	}
}
