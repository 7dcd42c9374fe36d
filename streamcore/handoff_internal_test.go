package streamcore

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"
)

// handoffCounts returns w's handovers, spins, kicks and parks (handoff.go).
func handoffCounts[T any](w *Writable[T]) (handovers, spins, kicks, parks int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.handovers, w.spins, w.kicks, w.parks
}

// writeLines is the million-line writer's string producer: three writes a
// line, waiting for drain after false.
func writeLines(t *testing.T, w *Writable[[]byte], n int) {
	t.Helper()
	var scratch [20]byte
	for i := range n {
		ok := w.WriteString("line ")
		ok = w.Write(strconv.AppendInt(scratch[:0], int64(i), 10)) && ok
		if !(w.PutByte('\n') && ok) {
			if err := w.WaitDrain(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// writeNowAndThen writes n lines, each twice spinFor after the last.
func writeNowAndThen(w *Writable[[]byte], n int) {
	for range n {
		w.WriteString("a line\n")
		time.Sleep(2 * spinFor)
	}
}

// withProcs runs f with GOMAXPROCS set to n; n > 1 skips the test on a
// machine with fewer processors.
func withProcs(t *testing.T, n int, f func()) {
	if runtime.NumCPU() < n {
		t.Skipf("needs %d processors", n)
	}
	old := runtime.GOMAXPROCS(n)
	defer runtime.GOMAXPROCS(old)
	f()
}

// newDiscardW returns a byte-mode Writable on Discard with the given
// options, destroyed when the test ends.
func newDiscardW(t *testing.T, opts WritableOptions) *Writable[[]byte] {
	t.Helper()
	w, err := NewWritable[[]byte](Discard[[]byte]{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Destroy(nil) })
	return w
}

// A producer that writes fast into a sink that keeps up finds the flusher
// spinning: most handovers are an atomic store (a kick), not a wake-up,
// and the flusher seldom parks. Without the spin every handover that finds
// the flusher idle parks it again (parks >= kicks + handovers/2 at least).
func TestHandoff_FastProducerKicksASpinningFlusher(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes the producer too slow to spin for")
	}
	withProcs(t, 2, func() {
		// 2 KiB batches: some 2,000 of them, each a few µs of writing,
		// far below spinFor even on a loaded machine.
		w := newDiscardW(t, WritableOptions{HighWaterMark: HWM(4 << 10)})
		writeLines(t, w, 400_000)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		handovers, _, kicks, parks := handoffCounts(w)
		t.Logf("handovers %d, kicks %d, parks %d", handovers, kicks, parks)
		// Wide margins: a loaded machine may deschedule the spinner. Without
		// the spin there are no kicks at all.
		if kicks < handovers/10 || parks > handovers/2 {
			t.Errorf("handovers %d, kicks %d, parks %d: want most handovers to kick a spinning flusher", handovers, kicks, parks)
		}
	})
}

// With one processor the flusher never spins: it could only take the
// producer's processor away.
func TestHandoff_NoSpinWithOneProcessor(t *testing.T) {
	withProcs(t, 1, func() {
		w := newDiscardW(t, WritableOptions{})
		// Small writes, each giving the flusher the processor: every one
		// finds the stream idle, a few µs after the last.
		for range 2000 {
			w.WriteString("x\n")
			runtime.Gosched()
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if _, spins, kicks, _ := handoffCounts(w); spins != 0 || kicks != 0 {
			t.Errorf("%d spins, %d kicks with GOMAXPROCS 1; want no spinning", spins, kicks)
		}
	})
}

// A producer that writes a line now and then never makes the flusher spin,
// so it costs no processor time between writes.
func TestHandoff_SlowProducerDoesNotSpin(t *testing.T) {
	withProcs(t, 2, func() {
		w := newDiscardW(t, WritableOptions{})
		writeNowAndThen(w, 5)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		handovers, spins, kicks, parks := handoffCounts(w)
		if handovers != 5 || spins != 0 || kicks != 0 || parks < 5 {
			t.Errorf("handovers %d, spins %d, kicks %d, parks %d: want 5 handovers, each to a parked flusher that never spun", handovers, spins, kicks, parks)
		}
	})
}

// The flusher spins only while the sink has taken half a batch since it
// last parked: after a burst it spins, parks once no batch comes, and the
// lines written now and then after that never make it spin again.
func TestHandoff_SpinNeedsHalfABatchSinceThePark(t *testing.T) {
	withProcs(t, 2, func() {
		w := newDiscardW(t, WritableOptions{})
		chunk := make([]byte, 1<<10)
		for range 24 { // 24 KiB: more than half of a 32 KiB batch
			w.Write(chunk)
		}
		w.Flush()
		parked := func() bool {
			w.mu.Lock()
			defer w.mu.Unlock()
			return w.idle && !w.spinning && w.length == 0
		}
		for !parked() {
			time.Sleep(spinFor)
		}
		_, burstSpins, _, _ := handoffCounts(w)
		if burstSpins == 0 {
			t.Fatal("no spin after a 24 KiB burst")
		}
		writeNowAndThen(w, 5)
		if _, spins, _, _ := handoffCounts(w); spins != burstSpins {
			t.Errorf("%d spins after the burst's %d: lines written now and then made the flusher spin", spins, burstSpins)
		}

		// A line that ends a spin does not end the streaming: the flusher
		// spins again after it (the count runs from the last park, not
		// from the last idle moment). Retried: the line must come while
		// the flusher spins, which a loaded machine may delay.
		for attempt := 0; ; attempt++ {
			for range 24 {
				w.Write(chunk)
			}
			w.Flush()
			for {
				w.mu.Lock()
				spinning, length := w.spinning, w.length
				w.mu.Unlock()
				if spinning && length == 0 {
					break
				}
				runtime.Gosched()
			}
			_, before, kicks0, _ := handoffCounts(w)
			w.WriteString("a line\n")
			for !parked() {
				time.Sleep(spinFor)
			}
			_, after, kicks1, _ := handoffCounts(w)
			if kicks1 > kicks0 && after >= before+1 {
				break // kicked out of a spin by the line, then spun again
			}
			if kicks1 > kicks0 || attempt == 20 {
				t.Fatalf("attempt %d: spins %d -> %d, kicks %d -> %d: want a spin after the line that ended one", attempt, before, after, kicks0, kicks1)
			}
		}
	})
}

// Under testing/synctest time stands still, so only the count bounds the
// spin: synctest.Wait must return (the flusher parks) after a fast
// producer's writes.
func TestHandoff_SpinEndsUnderAFakeClock(t *testing.T) {
	withProcs(t, 2, func() {
		synctest.Test(t, func(t *testing.T) {
			w, err := NewWritable[[]byte](Discard[[]byte]{}, WritableOptions{})
			if err != nil {
				t.Fatal(err)
			}
			writeLines(t, w, 20_000)
			w.Flush()
			synctest.Wait() // hangs if the spin waits for the clock
			w.mu.Lock()
			idle, spinning := w.idle, w.spinning
			w.mu.Unlock()
			if !idle || spinning {
				t.Errorf("after synctest.Wait: idle %v, spinning %v; want the flusher parked", idle, spinning)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		})
	})
}

// The producer reuses a slab only after ringSlabs others have been freed
// since, the oldest first, so that it does not write into memory the
// sink's processor has just read; and the ring stays bounded.
func TestSlabRing(t *testing.T) {
	w, err := NewWritable[[]byte](Discard[[]byte]{}, WritableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Destroy(nil)
	chunk := make([]byte, 1000)
	var order []*byte // the slab in use, at each slab change
	last := map[*byte]int{}
	for range 200 * slabSize / len(chunk) {
		if !w.Write(chunk) {
			if err := w.WaitDrain(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		w.mu.Lock()
		slab := unsafe.SliceData(w.p.full)
		w.mu.Unlock()
		if len(order) == 0 || order[len(order)-1] != slab {
			if j, ok := last[slab]; ok && len(order)-j <= ringSlabs {
				t.Fatalf("slab reused after %d others at change %d; want at least %d", len(order)-j-1, len(order), ringSlabs)
			}
			last[slab] = len(order)
			order = append(order, slab)
		}
	}
	if len(order) < 150 {
		t.Fatalf("%d slab changes in 200 slabs' worth of writes", len(order))
	}
	if len(last) > ringSlabs+4 {
		t.Errorf("%d distinct slabs; want at most %d", len(last), ringSlabs+4)
	}
	t.Logf("%d slab changes, %d distinct slabs", len(order), len(last))
}
