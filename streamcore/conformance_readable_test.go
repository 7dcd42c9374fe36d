package streamcore_test

// Conformance tests for the Readable: CONFORMANCE.md items R1-R8.

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/bpbench/bpbench/streamcore"
)

// ctManual is a Source the test drives: Read only counts the calls and
// records the size hints; the test pushes when it likes (an asynchronous
// source). onRead, if set, runs inside Read with the call's number.
type ctManual[T any] struct {
	mu     sync.Mutex
	calls  int
	hints  []int
	onRead func(call int, r *streamcore.Readable[T])
}

func (m *ctManual[T]) Read(_ context.Context, r *streamcore.Readable[T], n int) {
	m.mu.Lock()
	m.calls++
	m.hints = append(m.hints, n)
	call, fn := m.calls, m.onRead
	m.mu.Unlock()
	if fn != nil {
		fn(call, r)
	}
}

func (m *ctManual[T]) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls
}

func ctNewR[T any](t *testing.T, src streamcore.Source[T], opts streamcore.ReadableOptions) *streamcore.Readable[T] {
	t.Helper()
	r, err := streamcore.NewReadable[T](src, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Destroy(nil) })
	return r
}

// ctRead reads n bytes in paused mode and returns them as a string ("" and
// false if Read returned nothing).
func ctRead(r *streamcore.Readable[[]byte], n int) (string, bool) {
	c, ok := r.Read(n)
	return string(c), ok
}

func TestReadable_R1_PushReturnsBelowHWM(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{HighWaterMark: streamcore.HWM(10)})
		got := []bool{r.Push(ctB("aaaa")), r.Push(ctB("bbbb")), r.Push(ctB("cc"))}
		if got[0] != true || got[1] != true || got[2] != false {
			t.Fatalf("pushes of 4, 4, 2 at hwm 10: got %v, want [true true false]", got)
		}
		if r.Length() != 10 {
			t.Fatalf("length %d", r.Length())
		}
		// Past the mark the data is still kept, and whole.
		big := strings.Repeat("x", 25)
		if r.Push(ctB(big)) {
			t.Fatal("push past hwm returned true")
		}
		if r.Length() != 35 {
			t.Fatalf("length %d, want 35", r.Length())
		}
		ctx := context.Background()
		for _, want := range []string{"aaaa", "bbbb", "cc", big} {
			c, err := r.Next(ctx)
			if err != nil || string(c) != want {
				t.Fatalf("Next: %q, %v; want %q", c, err, want)
			}
		}
		// Ended: Push returns false from then on (R2 covers the error).
		if r.PushEnd() {
			t.Fatal("PushEnd returned true")
		}
		if _, err := r.Next(ctx); err != io.EOF {
			t.Fatalf("Next at the end: %v, want io.EOF", err)
		}
		<-r.Done()
	})
}

func TestReadable_R2_EmptyPushAndEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		r := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{HighWaterMark: streamcore.HWM(10)})
		ctWatchR(&l, r)
		r.OnData(func(c []byte) { l.add("data:%s", c) })
		r.Push(ctB("abc"))
		synctest.Wait()
		if !r.Push([]byte{}) || !r.Push(nil) {
			t.Fatal("empty push returned false")
		}
		synctest.Wait()
		if r.Length() != 0 {
			t.Fatalf("length %d", r.Length())
		}
		l.want(t, "data:abc") // no data event for the empty chunks
		if r.PushEnd() {
			t.Fatal("PushEnd (push(null)) returned true")
		}
		synctest.Wait()
		l.want(t, "data:abc", "end", "close")

		// Push after end-of-stream, before the end event: an error.
		var l2 ctLog
		r2 := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
		ctWatchR(&l2, r2)
		r2.Push(ctB("a"))
		r2.PushEnd()
		if r2.Push(ctB("b")) {
			t.Fatal("push after end-of-stream returned true")
		}
		if !r2.Destroyed() {
			t.Fatal("push after end-of-stream did not destroy the stream")
		}
		<-r2.Done()
		l2.want(t, "error:push-after-eof", "close")
		if !errors.Is(r2.Err(), streamcore.ErrPushAfterEOF) {
			t.Fatalf("Err %v", r2.Err())
		}
	})
}

func TestReadable_R3_LazyRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &ctManual[[]byte]{}
		src.onRead = func(call int, r *streamcore.Readable[[]byte]) {
			switch call {
			case 2: // a synchronous read that overshoots: 30 bytes at hwm 10
				for i := 0; i < 3; i++ {
					r.Push(ctB("0123456789"))
				}
			case 3:
				r.PushEnd()
			}
		}
		r := ctNewR[[]byte](t, src, streamcore.ReadableOptions{HighWaterMark: streamcore.HWM(10)})
		synctest.Wait()
		if n := src.count(); n != 0 {
			t.Fatalf("source read %d times with no consumer", n)
		}
		if _, ok := r.Read(5); ok {
			t.Fatal("Read returned data from an empty stream")
		}
		synctest.Wait()
		if n := src.count(); n != 1 {
			t.Fatalf("after the first Read: %d source reads, want 1", n)
		}
		// The first read is asynchronous: it has not pushed. More Reads do
		// not call the source again.
		r.Read(5)
		r.Read(5)
		synctest.Wait()
		if n := src.count(); n != 1 {
			t.Fatalf("read pending: %d source reads, want 1", n)
		}
		r.Push(ctB("abc")) // completes read 1; read 2 overshoots
		synctest.Wait()
		if n, l := src.count(), r.Length(); n != 2 || l != 33 {
			t.Fatalf("after the push: %d source reads, length %d; want 2, 33", n, l)
		}
		src.mu.Lock()
		hints := src.hints
		src.mu.Unlock()
		if hints[0] != 10 || hints[1] != 7 {
			t.Fatalf("size hints %v, want [10 7 ...]", hints)
		}
		if s, _ := ctRead(r, 0); s != "abc"+strings.Repeat("0123456789", 3) {
			t.Fatalf("Read(0) = %q", s)
		}
		synctest.Wait() // read 3 ends the stream; a Read sees the end
		if _, ok := r.Read(1); ok {
			t.Fatal("Read after the end returned data")
		}
		<-r.Done()
		if n := src.count(); n != 3 {
			t.Fatalf("%d source reads, want 3", n)
		}
	})
}

func TestReadable_R4_PausedReadJoinsAndWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		r := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
		ctWatchR(&l, r)
		r.Push(ctB("ab"))
		r.Push(ctB("cd"))
		r.Push(ctB("ef"))
		for _, c := range []struct {
			n    int
			want string
			ok   bool
		}{
			{3, "abc", true}, // joins across chunks, splits the second
			{4, "", false},   // only 3 buffered
			{3, "def", true},
		} {
			if s, ok := ctRead(r, c.n); s != c.want || ok != c.ok {
				t.Fatalf("Read(%d) = %q, %v; want %q, %v", c.n, s, ok, c.want, c.ok)
			}
		}
		r.Push(ctB("gh"))
		if s, ok := ctRead(r, 4); ok {
			t.Fatalf("Read(4) with 2 buffered, not ended: %q", s)
		}
		r.PushEnd()
		synctest.Wait()
		l.want(t) // data left: no end yet
		if s, ok := ctRead(r, 4); s != "gh" || !ok {
			t.Fatalf("Read(4) after end: %q, %v; want the remainder", s, ok)
		}
		<-r.Done()
		l.want(t, "end", "close")
		if _, ok := r.Read(1); ok {
			t.Fatal("Read after end returned data")
		}

		// Strings join the same way.
		rs := ctNewR[string](t, &ctManual[string]{}, streamcore.ReadableOptions{})
		rs.Push("xy")
		rs.Push("z")
		if s, ok := rs.Read(3); s != "xyz" || !ok {
			t.Fatalf("string Read(3) = %q, %v", s, ok)
		}
		rs.Destroy(nil)
		<-rs.Done()
	})
}

func TestReadable_R5_ObjectModeCountsObjects(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{ObjectMode: true})
		if r.HighWaterMark() != 16 {
			t.Fatalf("hwm %d", r.HighWaterMark())
		}
		for i := 1; i <= 16; i++ {
			chunk := make([]byte, i*1000)
			chunk[0] = byte(i)
			if ok := r.Push(chunk); ok != (i < 16) {
				t.Fatalf("push %d: %v", i, ok)
			}
		}
		if r.Length() != 16 {
			t.Fatalf("length %d, want 16 objects", r.Length())
		}
		for i := 1; i <= 2; i++ {
			c, ok := r.Read(100000)
			if !ok || len(c) != i*1000 || c[0] != byte(i) {
				t.Fatalf("Read %d: len %d ok %v; want object %d whole", i, len(c), ok, i)
			}
		}
		if r.Length() != 14 {
			t.Fatalf("length %d, want 14", r.Length())
		}
		r.Destroy(nil)
		<-r.Done()
	})
}

func TestReadable_R6_FlowingPauseResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l ctLog
		r := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
		ctWatchR(&l, r)
		r.OnPause(func() { l.add("pause") })
		r.OnResume(func() { l.add("resume") })
		r.Push(ctB("a"))
		synctest.Wait()
		l.want(t) // no consumer, no flow
		r.OnData(func(c []byte) { l.add("data:%s", c) })
		synctest.Wait()
		l.want(t, "resume", "data:a")
		if !r.Flowing() {
			t.Fatal("not flowing after OnData")
		}
		r.Pause()
		r.Pause() // already paused: no event
		if !r.IsPaused() || r.Flowing() {
			t.Fatal("Pause did not pause")
		}
		r.Push(ctB("b"))
		synctest.Wait()
		l.want(t, "resume", "data:a", "pause")
		if r.Length() != 1 {
			t.Fatalf("paused: length %d, want the push buffered", r.Length())
		}
		r.Resume()
		r.Resume() // already flowing: no event
		synctest.Wait()
		l.want(t, "resume", "data:a", "pause", "resume", "data:b")
		// A listener added while paused does not resume.
		r.Pause()
		r.OnData(func([]byte) {})
		r.Push(ctB("c"))
		synctest.Wait()
		if !r.IsPaused() || r.Length() != 1 {
			t.Fatal("OnData resumed an explicitly paused stream")
		}
		r.Resume()
		r.PushEnd()
		<-r.Done()
		l.want(t, "resume", "data:a", "pause", "resume", "data:b", "pause", "resume", "data:c", "end", "close")
	})
	// As in Node, resume is emitted before any data flows: no data while
	// a resume listener is still running.
	synctest.Test(t, func(t *testing.T) {
		r := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
		r.Push(ctB("a"))
		release := make(chan struct{})
		var data atomic.Int64
		r.OnResume(func() { <-release })
		go r.OnData(func([]byte) { data.Add(1) })
		synctest.Wait()
		if n := data.Load(); n != 0 {
			t.Fatalf("%d data events before the resume listener returned", n)
		}
		close(release)
		r.PushEnd()
		<-r.Done()
		if n := data.Load(); n != 1 {
			t.Fatalf("%d data events, want 1", n)
		}
	})
}

func TestReadable_R7_EndNeedsConsumptionDestroyNoEnd(t *testing.T) {
	t.Run("end after full consumption", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var l ctLog
			r := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
			ctWatchR(&l, r)
			r.Push(ctB("a"))
			r.Push(ctB("b"))
			r.PushEnd()
			synctest.Wait()
			l.want(t) // nobody consumed
			if s, _ := ctRead(r, 1); s != "a" {
				t.Fatalf("Read = %q", s)
			}
			synctest.Wait()
			l.want(t)
			if r.Ended() {
				t.Fatal("ended with data left")
			}
			if s, _ := ctRead(r, 1); s != "b" {
				t.Fatalf("Read = %q", s)
			}
			<-r.Done()
			l.want(t, "end", "close")
			if !r.Ended() || r.Err() != nil {
				t.Fatalf("Ended %v Err %v", r.Ended(), r.Err())
			}
		})
	})
	t.Run("destroy", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var l ctLog
			r := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
			ctWatchR(&l, r)
			r.Push(ctB("a"))
			r.PushEnd()
			r.Destroy(nil)
			if !r.Destroyed() {
				t.Fatal("not destroyed at once")
			}
			<-r.Done()
			l.want(t, "close")
			if r.Err() != nil || r.Ended() {
				t.Fatalf("Err %v Ended %v", r.Err(), r.Ended())
			}
		})
	})
	t.Run("destroy with error", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var l ctLog
			r := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
			ctWatchR(&l, r)
			r.OnData(func(c []byte) { l.add("data:%s", c) })
			r.Push(ctB("a"))
			synctest.Wait()
			r.Destroy(errCtBoom)
			r.Destroy(errCtBoom2)
			<-r.Done()
			l.want(t, "data:a", "error:boom", "close")
			if _, err := r.Next(context.Background()); !errors.Is(err, errCtBoom) {
				t.Fatalf("Next after destroy: %v", err)
			}
		})
	})
}

func TestReadable_R8_Unshift(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := ctNewR[[]byte](t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
		r.Push(ctB("cd"))
		r.Push(ctB("ef"))
		if s, _ := ctRead(r, 3); s != "cde" {
			t.Fatalf("Read = %q", s)
		}
		if err := r.Unshift(ctB("de")); err != nil {
			t.Fatal(err)
		}
		if err := r.Unshift(ctB("ab")); err != nil {
			t.Fatal(err)
		}
		if r.Length() != 5 {
			t.Fatalf("length %d", r.Length())
		}
		r.PushEnd()
		if s, _ := ctRead(r, 0); s != "abdef" {
			t.Fatalf("after unshift: %q, want abdef", s)
		}
		<-r.Done()
		if err := r.Unshift(ctB("x")); !errors.Is(err, streamcore.ErrUnshiftAfterEnd) {
			t.Fatalf("Unshift after end: %v", err)
		}

		ro := ctNewR[int](t, &ctManual[int]{}, streamcore.ReadableOptions{ObjectMode: true})
		ro.Push(2)
		ro.Push(3)
		ro.Unshift(1)
		ro.PushEnd()
		var got []int
		for {
			v, err := ro.Next(context.Background())
			if err != nil {
				break
			}
			got = append(got, v)
		}
		if len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 {
			t.Fatalf("object unshift: %v", got)
		}
		<-ro.Done()
	})
}

// A consumer pulling with Next sees a destroyed stream's error, never a
// clean io.EOF on data that was thrown away (R7).
func TestReadable_R7_NextReportsDestroyError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("boom")
		r := ctNewR(t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
		r.Push(ctB("data"))
		r.PushEnd()
		r.Destroy(boom)
		if _, err := r.Next(context.Background()); !errors.Is(err, boom) {
			t.Fatalf("Next after Destroy(boom) = %v, want boom", err)
		}

		r2 := ctNewR(t, &ctManual[[]byte]{}, streamcore.ReadableOptions{})
		r2.PushEnd()
		r2.Push(ctB("late")) // push after EOF destroys the stream
		if _, err := r2.Next(context.Background()); !errors.Is(err, streamcore.ErrPushAfterEOF) {
			t.Fatalf("Next after push-after-EOF = %v, want ErrPushAfterEOF", err)
		}
	})
}

// Read(n) with n above the highWaterMark raises the mark, as Node does, so
// that the source is asked for enough data to satisfy it before the end (R4).
func TestReadable_R4_ReadAboveHWMRaisesIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &ctManual[[]byte]{onRead: func(_ int, r *streamcore.Readable[[]byte]) { r.Push(ctB("abcd")) }}
		r := ctNewR(t, src, streamcore.ReadableOptions{HighWaterMark: streamcore.HWM(4)})
		if _, ok := r.Read(10); ok {
			t.Fatal("Read(10) returned data with nothing buffered")
		}
		synctest.Wait()
		if got := r.HighWaterMark(); got != 16 {
			t.Fatalf("highWaterMark %d after Read(10), want 16", got)
		}
		got, ok := ctRead(r, 10)
		if !ok || got != "abcdabcdab" {
			t.Fatalf("Read(10) = %q, %v; want 10 bytes joined across chunks", got, ok)
		}
	})
}
