package streamcore_test

// Tests for the sinks, sources and adapters outside CONFORMANCE.md's
// items: Throttled, Discard, Unbatched, WriterSink, files, Reader,
// FromSlice, and gunzip's decoder goroutine.

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"testing/synctest"
	"time"

	"github.com/bpbench/bpbench/streamcore"
)

// ctWriteAll writes chunks of size n totalling total bytes, honouring
// backpressure, and closes w.
func ctWriteAll(t *testing.T, w *streamcore.Writable[[]byte], total, n int) {
	t.Helper()
	for i := 0; i < total; i += n {
		if !w.Write(make([]byte, n)) {
			if err := w.WaitDrain(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestThrottled_Rate(t *testing.T) {
	// 64 KiB at 256 KiB/s is 0.25 s.
	const total, rate = 64 << 10, 256 << 10
	t.Run("fake clock", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			w := ctNewW(t, streamcore.Throttled(streamcore.Discard[[]byte]{}, streamcore.Throttle{Rate: rate}), 8<<10)
			start := time.Now()
			ctWriteAll(t, w, total, 4<<10)
			if d := time.Since(start); d < 249*time.Millisecond || d > 251*time.Millisecond {
				t.Fatalf("took %v of fake time, want 250ms", d)
			}
		})
	})
	t.Run("real clock", func(t *testing.T) {
		w := ctNewW(t, streamcore.Throttled(streamcore.Discard[[]byte]{}, streamcore.Throttle{Rate: rate}), 8<<10)
		start := time.Now()
		ctWriteAll(t, w, total, 4<<10)
		if d := time.Since(start); d < 200*time.Millisecond || d > 2*time.Second {
			t.Fatalf("took %v, want about 250ms (at least 200ms, at most 8x)", d)
		}
	})
	t.Run("latency per call", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			// Unbatched: every write is a call and pays the latency.
			th := streamcore.Throttled(streamcore.Discard[[]byte]{}, streamcore.Throttle{Latency: 10 * time.Millisecond})
			w := ctNewW(t, streamcore.Unbatched[[]byte](th), -1)
			start := time.Now()
			ctWriteAll(t, w, 5, 1)
			if d := time.Since(start); d != 50*time.Millisecond {
				t.Fatalf("5 calls took %v, want 50ms", d)
			}
		})
	})
	t.Run("destroy stops waiting", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var l ctLog
			th := streamcore.Throttled(streamcore.Discard[[]byte]{}, streamcore.Throttle{Latency: time.Hour})
			w := ctNewW(t, th, -1)
			w.WriteCB(ctB("a"), l.cb("cb:a"))
			synctest.Wait()
			start := time.Now()
			w.Destroy(nil)
			<-w.Done()
			if d := time.Since(start); d != 0 {
				t.Fatalf("destroy waited %v", d)
			}
			l.want(t, "cb:a:canceled")
		})
	})
}

func TestDiscard(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var sink streamcore.Sink[[]byte] = streamcore.Discard[[]byte]{}
		if _, ok := sink.(streamcore.BatchSink[[]byte]); !ok {
			t.Fatal("Discard is not a BatchSink")
		}
		w := ctNewW(t, sink, 100)
		for i := 0; i < 1000; i++ {
			if !w.Write(make([]byte, 10)) {
				w.WaitDrain(context.Background())
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if s := w.Stats(); s.Writes != 1000 || s.Buffered != 0 || s.PeakBuffered > 110 {
			t.Fatalf("stats %+v", s)
		}
	})
}

func TestUnbatched(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		g := newCtSink[[]byte](&l, true)
		g.finalErr = nil
		u := streamcore.Unbatched[[]byte](g)
		if _, ok := u.(streamcore.BatchSink[[]byte]); ok {
			t.Fatal("Unbatched still has WriteBatch")
		}
		w := ctNewW(t, u, -1)
		w.Write(ctB("a"))
		a := g.expect(t, "write:a")
		w.Write(ctB("b"))
		w.Write(ctB("c"))
		w.Flush()
		a.reply <- nil
		g.expect(t, "write:b").reply <- nil // one call per chunk, not a batch
		g.expect(t, "write:c").reply <- nil
		w.End(nil)
		<-w.Done()
		l.want(t, "sink:write:a", "sink:write:b", "sink:write:c", "sink:final", "sink:close")

		// A plain function sink has no Final or Close to forward.
		u2 := streamcore.Unbatched[[]byte](streamcore.SinkFunc[[]byte](func(context.Context, []byte) error { return nil }))
		if err := u2.(streamcore.Finaler).Final(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := u2.(io.Closer).Close(); err != nil {
			t.Fatal(err)
		}
	})
}

// ctCountingWriter counts Write calls.
type ctCountingWriter struct {
	bytes.Buffer
	calls int
}

func (c *ctCountingWriter) Write(p []byte) (int, error) { c.calls++; return c.Buffer.Write(p) }

func TestWriterSink(t *testing.T) {
	var out ctCountingWriter
	s := streamcore.NewWriterSink(&out)
	if err := s.WriteBatch(context.Background(), [][]byte{ctB("ab"), ctB("cd"), ctB("e")}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "abcde" || out.calls != 1 {
		t.Fatalf("batch: %q in %d calls, want one call", out.String(), out.calls)
	}
	big := bytes.Repeat([]byte{'x'}, 3<<20)
	if err := s.WriteBatch(context.Background(), [][]byte{ctB("1"), big, ctB("2")}); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 5+2+3<<20 || !bytes.HasSuffix(out.Bytes(), append(big, '2')) {
		t.Fatal("large batch out of order")
	}
	if err := s.Close(); err != nil { // not a Closer: nothing to close
		t.Fatal(err)
	}
}

// ctRecordingWriter keeps the first byte's address of every Write.
type ctRecordingWriter struct {
	bytes.Buffer
	firsts []*byte
}

func (c *ctRecordingWriter) Write(p []byte) (int, error) {
	c.firsts = append(c.firsts, &p[0])
	return c.Buffer.Write(p)
}

// WriterSink writes chunks of 8 KiB or more as they are, without copying
// them into its buffer; the small chunks around them are still joined, and
// the order is kept.
func TestWriterSink_LargeChunksUncopied(t *testing.T) {
	var out ctRecordingWriter
	s := streamcore.NewWriterSink(&out)
	big := bytes.Repeat([]byte{'x'}, 64<<10)
	batch := [][]byte{ctB("a"), ctB("b"), big, ctB("c"), big[:8<<10], ctB("d")}
	if err := s.WriteBatch(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if want := string(bytes.Join(batch, nil)); out.String() != want {
		t.Fatal("batch written out of order")
	}
	if len(out.firsts) != 5 || out.firsts[1] != &big[0] || out.firsts[3] != &big[0] {
		t.Fatalf("%d calls, want 5 with the large chunks passed as they are", len(out.firsts))
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	// Open errors come back from the constructors (a documented choice).
	if _, err := streamcore.CreateFile(filepath.Join(dir, "no", "such", "dir"), streamcore.FileOptions{}); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("CreateFile: %v", err)
	}
	if _, err := streamcore.OpenFile(filepath.Join(dir, "missing"), streamcore.FileOptions{}); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("OpenFile: %v", err)
	}
	path := filepath.Join(dir, "f")
	data := ctRandomBytes(300<<10, 9)
	for _, unbatched := range []bool{false, true} {
		w, err := streamcore.CreateFile(path, streamcore.FileOptions{HighWaterMark: streamcore.HWM(4 << 10), Unbatched: unbatched})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(data); i += 1000 {
			if !w.Write(data[i:min(i+1000, len(data))]) {
				w.WaitDrain(context.Background())
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := streamcore.OpenFile(path, streamcore.FileOptions{HighWaterMark: streamcore.HWM(0)})
		if err != nil {
			t.Fatal(err)
		}
		back, err := io.ReadAll(streamcore.Reader(context.Background(), r))
		if err != nil || !bytes.Equal(back, data) {
			t.Fatalf("unbatched %v: read back %d bytes, %v", unbatched, len(back), err)
		}
		<-r.Done()
	}
	// Append mode via Flag.
	w, _ := streamcore.CreateFile(path, streamcore.FileOptions{Flag: os.O_WRONLY | os.O_APPEND})
	w.Write(ctB("tail"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, append(slices.Clip(data), "tail"...)) {
		t.Fatal("append mode")
	}
}

func TestReader(t *testing.T) {
	t.Run("iotest", func(t *testing.T) {
		data := ctRandomBytes(100<<10, 4)
		r := ctNewR(t, ctRandomSource(data, 2), streamcore.ReadableOptions{})
		if err := iotest.TestReader(streamcore.Reader(context.Background(), r), data); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("error", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
			r.Push(ctB("ab"))
			rd := streamcore.Reader(context.Background(), r)
			buf := make([]byte, 1)
			if n, err := rd.Read(buf); n != 1 || err != nil || buf[0] != 'a' {
				t.Fatalf("Read: %d %v", n, err)
			}
			if n, err := rd.Read(buf); n != 1 || err != nil || buf[0] != 'b' {
				t.Fatalf("Read: %d %v", n, err)
			}
			r.Destroy(errCtBoom)
			if _, err := rd.Read(buf); !errors.Is(err, errCtBoom) {
				t.Fatalf("Read after destroy: %v", err)
			}
		})
	})
	t.Run("context", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() {
				_, err := streamcore.Reader(ctx, r).Read(make([]byte, 10))
				done <- err
			}()
			synctest.Wait()
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("Read: %v", err)
			}
			r.Destroy(nil)
			<-r.Done()
		})
	})
}

func TestFromSlice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		items := []string{"a", "", "ccc", "dddd"}
		r, err := streamcore.FromSlice(items, streamcore.ReadableOptions{HighWaterMark: streamcore.HWM(2)})
		if err != nil {
			t.Fatal(err)
		}
		if r.HighWaterMark() != 2 {
			t.Fatalf("hwm %d", r.HighWaterMark())
		}
		synctest.Wait()
		if r.Length() != 0 {
			t.Fatal("FromSlice read before a consumer asked")
		}
		var got []string
		for {
			v, err := r.Next(context.Background())
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, v)
			if l := r.Length(); l > 2 {
				t.Fatalf("buffered %d objects, hwm 2", l)
			}
		}
		if !slices.Equal(got, items) {
			t.Fatalf("got %q", got)
		}
		<-r.Done()

		empty, _ := streamcore.FromSlice([]int(nil), streamcore.ReadableOptions{})
		if _, err := empty.Next(context.Background()); err != io.EOF {
			t.Fatalf("empty: %v", err)
		}
		<-empty.Done()
	})
}

// TestGunzip_DestroyStopsDecoder checks that destroying a gunzip transform
// without an error, with its decoder goroutine waiting for input, stops
// that goroutine (the synctest bubble fails if any goroutine is left).
func TestGunzip_DestroyStopsDecoder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var zipped bytes.Buffer
		zw := gzip.NewWriter(&zipped)
		zw.Write(ctRandomBytes(64<<10, 1))
		zw.Close()
		gun, err := streamcore.NewGunzip(streamcore.TransformOptions[[]byte]{})
		if err != nil {
			t.Fatal(err)
		}
		fn, ch := ctErrCh()
		gun.Writable.WriteCB(zipped.Bytes()[:100], fn) // a header and a little
		if err := ctRecv(t, ch, "write"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		gun.Destroy(nil)
		<-gun.Done()
		if gun.Err() != nil {
			t.Fatalf("Err %v", gun.Err())
		}
	})
}

// A producer that waits for drain whenever Write returns false never sees
// the buffered length reach Stats.Bound (the highWaterMark plus the largest
// chunk), and Stats.Written counts every byte once the stream has flushed.
func TestStats_BoundAndWritten(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := ctNewW(t, streamcore.Throttled(streamcore.Discard[[]byte]{}, streamcore.Throttle{Rate: 1 << 20}), 8<<10)
		var total int64
		for i := 0; i < 2000; i++ {
			chunk := make([]byte, 1+i%700)
			total += int64(len(chunk))
			if !w.Write(chunk) {
				if err := w.WaitDrain(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			if s := w.Stats(); s.PeakBuffered >= s.Bound {
				t.Fatalf("write %d: peak buffered %d reached the bound %d", i, s.PeakBuffered, s.Bound)
			}
		}
		w.Flush()
		s := w.Stats()
		if s.Written != total || s.Bound > 8<<10+700 || s.Bound < 8<<10+1 {
			t.Errorf("written %d of %d, bound %d; want all written and a bound of 8KiB plus at most 700", s.Written, total, s.Bound)
		}
	})
}

// Cooperative: the sink runs only while the producer waits, as in Node's
// single event loop. A producer that never waits starves it: everything
// stays buffered until End. One that waits for drain gets everything
// delivered, a highWaterMark at a time.
func TestWritable_Cooperative(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var got atomic.Int64
		sink := streamcore.SinkFunc[[]byte](func(_ context.Context, c []byte) error { got.Add(int64(len(c))); return nil })
		w, err := streamcore.NewWritable[[]byte](sink, streamcore.WritableOptions{HighWaterMark: streamcore.HWM(1024), Cooperative: true})
		if err != nil {
			t.Fatal(err)
		}
		line := []byte("0123456789abcdef")
		for range 1000 { // the tight loop: ignores false
			w.Write(line)
		}
		synctest.Wait()
		if n, s := got.Load(), w.Stats(); n != 0 || s.Buffered != 16000 {
			t.Fatalf("a producer that never waited: the sink took %d bytes, %d buffered; want 0 and all 16000", n, s.Buffered)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if n := got.Load(); n != 16000 {
			t.Fatalf("after Close the sink has %d bytes; want 16000", n)
		}

		got.Store(0)
		w, _ = streamcore.NewWritable[[]byte](sink, streamcore.WritableOptions{HighWaterMark: streamcore.HWM(1024), Cooperative: true})
		for range 1000 { // the drain-aware producer
			if !w.Write(line) {
				if err := w.WaitDrain(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			if s := w.Stats(); s.Buffered > s.Bound {
				t.Fatalf("buffered %d over the bound %d", s.Buffered, s.Bound)
			}
		}
		if err := w.Close(); err != nil || got.Load() != 16000 {
			t.Fatalf("drain-aware: %d bytes delivered, err %v", got.Load(), err)
		}
	})
}
