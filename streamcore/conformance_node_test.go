package streamcore_test

// Flow-control paths found to differ from Node 20 (issue 8), each checked
// against the equivalent JavaScript run by node, and ports of the Node
// tests that cover them (test/parallel/test-stream-*.js in nodejs/node;
// the file each comes from is named in the test's comment).

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bpbench/bpbench/streamcore"
)

// TestPipe_P6_PipeAwaitDrainManualResume ports
// test-stream-pipe-await-drain-manual-resume.js: a source resumed by hand
// while it waits for its destination's drain pauses again on the next false
// write, so the destination never takes more than its highWaterMark plus a
// chunk per resume.
func TestPipe_P6_PipeAwaitDrainManualResume(t *testing.T) {
	hundred := func(d byte) []byte { return bytes.Repeat([]byte{d}, 100) }
	t.Run("manual resume", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var l ctLog
			src := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
			src.OnPause(func() { l.add("pause") })
			g := newCtSink[[]byte](nil, true)
			dst := ctNewW(t, g, 5)
			finished := make(chan struct{})
			dst.OnFinish(func() { close(finished) })
			streamcore.Pipe(src, dst, streamcore.PipeOptions{})
			src.Push(hundred('a')) // fills the writable: first pause
			src.Push(hundred('b'))
			src.Push(hundred('c'))
			src.PushEnd()
			first := g.expect(t, "write:"+string(hundred('a')))
			synctest.Wait()
			l.want(t, "pause")
			src.Resume()
			synctest.Wait()
			// The next write returned false again: paused again, with the
			// third chunk still in the source.
			l.want(t, "pause", "pause")
			if dst.Length() != 200 || src.Length() != 100 || !src.IsPaused() {
				t.Fatalf("after resume: dst %d, src %d, paused %v; want 200, 100, true", dst.Length(), src.Length(), src.IsPaused())
			}
			first.reply <- nil
			ctAnswerUntil(t, finished, g)
			if got := len(g.received()); got != 3 {
				t.Fatalf("%d chunks reached the sink, want 3", got)
			}
		})
	})
	t.Run("piped into a second destination", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			src := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
			slow := newCtSink[[]byte](nil, true)
			d1 := ctNewW(t, slow, 5)
			d2 := ctNewW(t, newCtSink[[]byte](nil, false), -1)
			streamcore.Pipe(src, d1, streamcore.PipeOptions{})
			src.Push(hundred('a'))
			inflight := slow.expect(t, "write:"+string(hundred('a')))
			synctest.Wait()
			if !src.IsPaused() {
				t.Fatal("not paused by the false write")
			}
			src.Push(hundred('b'))
			src.Push(hundred('c'))
			streamcore.Pipe(src, d2, streamcore.PipeOptions{}) // resumes src, as in Node
			synctest.Wait()
			// b went to both; d1 said false again, so c waits in src.
			if d1.Length() != 200 || src.Length() != 100 || !src.IsPaused() {
				t.Fatalf("d1 %d, src %d, paused %v; want 200, 100, true", d1.Length(), src.Length(), src.IsPaused())
			}
			inflight.reply <- nil
			src.PushEnd()
			ctAnswerUntil(t, d1.Done(), slow)
			<-d2.Done()
		})
	})
}

// TestPipe_P7_UnpipeAwaitedResumes: unpiping the destination the source
// waits for resumes the source when a data listener remains, and leaves it
// paused when none does (checked against node 20; Node's cleanup calls the
// pipe's ondrain, which resumes a source with data listeners).
func TestPipe_P7_UnpipeAwaitedResumes(t *testing.T) {
	for _, listener := range []bool{true, false} {
		name := map[bool]string{true: "data listener remains", false: "no listener"}[listener]
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				src := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
				g := newCtSink[[]byte](nil, true)
				dst := ctNewW(t, g, 15)
				streamcore.Pipe(src, dst, streamcore.PipeOptions{})
				var got int
				if listener {
					src.OnData(func(c []byte) { got += len(c) })
				}
				src.Push(ctB("0123456789"))
				inflight := g.expect(t, "write:0123456789")
				src.Push(ctB("0123456789")) // dst at 20 ≥ 15: paused
				synctest.Wait()
				src.Push(ctB("0123456789"))
				synctest.Wait()
				if !src.IsPaused() || src.Length() != 10 {
					t.Fatalf("paused %v, src length %d; want waiting for drain with a chunk kept", src.IsPaused(), src.Length())
				}
				src.Unpipe(dst)
				synctest.Wait()
				if listener {
					src.PushEnd()
					ctWait(t, src.Done(), "the source to end after resuming")
					if got != 30 {
						t.Errorf("the data listener saw %d bytes, want 30", got)
					}
				} else if !src.IsPaused() || src.Flowing() {
					t.Error("resumed with no data listener")
				}
				inflight.reply <- nil
				ctDrainGate(t, dst, g)
			})
		})
	}
}

// TestReadable_R9_EndAfterPauseOnLastChunk: after PushEnd, a consumer
// that pauses in the data listener of the last chunk still gets end once the
// buffer is empty (node 20: "data:a data:b end", paused true).
func TestReadable_R9_EndAfterPauseOnLastChunk(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		r := ctNewR[string](t, &ctManual[string]{}, streamcore.ReadableOptions{ObjectMode: true})
		r.OnData(func(c string) {
			l.add("data:%s", c)
			if c == "b" {
				r.Pause()
			}
		})
		r.OnEnd(func() { l.add("end") })
		r.Push("a")
		r.Push("b")
		r.PushEnd()
		ctWait(t, r.Done(), "end and close")
		l.want(t, "data:a", "data:b", "end")
		if !r.IsPaused() || !r.Ended() {
			t.Fatalf("paused %v ended %v; want both", r.IsPaused(), r.Ended())
		}
	})
}

// TestTransform_T4_HeldOnlyWithOutput: as in Node's Transform (a write's
// callback is held only when the chunk pushed output and the readable side
// is full), a chunk that produces nothing completes at once, so finish does
// not wait for a reader; one that produced output into a full readable side
// is held until a reader asks, so finish waits for one (node 20: finish
// only after a read).
func TestTransform_T4_HeldOnlyWithOutput(t *testing.T) {
	t.Run("no output, no hold", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			n := 0
			tr, err := streamcore.NewTransform(func(_ context.Context, c []byte, push func([]byte) bool) error {
				n++
				if n == 1 {
					push(c)
				}
				return nil
			}, streamcore.TransformOptions[[]byte]{HighWaterMark: streamcore.HWM(10)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { tr.Destroy(nil) })
			finished := make(chan struct{})
			tr.Writable.OnFinish(func() { close(finished) })
			tr.Writable.Write(bytes.Repeat([]byte{'x'}, 5)) // readable side 5 < 10: not held
			tr.Writable.Write(bytes.Repeat([]byte{'y'}, 10))
			tr.Writable.Write(bytes.Repeat([]byte{'z'}, 10))
			tr.Writable.End(nil)
			ctWait(t, finished, "finish without a reader")
		})
	})
	t.Run("output held until read", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			tr := ctIdentity(t, nil, streamcore.TransformOptions[[]byte]{HighWaterMark: streamcore.HWM(10)})
			finished := make(chan struct{})
			tr.Writable.OnFinish(func() { close(finished) })
			for i := 0; i < 3; i++ {
				tr.Writable.Write(bytes.Repeat([]byte{'x'}, 10))
			}
			tr.Writable.End(nil)
			synctest.Wait()
			if ctClosed(finished) {
				t.Fatal("finished with output held and no reader")
			}
			for !ctClosed(finished) {
				if _, err := tr.Readable.Next(context.Background()); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
			}
		})
	})
}

// TestReadable_R10_ReadableEvent: OnReadable notifies a paused-mode
// consumer when data can be read and once more at the end (node 20:
// "readable read:ab readable read:c readable end", flowing false).
func TestReadable_R10_ReadableEvent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		r := ctNewR[string](t, &ctManual[string]{}, streamcore.ReadableOptions{})
		r.OnReadable(func() {
			l.add("readable")
			for {
				c, ok := r.Read(0)
				if !ok {
					return
				}
				l.add("read:%s", c)
			}
		})
		r.OnEnd(func() { l.add("end") })
		r.Push("a")
		r.Push("b")
		synctest.Wait()
		r.Push("c")
		synctest.Wait()
		r.PushEnd()
		ctWait(t, r.Done(), "end")
		l.want(t, "readable", "read:ab", "readable", "read:c", "readable", "end")
		if r.Flowing() {
			t.Error("flowing with a readable listener")
		}
	})
}

// TestReadable_R11_RemoveListeners: the functions OnData, OnReadable and
// OnDrain return remove the listener (Node's removeListener). Removing the
// last data listener does not pause the stream; removing the last readable
// listener lets a data listener make it flow (node 20: "readable
// flowing=false d:a flowing true").
func TestReadable_R11_RemoveListeners(t *testing.T) {
	t.Run("data", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var l ctLog
			r := ctNewR[[]byte](t, ctChunks("0", "1", "2"), streamcore.ReadableOptions{})
			var remove func()
			r.Pause() // so that the flow starts only once remove is set
			remove = r.OnData(func(c []byte) {
				l.add("d:%s", c)
				remove()
			})
			r.Resume()
			ctWait(t, r.Done(), "end")
			l.want(t, "d:0")
			if !r.Ended() {
				t.Error("removing the data listener stopped the flow")
			}
		})
	})
	t.Run("readable then data", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var l ctLog
			r := ctNewR[string](t, &ctManual[string]{}, streamcore.ReadableOptions{})
			r.OnData(func(c string) { l.add("d:%s", c) })
			remove := r.OnReadable(func() { l.add("readable") })
			r.Push("a")
			synctest.Wait()
			l.add("flowing=%v", r.Flowing())
			remove()
			synctest.Wait()
			l.want(t, "readable", "flowing=false", "d:a")
			if !r.Flowing() {
				t.Error("not flowing after the readable listener was removed")
			}
		})
	})
	t.Run("drain", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var l ctLog
			g := newCtSink[[]byte](nil, true)
			w := ctNewW(t, g, 1)
			w.OnDrain(func() { l.add("kept") })
			remove := w.OnDrain(func() { l.add("removed") })
			remove()
			remove() // a second call changes nothing
			w.Write(ctB("x"))
			g.expect(t, "write:x").reply <- nil
			synctest.Wait()
			l.want(t, "kept")
			if s := w.Stats(); s.DrainListeners != 1 {
				t.Errorf("%d drain listeners, want 1", s.DrainListeners)
			}
			ctDrainGate(t, w, g)
		})
	})
}

// TestWritable_E6_EndWithLastChunk: EndWith(chunk, cb) is Node's
// end(chunk, cb): the chunk is written, then cb, then finish (node 20:
// "w:last cb finish"); after End it fails with write after end.
func TestWritable_E6_EndWithLastChunk(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		w := ctNewW(t, newCtSink[[]byte](&l, false), -1)
		w.OnFinish(func() { l.add("finish") })
		w.EndWith(ctB("last"), l.cb("cb"))
		<-w.Done()
		l.want(t, "sink:write:last", "sink:final", "cb:nil", "finish", "sink:close")

		var l2 ctLog
		w2 := ctNewW(t, newCtSink[[]byte](nil, false), -1)
		w2.End(nil)
		w2.EndWith(ctB("late"), l2.cb("cb"))
		<-w2.Done()
		if !errors.Is(w2.Err(), streamcore.ErrWriteAfterEnd) {
			t.Fatalf("err %v, want write after end", w2.Err())
		}
	})
}

// TestPipe_P3_PipeAwaitDrain ports test-stream-pipe-await-drain.js: with
// a fast and a slow destination, a chunk pushed after the slow one said
// false does not reach the fast one until the slow one drains.
func TestPipe_P3_PipeAwaitDrain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
		fast := newCtSink[[]byte](nil, false)
		slow := newCtSink[[]byte](nil, true)
		w1 := ctNewW(t, fast, -1)
		w2 := ctNewW(t, slow, -1)
		streamcore.Pipe(src, w1, streamcore.PipeOptions{})
		streamcore.Pipe(src, w2, streamcore.PipeOptions{})
		big := make([]byte, 560000) // above the highWaterMark: Write returns false
		src.Push(big)
		held := slow.next(t) // never answered until the end: the slow consumer
		synctest.Wait()
		src.Push(big) // must not get through to w1: w2 is not done
		synctest.Wait()
		if n := len(fast.received()); n != 1 {
			t.Fatalf("the fast destination got %d chunks, want 1", n)
		}
		held.reply <- nil
		src.PushEnd()
		ctAnswerUntil(t, w2.Done(), slow)
		<-w1.Done()
		if n := len(fast.received()); n != 2 {
			t.Fatalf("after the drain the fast destination got %d chunks, want 2", n)
		}
	})
}

// TestDefaults_D3_TransformSplitHighWaterMark ports
// test-stream-transform-split-highwatermark.js (Node's default is 16 KiB
// in v20; ours is 64 KiB, D1).
func TestDefaults_D3_TransformSplitHighWaterMark(t *testing.T) {
	const def = streamcore.DefaultHighWaterMark
	h := streamcore.HWM
	for _, c := range []struct {
		r, w    int64
		hwm, rh *int
		wh      *int
	}{
		{666, def, nil, h(666), nil},
		{def, 777, nil, nil, h(777)},
		{666, 777, nil, h(666), h(777)},
		// highWaterMark overrides the per-side options
		{555, 555, h(555), h(666), nil},
		{555, 555, h(555), nil, h(777)},
		{555, 555, h(555), h(666), h(777)},
		// nil is "not set"
		{def, def, nil, nil, nil},
	} {
		tr, err := streamcore.NewTransform(func(context.Context, []byte, func([]byte) bool) error { return nil },
			streamcore.TransformOptions[[]byte]{HighWaterMark: c.hwm, ReadableHighWaterMark: c.rh, WritableHighWaterMark: c.wh})
		if err != nil {
			t.Fatal(err)
		}
		if r, w := tr.Readable.HighWaterMark(), tr.Writable.HighWaterMark(); r != c.r || w != c.w {
			t.Errorf("%+v: readable %d writable %d, want %d %d", c, r, w, c.r, c.w)
		}
		tr.Destroy(nil)
	}
}

// TestReadable_R10_StreamReadableEvent ports test-stream-readable-event.js:
// a readable listener attached after data was pushed is notified, and the
// Source is asked for more only below the highWaterMark and before the end.
func TestReadable_R10_StreamReadableEvent(t *testing.T) {
	for _, c := range []struct {
		name     string
		hwm      int
		push     string
		end      bool
		wantRead bool
	}{
		{"above the highWaterMark, not reading", 3, "blerg", false, false},
		{"below the highWaterMark, reading", 3, "bl", false, true},
		{"ended below the highWaterMark", 30, "blerg", true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				src := &ctManual[[]byte]{}
				r := ctNewR[[]byte](t, src, streamcore.ReadableOptions{HighWaterMark: streamcore.HWM(c.hwm)})
				r.Push(ctB(c.push))
				if c.end {
					r.PushEnd()
				}
				caught := make(chan struct{}, 1)
				r.OnReadable(func() {
					select {
					case caught <- struct{}{}:
					default:
					}
				})
				synctest.Wait()
				ctRecv(t, caught, "the readable event")
				if read := src.count() > 0; read != c.wantRead {
					t.Errorf("source asked: %v, want %v", read, c.wantRead)
				}
			})
		})
	}
}

// TestPipe_P7_PipeFlowAfterUnpipe ports test-stream-pipe-flow-after-unpipe.js:
// unpiping a destination whose write never finishes un-blocks the source,
// which keeps flowing to its data listener.
func TestPipe_P7_PipeFlowAfterUnpipe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rs := ctNewR[[]byte](t, streamcore.SourceFunc[[]byte](func(_ context.Context, r *streamcore.Readable[[]byte], _ int) {
			r.Push(ctB("foo"))
		}), streamcore.ReadableOptions{HighWaterMark: streamcore.HWM(1)})
		writing := make(chan struct{}, 1)
		ws := ctNewW(t, streamcore.SinkFunc[[]byte](func(ctx context.Context, _ []byte) error {
			writing <- struct{}{}
			<-ctx.Done() // this write never finishes
			return ctx.Err()
		}), 1)
		paused := make(chan struct{})
		chunks := 0
		rs.OnData(func([]byte) {
			chunks++
			if chunks == 20 {
				rs.Pause() // finish the test
				close(paused)
			}
		})
		streamcore.Pipe(rs, ws, streamcore.PipeOptions{})
		ctRecv(t, writing, "the first write")
		rs.Unpipe(ws)
		ctWait(t, paused, "20 chunks after unpipe")
	})
}

// TestReadable_R7_StreamEndPaused ports test-stream-end-paused.js: a paused
// stream whose source ends without data still emits end once resumed, and
// the source is asked once.
func TestReadable_R7_StreamEndPaused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &ctManual[[]byte]{onRead: func(_ int, r *streamcore.Readable[[]byte]) { r.PushEnd() }}
		r := ctNewR[[]byte](t, src, streamcore.ReadableOptions{})
		r.OnData(func([]byte) { t.Error("got data") })
		r.Pause()
		synctest.Wait()
		ended := make(chan struct{})
		r.OnEnd(func() { close(ended) })
		r.Resume()
		ctWait(t, ended, "end")
		if n := src.count(); n != 1 {
			t.Errorf("source asked %d times, want 1", n)
		}
	})
}

// TestPipe_P8_PipeEndedSource: a source whose data went to an earlier
// listener and that has ended, piped afterwards, ends the destination at
// once (checked against node 20: the destination finishes), leaves a
// KeepOpen destination open, and Pipeline over it completes instead of
// waiting for an end that has passed.
func TestPipe_P8_PipeEndedSource(t *testing.T) {
	ended := func(t *testing.T) *streamcore.Readable[[]byte] {
		src, err := streamcore.FromSlice([][]byte{[]byte("a"), []byte("b")}, streamcore.ReadableOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var got int
		src.OnData(func(c []byte) { got += len(c) })
		<-src.Done()
		if !src.Ended() || got != 2 {
			t.Fatalf("source not ended after its data (%d bytes)", got)
		}
		return src
	}
	t.Run("pipe", func(t *testing.T) {
		src := ended(t)
		dst := ctNewW(t, newCtSink[[]byte](nil, false), 16)
		streamcore.Pipe(src, dst, streamcore.PipeOptions{})
		select {
		case <-dst.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("the destination of an ended source never finished")
		}
		if !dst.Finished() {
			t.Errorf("destination closed without finishing: %v", dst.Err())
		}
	})
	t.Run("keep open", func(t *testing.T) {
		src := ended(t)
		dst := ctNewW(t, newCtSink[[]byte](nil, false), 16)
		defer dst.Destroy(nil)
		streamcore.Pipe(src, dst, streamcore.PipeOptions{KeepOpen: true})
		time.Sleep(20 * time.Millisecond)
		if dst.Ended() {
			t.Error("a KeepOpen destination was ended")
		}
		if !dst.Write([]byte("x")) {
			t.Error("the KeepOpen destination refuses writes")
		}
	})
	t.Run("pipeline", func(t *testing.T) {
		src := ended(t)
		dst := ctNewW(t, newCtSink[[]byte](nil, false), 16)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := streamcore.Pipeline(ctx, src, dst); err != nil {
			t.Fatalf("Pipeline over an ended source: %v", err)
		}
	})
}
