package streamcore_test

// Conformance tests for Pipe, Pipeline and Transform: CONFORMANCE.md items
// P1-P5, L1-L6 and T1-T3.

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/bpbench/bpbench/streamcore"
)

// ctChunks is a Source that pushes one chunk per read, then ends.
func ctChunks(chunks ...string) streamcore.Source[[]byte] {
	var mu sync.Mutex
	i := 0
	return streamcore.SourceFunc[[]byte](func(_ context.Context, r *streamcore.Readable[[]byte], _ int) {
		mu.Lock()
		defer mu.Unlock()
		if i == len(chunks) {
			r.PushEnd()
			return
		}
		i++
		r.Push([]byte(chunks[i-1]))
	})
}

// ctEndless is a Source that pushes size-byte chunks until destroyed.
func ctEndless(size int) streamcore.Source[[]byte] {
	return streamcore.SourceFunc[[]byte](func(_ context.Context, r *streamcore.Readable[[]byte], _ int) {
		r.Push(bytes.Repeat([]byte{'x'}, size))
	})
}

// ctIdentity returns a byte Transform that passes chunks through; fail, if
// not nil, is consulted for every chunk and may return an error.
func ctIdentity(t *testing.T, fail func(i int) error, opts streamcore.TransformOptions[[]byte]) *streamcore.Transform[[]byte, []byte] {
	t.Helper()
	var n atomic.Int64
	tr, err := streamcore.NewTransform(func(_ context.Context, c []byte, push func([]byte) bool) error {
		i := int(n.Add(1))
		if fail != nil {
			if err := fail(i); err != nil {
				return err
			}
		}
		push(c)
		return nil
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Destroy(nil) })
	return tr
}

// ctRunPipeline runs Pipeline on a goroutine and returns its result channel.
func ctRunPipeline(ctx context.Context, streams ...streamcore.Stream) chan error {
	ch := make(chan error, 1)
	go func() { ch <- streamcore.Pipeline(ctx, streams...) }()
	return ch
}

// ---- Pipe -----------------------------------------------------------------

func TestPipe_P1_Backpressure(t *testing.T) {
	t.Run("pause and resume", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var l ctLog
			src := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
			src.OnPause(func() { l.add("pause") })
			src.OnResume(func() { l.add("resume") })
			g := newCtSink[[]byte](nil, true)
			dst := ctNewW(t, g, 25)
			dst.OnDrain(func() { l.add("drain") })
			streamcore.Pipe(src, dst, streamcore.PipeOptions{})
			c := func(d byte) []byte { return bytes.Repeat([]byte{d}, 10) }
			src.Push(c('1'))
			c1 := g.expect(t, "write:1111111111")
			src.Push(c('2'))
			src.Push(c('3')) // dst length 30 ≥ 25: Write returns false
			synctest.Wait()
			if !src.IsPaused() || dst.Length() != 30 {
				t.Fatalf("after a false write: paused %v, dst length %d; want true, 30", src.IsPaused(), dst.Length())
			}
			src.Push(c('4'))
			synctest.Wait()
			if src.Length() != 10 || dst.Length() != 30 {
				t.Fatalf("paused: src length %d, dst length %d; want 10, 30", src.Length(), dst.Length())
			}
			l.want(t, "resume", "pause")
			c1.reply <- nil
			g.expect(t, "batch:2222222222,3333333333").reply <- nil
			g.expect(t, "write:4444444444").reply <- nil
			synctest.Wait()
			l.want(t, "resume", "pause", "drain", "resume")
			if src.IsPaused() || src.Length() != 0 {
				t.Fatal("not resumed by drain")
			}
			src.PushEnd()
			ctAnswerUntil(t, dst.Done(), g)
		})
	})
	t.Run("destination already needs drain", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			src := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
			g := newCtSink[[]byte](nil, true)
			dst := ctNewW(t, g, 10)
			if dst.Write(ctB("0123456789ab")) {
				t.Fatal("want false")
			}
			c0 := g.expect(t, "write:0123456789ab")
			src.Push(ctB("x"))
			streamcore.Pipe(src, dst, streamcore.PipeOptions{})
			synctest.Wait()
			// As in Node: the source waits for the drain before writing.
			if dst.Length() != 12 || src.Length() != 1 || !src.IsPaused() {
				t.Fatalf("dst length %d, src length %d, paused %v; want 12, 1, true", dst.Length(), src.Length(), src.IsPaused())
			}
			c0.reply <- nil
			g.expect(t, "write:x").reply <- nil
			src.PushEnd()
			ctAnswerUntil(t, dst.Done(), g)
		})
	})
	t.Run("bounded", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const chunk, n, hwm = 10, 300, 64
			i := 0
			src := ctNewR[[]byte](t, streamcore.SourceFunc[[]byte](func(_ context.Context, r *streamcore.Readable[[]byte], _ int) {
				for ; i < n; i++ { // synchronous and eager: pushes past false
					b := make([]byte, chunk)
					for j := range b {
						b[j] = byte(i)
					}
					if !r.Push(b) && i%3 == 0 {
						i++
						return
					}
				}
				r.PushEnd()
			}), streamcore.ReadableOptions{HighWaterMark: streamcore.HWM(hwm)})
			rng := rand.New(rand.NewPCG(1, 2))
			var got []byte
			sink := streamcore.SinkFunc[[]byte](func(_ context.Context, c []byte) error {
				for k := rng.IntN(20); k > 0; k-- {
					runtime.Gosched()
				}
				got = append(got, c...)
				return nil
			})
			dst := ctNewW(t, sink, hwm)
			streamcore.Pipe(src, dst, streamcore.PipeOptions{})
			<-dst.Done()
			if peak := dst.Stats().PeakBuffered; peak >= hwm+chunk {
				t.Fatalf("destination peak %d, want < hwm+chunk = %d", peak, hwm+chunk)
			}
			if len(got) != n*chunk {
				t.Fatalf("got %d bytes, want %d", len(got), n*chunk)
			}
			for k := range got {
				if got[k] != byte(k/chunk) {
					t.Fatalf("byte %d out of order", k)
				}
			}
			if dst.Stats().FalseReturns == 0 {
				t.Fatal("the test never exercised backpressure")
			}
		})
	})
}

func TestPipe_P2_EndEndsDestination(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src, _ := streamcore.FromSlice([]int{1, 2, 3}, streamcore.ReadableOptions{})
		s := newCtSink[int](nil, false)
		dst, _ := streamcore.NewWritable[int](s, streamcore.WritableOptions{ObjectMode: true})
		streamcore.Pipe(src, dst, streamcore.PipeOptions{})
		<-dst.Done()
		if !dst.Finished() || !slices.Equal(s.received(), []int{1, 2, 3}) {
			t.Fatalf("Finished %v, got %v", dst.Finished(), s.received())
		}
		<-src.Done()

		src2, _ := streamcore.FromSlice([]int{1, 2, 3}, streamcore.ReadableOptions{})
		s2 := newCtSink[int](nil, false)
		dst2, _ := streamcore.NewWritable[int](s2, streamcore.WritableOptions{ObjectMode: true})
		streamcore.Pipe(src2, dst2, streamcore.PipeOptions{KeepOpen: true})
		<-src2.Done()
		synctest.Wait()
		if dst2.Ended() || !dst2.Writable() {
			t.Fatal("KeepOpen: the destination was ended")
		}
		dst2.Write(4)
		dst2.End(nil)
		<-dst2.Done()
		if !slices.Equal(s2.received(), []int{1, 2, 3, 4}) {
			t.Fatalf("got %v", s2.received())
		}
	})
}

func TestPipe_P3_WaitsForEveryDestination(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
		g1, g2 := newCtSink[[]byte](nil, true), newCtSink[[]byte](nil, true)
		d1, d2 := ctNewW(t, g1, 5), ctNewW(t, g2, 5)
		streamcore.Pipe(src, d1, streamcore.PipeOptions{})
		streamcore.Pipe(src, d2, streamcore.PipeOptions{})
		src.Push(ctB("aaaaa")) // false from both
		a1, a2 := g1.expect(t, "write:aaaaa"), g2.expect(t, "write:aaaaa")
		src.Push(ctB("bbbbb"))
		synctest.Wait()
		if !src.IsPaused() || src.Length() != 5 {
			t.Fatalf("paused %v, src length %d", src.IsPaused(), src.Length())
		}
		a1.reply <- nil // d1 drains; d2 has not
		synctest.Wait()
		if !src.IsPaused() || src.Length() != 5 || d1.Length() != 0 {
			t.Fatalf("one drained: paused %v, src length %d; want still paused", src.IsPaused(), src.Length())
		}
		g1.none(t)
		a2.reply <- nil
		g1.expect(t, "write:bbbbb").reply <- nil
		g2.expect(t, "write:bbbbb").reply <- nil
		src.PushEnd()
		ctAnswerUntil(t, d1.Done(), g1)
		ctAnswerUntil(t, d2.Done(), g2)
	})
}

func TestPipe_P4_Unpipe(t *testing.T) {
	t.Run("unpipe", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			src := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
			s := newCtSink[[]byte](nil, false)
			dst := ctNewW(t, s, -1)
			streamcore.Pipe(src, dst, streamcore.PipeOptions{})
			src.Push(ctB("a"))
			synctest.Wait()
			src.Unpipe(dst)
			if !src.IsPaused() {
				t.Fatal("source not paused with no pipe left")
			}
			src.Push(ctB("b"))
			synctest.Wait()
			if src.Length() != 1 || dst.Ended() || !dst.Writable() {
				t.Fatalf("src length %d (want the data kept), dst ended %v", src.Length(), dst.Ended())
			}
			// The data kept goes to the next pipe.
			s2 := newCtSink[[]byte](nil, false)
			dst2 := ctNewW(t, s2, -1)
			streamcore.Pipe(src, dst2, streamcore.PipeOptions{})
			src.PushEnd()
			<-dst2.Done()
			if got := ctStr(slices.Concat(s.received()...)); got != "a" {
				t.Fatalf("first destination got %q", got)
			}
			if got := ctStr(slices.Concat(s2.received()...)); got != "b" {
				t.Fatalf("second destination got %q", got)
			}
			if dst.Ended() {
				t.Fatal("unpiped destination was ended by the source's end")
			}
			dst.End(nil)
			<-dst.Done()
		})
	})
	for _, how := range []string{"close", "finish"} {
		t.Run("destination "+how, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				src := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
				dst := ctNewW(t, streamcore.Discard[[]byte]{}, -1)
				streamcore.Pipe(src, dst, streamcore.PipeOptions{KeepOpen: true})
				src.Push(ctB("a"))
				synctest.Wait()
				if how == "close" {
					dst.Destroy(nil)
				} else {
					dst.End(nil)
				}
				<-dst.Done()
				synctest.Wait()
				if !src.IsPaused() {
					t.Fatal("source not unpiped and paused")
				}
				src.Push(ctB("b"))
				synctest.Wait()
				if src.Length() != 1 || src.Destroyed() {
					t.Fatalf("src length %d destroyed %v", src.Length(), src.Destroyed())
				}
				src.Destroy(nil)
				<-src.Done()
			})
		})
	}
}

func TestPipe_P5_NoCleanupOnSourceError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
		var l ctLog
		s := newCtSink[[]byte](&l, false)
		dst := ctNewW(t, s, -1)
		streamcore.Pipe(src, dst, streamcore.PipeOptions{})
		src.Push(ctB("a"))
		synctest.Wait()
		src.Destroy(errCtBoom)
		<-src.Done()
		synctest.Wait()
		// As in Node, the destination is left open: not ended, not
		// destroyed, its sink not closed. Pipeline is the cure (L2).
		if dst.Ended() || dst.Destroyed() || !dst.Writable() || dst.Err() != nil {
			t.Fatalf("destination: ended %v destroyed %v err %v", dst.Ended(), dst.Destroyed(), dst.Err())
		}
		if _, closes := s.counts(); closes != 0 {
			t.Fatal("destination's sink was closed")
		}
		dst.Destroy(nil)
		<-dst.Done()
		l.want(t, "sink:write:a", "sink:close")
	})
}

// ---- Pipeline -------------------------------------------------------------

func TestPipeline_L1_SuccessAfterAllClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		src := ctNewR(t, ctChunks("a", "b", "c"), streamcore.ReadableOptions{})
		mid := ctIdentity(t, nil, streamcore.TransformOptions[[]byte]{})
		s := newCtSink[[]byte](nil, false)
		dst := ctNewW(t, s, -1)
		src.OnClose(func() { l.add("close:src") })
		mid.OnClose(func() { l.add("close:mid") })
		dst.OnFinish(func() { l.add("finish:dst") })
		dst.OnClose(func() { l.add("close:dst") })
		if err := streamcore.Pipeline(context.Background(), src, mid, dst); err != nil {
			t.Fatal(err)
		}
		l.add("done")
		for i, d := range []<-chan struct{}{src.Done(), mid.Done(), dst.Done()} {
			if !ctClosed(d) {
				t.Fatalf("stream %d not closed when Pipeline returned", i)
			}
		}
		if !dst.Finished() || ctStr(slices.Concat(s.received()...)) != "abc" {
			t.Fatalf("finished %v, got %q", dst.Finished(), slices.Concat(s.received()...))
		}
		synctest.Wait() // mid's OnClose runs on a goroutine of its own
		ev := l.events()
		if ev[0] == "done" || !slices.Contains(ev, "finish:dst") || slices.Index(ev, "done") < slices.Index(ev, "close:dst") {
			t.Fatalf("events %q", ev)
		}
		for _, s := range []streamcore.Stream{src, mid, dst} {
			if s.Err() != nil {
				t.Fatalf("stream error %v", s.Err())
			}
		}
	})
}

func TestPipeline_L2_ErrorDestroysAll(t *testing.T) {
	for _, stage := range []string{"source", "middle", "sink"} {
		t.Run(stage, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var srcSrc streamcore.Source[[]byte] = ctEndless(100)
				if stage == "source" {
					n := 0
					srcSrc = streamcore.SourceFunc[[]byte](func(_ context.Context, r *streamcore.Readable[[]byte], _ int) {
						if n++; n == 5 {
							r.Destroy(errCtBoom)
							return
						}
						r.Push(ctB("xxxx"))
					})
				}
				src := ctNewR(t, srcSrc, streamcore.ReadableOptions{HighWaterMark: streamcore.HWM(256)})
				var fail func(int) error
				if stage == "middle" {
					fail = func(i int) error {
						if i == 5 {
							return errCtBoom
						}
						return nil
					}
				}
				mid := ctIdentity(t, fail, streamcore.TransformOptions[[]byte]{HighWaterMark: streamcore.HWM(256)})
				var writes atomic.Int64
				sink := streamcore.SinkFunc[[]byte](func(context.Context, []byte) error {
					if writes.Add(1) == 5 && stage == "sink" {
						return errCtBoom
					}
					return nil
				})
				dst := ctNewW(t, sink, 256)
				var errEvents atomic.Int64
				src.OnError(func(error) { errEvents.Add(1) })
				mid.OnError(func(error) { errEvents.Add(1) })
				dst.OnError(func(error) { errEvents.Add(1) })
				err := streamcore.Pipeline(context.Background(), src, mid, dst)
				if !errors.Is(err, errCtBoom) {
					t.Fatalf("Pipeline: %v, want boom", err)
				}
				for i, s := range []interface {
					streamcore.Stream
					Destroyed() bool
				}{src, mid, dst} {
					if !s.Destroyed() || !errors.Is(s.Err(), errCtBoom) || !ctClosed(s.Done()) {
						t.Fatalf("stream %d: destroyed %v err %v closed %v", i, s.Destroyed(), s.Err(), ctClosed(s.Done()))
					}
				}
				synctest.Wait()
				if n := errEvents.Load(); n != 3 {
					t.Fatalf("%d error events, want one per stream", n)
				}
			})
		})
	}
}

func TestPipeline_L3_PrematureClose(t *testing.T) {
	for _, who := range []string{"sink", "middle"} {
		t.Run(who, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				src := ctNewR(t, ctEndless(10), streamcore.ReadableOptions{HighWaterMark: streamcore.HWM(100)})
				mid := ctIdentity(t, nil, streamcore.TransformOptions[[]byte]{HighWaterMark: streamcore.HWM(100)})
				g := newCtSink[[]byte](nil, true)
				dst := ctNewW(t, g, 100)
				done := ctRunPipeline(context.Background(), src, mid, dst)
				g.next(t)
				if who == "sink" {
					dst.Destroy(nil)
				} else {
					mid.Destroy(nil)
				}
				err := ctRecv(t, done, "pipeline")
				if !errors.Is(err, streamcore.ErrPrematureClose) {
					t.Fatalf("Pipeline: %v, want premature close", err)
				}
				if !src.Destroyed() || !errors.Is(src.Err(), streamcore.ErrPrematureClose) {
					t.Fatalf("source: destroyed %v err %v", src.Destroyed(), src.Err())
				}
				if !dst.Destroyed() || !mid.Destroyed() {
					t.Fatal("not every stream destroyed")
				}
			})
		})
	}
}

func TestPipeline_L4_FirstRealErrorWins(t *testing.T) {
	t.Run("premature close replaced by a later real error", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			src := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
			mid := ctIdentity(t, nil, streamcore.TransformOptions[[]byte]{})
			g := newCtSink[[]byte](nil, true)
			g.closeGate = make(chan struct{})
			dst := ctNewW(t, g, -1)
			done := ctRunPipeline(context.Background(), src, mid, dst)
			src.Push(ctB("a"))
			g.expect(t, "write:a").reply <- errCtBoom // dst fails; its close is held
			synctest.Wait()
			mid.Destroy(nil) // closes first, without an error
			synctest.Wait()
			if !errors.Is(src.Err(), streamcore.ErrPrematureClose) {
				t.Fatalf("source err %v: the premature close was not seen first", src.Err())
			}
			close(g.closeGate) // now dst closes with its real error
			if err := ctRecv(t, done, "pipeline"); !errors.Is(err, errCtBoom) {
				t.Fatalf("Pipeline: %v, want boom", err)
			}
		})
	})
	t.Run("a later real error does not replace the first", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			src := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
			mid := ctIdentity(t, nil, streamcore.TransformOptions[[]byte]{})
			g := newCtSink[[]byte](nil, true)
			g.closeGate = make(chan struct{})
			dst := ctNewW(t, g, -1)
			done := ctRunPipeline(context.Background(), src, mid, dst)
			src.Push(ctB("a"))
			g.expect(t, "write:a").reply <- errCtBoom2 // dst fails; its close is held
			synctest.Wait()
			mid.Destroy(errCtBoom) // the first error the pipeline sees
			synctest.Wait()
			close(g.closeGate) // dst closes with its own, second, error
			if err := ctRecv(t, done, "pipeline"); !errors.Is(err, errCtBoom) {
				t.Fatalf("Pipeline: %v, want boom", err)
			}
			if !errors.Is(dst.Err(), errCtBoom2) || !errors.Is(src.Err(), errCtBoom) {
				t.Fatalf("dst err %v (want boom2), src err %v (want boom)", dst.Err(), src.Err())
			}
		})
	})
	t.Run("first real error wins", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			src := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
			g := newCtSink[[]byte](nil, true)
			g.ignoreCtx = true
			dst := ctNewW(t, g, -1)
			done := ctRunPipeline(context.Background(), src, dst)
			src.Push(ctB("a"))
			a := g.expect(t, "write:a")
			src.Destroy(errCtBoom)
			synctest.Wait()
			a.reply <- errCtBoom2 // a later, second error
			if err := ctRecv(t, done, "pipeline"); !errors.Is(err, errCtBoom) {
				t.Fatalf("Pipeline: %v, want boom", err)
			}
			if !errors.Is(dst.Err(), errCtBoom) {
				t.Fatalf("dst err %v, want boom", dst.Err())
			}
		})
	})
}

func TestPipeline_L5_ContextCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := ctNewR(t, ctEndless(10), streamcore.ReadableOptions{HighWaterMark: streamcore.HWM(100)})
		mid := ctIdentity(t, nil, streamcore.TransformOptions[[]byte]{HighWaterMark: streamcore.HWM(100)})
		g := newCtSink[[]byte](nil, true)
		dst := ctNewW(t, g, 100)
		ctx, cancel := context.WithCancel(context.Background())
		done := ctRunPipeline(ctx, src, mid, dst)
		g.next(t) // data is flowing
		cancel()
		if err := ctRecv(t, done, "pipeline"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Pipeline: %v, want context.Canceled", err)
		}
		for i, s := range []interface {
			streamcore.Stream
			Destroyed() bool
		}{src, mid, dst} {
			if !s.Destroyed() || !errors.Is(s.Err(), context.Canceled) || !ctClosed(s.Done()) {
				t.Fatalf("stream %d: destroyed %v err %v", i, s.Destroyed(), s.Err())
			}
		}
	})
}

func TestPipeline_L6_UsageErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		if err := streamcore.Pipeline(ctx); !errors.Is(err, streamcore.ErrPipelineTooShort) {
			t.Fatalf("no streams: %v", err)
		}
		src := ctNewR(t, ctChunks("a"), streamcore.ReadableOptions{})
		if err := streamcore.Pipeline(ctx, src); !errors.Is(err, streamcore.ErrPipelineTooShort) {
			t.Fatalf("one stream: %v", err)
		}
		w := ctNewW(t, streamcore.Discard[[]byte]{}, -1)
		if err := streamcore.Pipeline(ctx, w, src); err == nil || errors.Is(err, streamcore.ErrPipelineTooShort) {
			t.Fatalf("writable first: %v", err)
		}
		wi, _ := streamcore.NewWritable[int](streamcore.Discard[int]{}, streamcore.WritableOptions{ObjectMode: true})
		if err := streamcore.Pipeline(ctx, src, wi); err == nil {
			t.Fatal("mismatched chunk types: no error")
		}
		synctest.Wait()
		// Nothing was started or destroyed.
		if src.Destroyed() || src.Flowing() || w.Destroyed() || wi.Destroyed() {
			t.Fatal("a usage error touched the streams")
		}
		src.Destroy(nil)
		w.Destroy(nil)
		wi.Destroy(nil)
		<-src.Done()
		<-w.Done()
		<-wi.Done()
	})
}

// ---- Transform ------------------------------------------------------------

func TestTransform_T1_Backpressure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		var calls atomic.Int64
		tr := ctIdentity(t, func(int) error { calls.Add(1); return nil }, streamcore.TransformOptions[[]byte]{HighWaterMark: streamcore.HWM(10)})
		w, r := tr.Writable, tr.Readable
		w.OnDrain(func() { l.add("drain") })
		write := func(s string) bool { ok := w.Write(ctB(s)); synctest.Wait(); return ok }
		if !write("aaaaa") || !write("bbbbb") {
			t.Fatal("first two writes returned false")
		}
		// No reader: the readable side is at its mark and b is held.
		if r.Length() != 10 || w.Length() != 5 || calls.Load() != 2 {
			t.Fatalf("readable %d, writable %d, calls %d; want 10, 5, 2", r.Length(), w.Length(), calls.Load())
		}
		if write("ccccc") || write("ddddd") {
			t.Fatal("writes piling up returned true")
		}
		if r.Length() != 10 || w.Length() != 15 || calls.Load() != 2 {
			t.Fatalf("readable %d, writable %d, calls %d; want 10, 15, 2", r.Length(), w.Length(), calls.Load())
		}
		// Reading releases it.
		if s, _ := ctRead(r, 0); s != "aaaaabbbbb" {
			t.Fatalf("read %q", s)
		}
		synctest.Wait()
		if r.Length() != 10 || w.Length() != 5 {
			t.Fatalf("after a read: readable %d, writable %d; want 10, 5", r.Length(), w.Length())
		}
		l.want(t)
		if s, _ := ctRead(r, 0); s != "cccccddddd" {
			t.Fatalf("read %q", s)
		}
		synctest.Wait()
		l.want(t, "drain")
		if w.Length() != 0 || calls.Load() != 4 {
			t.Fatalf("writable %d, calls %d", w.Length(), calls.Load())
		}
		w.End(nil)
		synctest.Wait()
		if _, ok := r.Read(0); ok {
			t.Fatal("data after the end")
		}
		<-tr.Done()
	})
}

func TestTransform_T2_FlushAndError(t *testing.T) {
	t.Run("flush", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var l ctLog
			tr, err := streamcore.NewTransform(func(_ context.Context, c string, push func(string) bool) error {
				l.add("fn:%s", c)
				push(strings.ToUpper(c))
				return nil
			}, streamcore.TransformOptions[string]{Flush: func(_ context.Context, push func(string) bool) error {
				l.add("flush")
				push("TAIL")
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			tr.Readable.OnEnd(func() { l.add("end") })
			tr.Writable.OnFinish(func() { l.add("finish") })
			tr.Writable.Write("a")
			tr.Writable.Write("b")
			synctest.Wait()
			l.want(t, "fn:a", "fn:b") // no flush before End
			tr.Writable.End(nil)
			synctest.Wait()
			l.want(t, "fn:a", "fn:b", "flush", "finish")
			var got []string
			for {
				c, err := tr.Readable.Next(context.Background())
				if err == io.EOF {
					break
				}
				got = append(got, c)
			}
			<-tr.Done()
			if !slices.Equal(got, []string{"A", "B", "TAIL"}) {
				t.Fatalf("got %q", got)
			}
			l.want(t, "fn:a", "fn:b", "flush", "finish", "end")
		})
	})
	t.Run("error", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var l ctLog
			tr := ctIdentity(t, func(i int) error {
				if i == 2 {
					return errCtBoom
				}
				return nil
			}, streamcore.TransformOptions[[]byte]{})
			tr.OnError(func(err error) { l.add("error:%s", ctErrName(err)) })
			tr.Writable.Write(ctB("a"))
			fn, ch := ctErrCh()
			tr.Writable.WriteCB(ctB("b"), fn)
			if err := ctRecv(t, ch, "callback"); !errors.Is(err, errCtBoom) {
				t.Fatalf("failing write: %v", err)
			}
			<-tr.Done()
			l.want(t, "error:boom")
			if !tr.Writable.Destroyed() || !tr.Readable.Destroyed() || !errors.Is(tr.Err(), errCtBoom) || !errors.Is(tr.Readable.Err(), errCtBoom) {
				t.Fatalf("destroyed %v/%v err %v/%v", tr.Writable.Destroyed(), tr.Readable.Destroyed(), tr.Err(), tr.Readable.Err())
			}
			if tr.Readable.Ended() {
				t.Fatal("readable side ended after an error")
			}
		})
	})
}

// ctRandomSource pushes data in chunks of random sizes, then ends.
func ctRandomSource(data []byte, seed uint64) streamcore.Source[[]byte] {
	rng := rand.New(rand.NewPCG(seed, seed))
	return streamcore.SourceFunc[[]byte](func(_ context.Context, r *streamcore.Readable[[]byte], _ int) {
		if len(data) == 0 {
			r.PushEnd()
			return
		}
		n := min(len(data), 1+rng.IntN(40<<10))
		r.Push(data[:n:n])
		data = data[n:]
	})
}

func ctRandomBytes(n int, seed uint64) []byte {
	// Mostly text from a small alphabet (so gzip has work to do), with
	// one byte in eight arbitrary.
	var tbl [256]byte
	for i := range tbl {
		tbl[i] = "abcdefgh ijklmn\n"[i%16]
		if i%8 == 7 {
			tbl[i] = byte(i * 37)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	b := make([]byte, n+8)
	for i := 0; i < n; i += 8 {
		x := rng.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = tbl[byte(x>>(8*j))]
		}
	}
	return b[:n:n]
}

func TestTransform_T3_GzipRoundTrip(t *testing.T) {
	t.Run("round trip", func(t *testing.T) {
		for _, size := range []int{0, 1, 100 << 10, 1 << 20} {
			data := ctRandomBytes(size, uint64(size))
			var out bytes.Buffer
			src := ctNewR(t, ctRandomSource(data, 7), streamcore.ReadableOptions{})
			gz, err := streamcore.NewGzip(gzip.BestSpeed, streamcore.TransformOptions[[]byte]{})
			if err != nil {
				t.Fatal(err)
			}
			gun, _ := streamcore.NewGunzip(streamcore.TransformOptions[[]byte]{HighWaterMark: streamcore.HWM(8 << 10)})
			dst := ctNewW(t, streamcore.NewWriterSink(&out), 16<<10)
			if err := streamcore.Pipeline(context.Background(), src, gz, gun, dst); err != nil {
				t.Fatalf("size %d: %v", size, err)
			}
			if !bytes.Equal(out.Bytes(), data) {
				t.Fatalf("size %d: round trip differs (%d bytes back)", size, out.Len())
			}
		}
	})
	t.Run("corrupt input", func(t *testing.T) {
		data := ctRandomBytes(300<<10, 3)
		var zipped bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&zipped, gzip.BestSpeed)
		zw.Write(data)
		zw.Close()
		good := zipped.Bytes()
		for name, bad := range map[string][]byte{
			"not gzip":    bytes.Repeat([]byte("this is not gzip data "), 1000),
			"bad body":    slices.Concat(good[:len(good)/2], bytes.Repeat([]byte{0xff}, 64), good[len(good)/2+64:]),
			"truncated":   good[:len(good)/2],
			"bad trailer": slices.Concat(good[:len(good)-8], []byte{1, 2, 3, 4, 5, 6, 7, 8}),
		} {
			t.Run(name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					src := ctNewR(t, ctRandomSource(bad, 5), streamcore.ReadableOptions{})
					gun, _ := streamcore.NewGunzip(streamcore.TransformOptions[[]byte]{})
					var l ctLog
					s := newCtSink[[]byte](&l, false)
					dst := ctNewW(t, s, -1)
					err := streamcore.Pipeline(context.Background(), src, gun, dst)
					if err == nil {
						t.Fatal("corrupt input: Pipeline returned nil")
					}
					// The source may have ended before the decoder failed (as in
					// Node, a stream that completed is not failed after the
					// fact); the others fail with the decoder's error.
					if !ctClosed(src.Done()) || (src.Err() == nil && !src.Ended()) {
						t.Fatalf("source: closed %v err %v ended %v", ctClosed(src.Done()), src.Err(), src.Ended())
					}
					if src.Err() != nil && !errors.Is(src.Err(), err) {
						t.Fatalf("source err %v, want %v", src.Err(), err)
					}
					for i, st := range []interface {
						streamcore.Stream
						Destroyed() bool
					}{gun, dst} {
						if !st.Destroyed() || !errors.Is(st.Err(), err) || !ctClosed(st.Done()) {
							t.Fatalf("stage %d: destroyed %v err %v, want %v", i+1, st.Destroyed(), st.Err(), err)
						}
					}
					if dst.Finished() || slices.Contains(l.events(), "sink:final") {
						t.Fatal("the sink finished on corrupt input")
					}
				})
			})
		}
	})
}

// Like Node's pipeline, a Transform at the end is watched on its writable
// side only: Pipeline returns once it has finished, while its readable side
// is still being consumed elsewhere (and one at the start on its readable
// side only).
func TestPipeline_L1_TransformEndsWatchedOnUsedSide(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := ctNewR(t, ctChunks("a", "b"), streamcore.ReadableOptions{})
		last := ctIdentity(t, nil, streamcore.TransformOptions[[]byte]{})
		var got []byte
		release := make(chan struct{})
		last.Readable.OnData(func(c []byte) {
			<-release // the consumer of the output is slower than the pipeline
			got = append(got, c...)
		})
		if err := streamcore.Pipeline(context.Background(), src, last); err != nil {
			t.Fatal(err)
		}
		if !last.Writable.Finished() {
			t.Fatal("Pipeline returned before the last stage's writable side finished")
		}
		close(release)
		<-last.Done()
		if string(got) != "ab" {
			t.Fatalf("output %q", got)
		}
	})
}
