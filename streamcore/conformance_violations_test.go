package streamcore_test

// Conformance tests for the backpressure-violation accounting, CONFORMANCE.md
// items V1-V4: writes made while a drain is owed and extra persistent drain
// listeners are counted in Stats with the call site of the first one.

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bpbench/bpbench/streamcore"
)

// ctHere returns the line it is called on. Wrap the call whose site Stats
// should record in it, so that both are on one line: ctHere(w.Write(c)).
func ctHere(...any) int {
	_, _, line, _ := runtime.Caller(1)
	return line
}

// ctSiteAt fails unless site is line of this file, in a function of this
// test binary's package (not streamcore's).
func ctSiteAt(t *testing.T, what string, site streamcore.CallSite, line int) {
	t.Helper()
	if filepath.Base(site.File) != "conformance_violations_test.go" || site.Line != line ||
		!strings.Contains(site.Function, "streamcore_test.") {
		t.Errorf("%s: call site %s (%s), want conformance_violations_test.go:%d in streamcore_test", what, site, site.Function, line)
	}
	if want := fmt.Sprintf("%s:%d", site.File, site.Line); site.String() != want {
		t.Errorf("%s: String() = %q, want %q", what, site.String(), want)
	}
}

// ctJoinSink is a gated ctSink that joins chunks (a ByteStreamSink), so
// the byte path drops chunk boundaries as it does for files.
type ctJoinSink struct{ *ctSink[[]byte] }

func (ctJoinSink) JoinsChunks() {}

// ctPrimed returns a stream of hwm 10 on a gated sink after a first write
// of 10 units that returned false, with the sink holding it: from here on
// every accepted write is a write after false.
func ctPrimed[T any](t *testing.T, first T, opts streamcore.WritableOptions, wrap func(*ctSink[T]) streamcore.Sink[T]) *streamcore.Writable[T] {
	t.Helper()
	s := newCtSink[T](nil, true)
	var sink streamcore.Sink[T] = s
	if wrap != nil {
		sink = wrap(s)
	}
	if opts.HighWaterMark == nil {
		opts.HighWaterMark = streamcore.HWM(10)
	}
	w, err := streamcore.NewWritable(sink, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Destroy(nil) })
	if w.Write(first) {
		t.Fatal("the first write returned true")
	}
	if st := w.Stats(); st.WritesAfterFalse != 0 || !st.FirstWriteAfterFalse.IsZero() {
		t.Fatalf("the write that returned false counted as a write after false: %+v", st)
	}
	return w
}

// TestViolations_V1_EveryWriteAfterFalseCounted writes three times after a
// false return through each way of writing, and checks the count, the
// total added, and that the call site is the first of the three.
func TestViolations_V1_EveryWriteAfterFalseCounted(t *testing.T) {
	ten := bytes.Repeat([]byte{'x'}, 10)
	big := bytes.Repeat([]byte{'y'}, 40<<10) // the byte path's own-buffer case
	type result struct {
		st    streamcore.Stats
		line  int   // where the first write after false was made
		units int64 // what the three writes added
	}
	cases := []struct {
		name string
		run  func(t *testing.T) result
	}{
		{"Write", func(t *testing.T) result {
			w := ctPrimed(t, ten, streamcore.WritableOptions{}, nil)
			line := ctHere(w.Write(ctB("abc")))
			w.Write(ctB("de"))
			w.Write(nil)
			return result{w.Stats(), line, 5}
		}},
		{"Write to a joining sink", func(t *testing.T) result {
			w := ctPrimed(t, ten, streamcore.WritableOptions{}, func(s *ctSink[[]byte]) streamcore.Sink[[]byte] { return ctJoinSink{s} })
			line := ctHere(w.Write(ctB("abc")))
			w.Write(ctB("de"))
			w.Write(ctB("f"))
			return result{w.Stats(), line, 6}
		}},
		{"Write of a chunk larger than half a slab", func(t *testing.T) result {
			w := ctPrimed(t, ten, streamcore.WritableOptions{}, nil)
			line := ctHere(w.Write(big))
			w.Write(big)
			w.Write(ctB("a"))
			return result{w.Stats(), line, 2*int64(len(big)) + 1}
		}},
		{"WriteString", func(t *testing.T) result {
			w := ctPrimed(t, ten, streamcore.WritableOptions{}, func(s *ctSink[[]byte]) streamcore.Sink[[]byte] { return ctJoinSink{s} })
			line := ctHere(w.WriteString("abc"))
			w.WriteString("de")
			w.WriteString("f")
			return result{w.Stats(), line, 6}
		}},
		{"WriteCB", func(t *testing.T) result {
			w := ctPrimed(t, ten, streamcore.WritableOptions{}, nil)
			line := ctHere(w.WriteCB(ctB("abc"), func(error) {}))
			w.WriteCB(ctB("de"), nil)
			w.WriteCB(ctB("f"), func(error) {})
			return result{w.Stats(), line, 6}
		}},
		{"EndWith", func(t *testing.T) result {
			w := ctPrimed(t, ten, streamcore.WritableOptions{}, nil)
			line := ctHere(w.Write(ctB("abc")))
			w.Write(ctB("de"))
			w.EndWith(ctB("f"), nil)
			w.Write(ctB("after end")) // fails: not counted
			return result{w.Stats(), line, 6}
		}},
		{"corked writes", func(t *testing.T) result {
			w := ctPrimed(t, ten, streamcore.WritableOptions{}, nil)
			w.Cork()
			line := ctHere(w.Write(ctB("abc")))
			w.WriteString("de")
			w.Write(ctB("f"))
			w.Uncork()
			return result{w.Stats(), line, 6}
		}},
		{"Writable[string] Write and WriteString", func(t *testing.T) result {
			w := ctPrimed(t, "0123456789", streamcore.WritableOptions{}, nil)
			line := ctHere(w.Write("abc"))
			w.WriteString("de")
			w.Write("f")
			st := w.Stats()
			return result{st, line, 6}
		}},
		{"object mode counts chunks", func(t *testing.T) result {
			w := ctPrimed(t, 1, streamcore.WritableOptions{HighWaterMark: streamcore.HWM(1), ObjectMode: true}, nil)
			line := ctHere(w.Write(2))
			w.WriteCB(3, nil)
			w.Write(4)
			return result{w.Stats(), line, 3}
		}},
		{"a Transform's writable side", func(t *testing.T) result {
			tr := ctIdentity(t, nil, streamcore.TransformOptions[[]byte]{HighWaterMark: streamcore.HWM(10)})
			if tr.Writable.Write(ten) {
				t.Fatal("the first write returned true")
			}
			line := ctHere(tr.Writable.Write(ctB("abc")))
			tr.Writable.WriteString("de")
			tr.Writable.Write(ctB("f"))
			return result{tr.Writable.Stats(), line, 6}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := c.run(t)
				if r.st.WritesAfterFalse != 3 || r.st.BytesAfterFalse != r.units {
					t.Errorf("WritesAfterFalse %d, BytesAfterFalse %d; want 3, %d", r.st.WritesAfterFalse, r.st.BytesAfterFalse, r.units)
				}
				ctSiteAt(t, "FirstWriteAfterFalse", r.st.FirstWriteAfterFalse, r.line)
			})
		})
	}
}

// TestViolations_V1_WriteInDataListener: a data listener that writes
// whatever comes, ignoring false (the naive way to copy a stream by hand),
// is named by the listener's line, though the write runs on the source's
// goroutine.
func TestViolations_V1_WriteInDataListener(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newCtSink[[]byte](nil, true)
		w := ctNewW(t, s, 4)
		src := ctNewR[[]byte](t, ctChunks("aaaa", "bb", "cc", "dd"), streamcore.ReadableOptions{})
		var line int
		src.OnData(func(c []byte) {
			if l := ctHere(w.Write(c)); line == 0 {
				line = l
			}
		})
		ended := make(chan struct{})
		src.OnEnd(func() { close(ended) })
		ctWait(t, ended, "the source's end")
		st := w.Stats()
		if st.WritesAfterFalse != 3 || st.BytesAfterFalse != 6 {
			t.Errorf("WritesAfterFalse %d, BytesAfterFalse %d; want 3, 6", st.WritesAfterFalse, st.BytesAfterFalse)
		}
		ctSiteAt(t, "FirstWriteAfterFalse", st.FirstWriteAfterFalse, line)
	})
}

// TestViolations_V1_FirstSiteKept: the call site is taken once, at the
// first write after false; later ones, from elsewhere and after drains,
// only count.
func TestViolations_V1_FirstSiteKept(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newCtSink[[]byte](nil, true)
		w := ctNewW(t, s, 4)
		w.Write(ctB("abcd"))
		line := ctHere(w.Write(ctB("e")))
		for w.NeedDrain() { // one call or two, as the flusher found them
			s.next(t).reply <- nil
			synctest.Wait()
		}
		if err := w.WaitDrain(context.Background()); err != nil {
			t.Fatal(err)
		}
		// After the drain a write is not after false, until the next false.
		w.Write(ctB("wxyz"))
		if st := w.Stats(); st.WritesAfterFalse != 1 {
			t.Fatalf("after a drain: WritesAfterFalse %d, want 1", st.WritesAfterFalse)
		}
		func() { w.WriteString("later") }()
		st := w.Stats()
		if st.WritesAfterFalse != 2 || st.BytesAfterFalse != 6 {
			t.Errorf("WritesAfterFalse %d, BytesAfterFalse %d; want 2, 6", st.WritesAfterFalse, st.BytesAfterFalse)
		}
		ctSiteAt(t, "FirstWriteAfterFalse", st.FirstWriteAfterFalse, line)
	})
}

// ctSlowSink takes a millisecond (of a synctest bubble's clock) per call,
// so that producers always outrun it and meet backpressure.
func ctSlowSink[T any]() streamcore.Sink[T] {
	return streamcore.SinkFunc[T](func(context.Context, T) error {
		time.Sleep(time.Millisecond)
		return nil
	})
}

// TestViolations_V2_HonouringBackpressureCountsNone: producers that wait
// for drain however they wait, Pipe and Pipeline meet false returns and
// make no write after false and no extra drain listener.
func TestViolations_V2_HonouringBackpressureCountsNone(t *testing.T) {
	const n = 200
	line := bytes.Repeat([]byte{'l'}, 7)
	newW := func(t *testing.T, opts streamcore.WritableOptions) *streamcore.Writable[[]byte] {
		opts.HighWaterMark = streamcore.HWM(32)
		w, err := streamcore.NewWritable(ctSlowSink[[]byte](), opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Destroy(nil) })
		return w
	}
	chunks := make([]string, n)
	for i := range chunks {
		chunks[i] = string(line)
	}
	waitDrainLoop := func(t *testing.T, w *streamcore.Writable[[]byte], write func(*streamcore.Writable[[]byte]) bool) []streamcore.Stats {
		for range n {
			if !write(w) {
				if err := w.WaitDrain(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return []streamcore.Stats{w.Stats()}
	}
	cases := []struct {
		name string
		run  func(t *testing.T) []streamcore.Stats
	}{
		{"WaitDrain", func(t *testing.T) []streamcore.Stats {
			return waitDrainLoop(t, newW(t, streamcore.WritableOptions{}), func(w *streamcore.Writable[[]byte]) bool { return w.Write(line) })
		}},
		{"WaitDrain, cooperative", func(t *testing.T) []streamcore.Stats {
			return waitDrainLoop(t, newW(t, streamcore.WritableOptions{Cooperative: true}), func(w *streamcore.Writable[[]byte]) bool { return w.WriteString("0123456") })
		}},
		{"Drain", func(t *testing.T) []streamcore.Stats {
			w := newW(t, streamcore.WritableOptions{})
			for range n {
				if !w.Write(line) {
					<-w.Drain()
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			return []streamcore.Stats{w.Stats()}
		}},
		{"OnceDrain, the guide's writeChunks", func(t *testing.T) []streamcore.Stats {
			w := newW(t, streamcore.WritableOptions{})
			i := 0
			var next func()
			next = func() {
				ok := true
				for i < n && ok {
					i++
					if i == n {
						w.EndWith(line, nil)
						return
					}
					ok = w.Write(line)
				}
				w.OnceDrain(next)
			}
			next()
			<-w.Done()
			return []streamcore.Stats{w.Stats()}
		}},
		{"Pipe", func(t *testing.T) []streamcore.Stats {
			src := ctNewR[[]byte](t, ctChunks(chunks...), streamcore.ReadableOptions{HighWaterMark: streamcore.HWM(16)})
			w := newW(t, streamcore.WritableOptions{})
			streamcore.Pipe(src, w, streamcore.PipeOptions{})
			<-w.Done()
			return []streamcore.Stats{w.Stats()}
		}},
		{"Pipeline through a Transform", func(t *testing.T) []streamcore.Stats {
			src := ctNewR[[]byte](t, ctChunks(chunks...), streamcore.ReadableOptions{HighWaterMark: streamcore.HWM(16)})
			tr := ctIdentity(t, nil, streamcore.TransformOptions[[]byte]{HighWaterMark: streamcore.HWM(16)})
			w := newW(t, streamcore.WritableOptions{})
			if err := streamcore.Pipeline(context.Background(), src, tr, w); err != nil {
				t.Fatal(err)
			}
			return []streamcore.Stats{tr.Writable.Stats(), w.Stats()}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				for i, st := range c.run(t) {
					if st.FalseReturns == 0 {
						t.Errorf("stream %d: no write returned false: the test does not exercise backpressure", i)
					}
					if st.WritesAfterFalse != 0 || st.BytesAfterFalse != 0 || !st.FirstWriteAfterFalse.IsZero() ||
						st.ExtraDrainListeners != 0 || !st.FirstExtraDrainListener.IsZero() {
						t.Errorf("stream %d: violations counted: %+v", i, st)
					}
				}
			})
		})
	}
}

// TestViolations_V3_ExtraDrainListener: OnDrain while another OnDrain
// listener is attached counts, with the first such call's site; OnceDrain
// and a listener attached after the previous one was removed do not.
func TestViolations_V3_ExtraDrainListener(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := ctNewW(t, streamcore.Discard[[]byte]{}, -1)
		w.OnceDrain(func() {})
		remove := w.OnDrain(func() {})
		remove()
		w.OnDrain(func() {})
		if st := w.Stats(); st.ExtraDrainListeners != 0 || !st.FirstExtraDrainListener.IsZero() {
			t.Fatalf("no extra listener yet, Stats %+v", st)
		}
		line := ctHere(w.OnDrain(func() {}))
		w.OnDrain(func() {})
		w.OnceDrain(func() {})
		st := w.Stats()
		if st.ExtraDrainListeners != 2 {
			t.Errorf("ExtraDrainListeners %d, want 2", st.ExtraDrainListeners)
		}
		ctSiteAt(t, "FirstExtraDrainListener", st.FirstExtraDrainListener, line)
	})
}

// TestViolations_V4_NoAllocationOnTheWritePath: the accounting allocates
// nothing per write, on a drain-aware producer and on one that ignores
// false (its call site was taken by its first write after false, once).
func TestViolations_V4_NoAllocationOnTheWritePath(t *testing.T) {
	ctx := context.Background()
	line := []byte("line 123456\n")
	w, err := streamcore.NewWritable[[]byte](streamcore.Discard[[]byte]{}, streamcore.WritableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Destroy(nil)
	for name, write := range map[string]func() bool{
		"Write":       func() bool { return w.Write(line) },
		"WriteString": func() bool { return w.WriteString("line 123456\n") },
		"PutByte":     func() bool { return w.PutByte('\n') },
	} {
		if a := testing.AllocsPerRun(10000, func() {
			if !write() {
				if err := w.WaitDrain(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}); a != 0 {
			t.Errorf("drain-aware %s: %v allocations per write, want 0", name, a)
		}
	}

	s := newCtSink[[]byte](nil, true) // holds its first write: every later one is after false
	naive, err := streamcore.NewWritable[[]byte](s, streamcore.WritableOptions{HighWaterMark: streamcore.HWM(10)})
	if err != nil {
		t.Fatal(err)
	}
	defer naive.Destroy(nil)
	naive.Write(bytes.Repeat([]byte{'x'}, 10))
	first := ctHere(naive.Write(line))
	if a := testing.AllocsPerRun(1000, func() { naive.WriteString("line 123456\n") }); a != 0 {
		t.Errorf("writes after false: %v allocations per write, want 0", a)
	}
	if a := testing.AllocsPerRun(1000, func() { naive.PutByte('\n') }); a != 0 {
		t.Errorf("PutByte after false: %v allocations per write, want 0", a)
	}
	st := naive.Stats()
	if st.WritesAfterFalse != 1+1001+1001 {
		t.Errorf("WritesAfterFalse %d, want %d", st.WritesAfterFalse, 1+1001+1001)
	}
	ctSiteAt(t, "FirstWriteAfterFalse", st.FirstWriteAfterFalse, first)
}
