package streamcore

import (
	"runtime"
	"sync/atomic"
	"time"
)

// Handing bytes from the producer to the stream's goroutine (the byte
// path's "flusher") costs more than it seems on Linux. A goroutine woken
// with cond.Signal goes to the waker's own run queue slot (runnext); an
// idle processor may take it from there only after sleeping 3µs in the
// runtime, and Linux's default timer slack stretches that sleep to about
// 55µs. A producer that keeps writing therefore fills its next batch before
// the flusher starts on the last one, reaches the highWaterMark, and waits
// for a drain: producer and sink take turns instead of overlapping, and
// every turn pays for a futex wake and a thread switch. On this project's
// 2-CPU machine that was most of what the million-line writer paid over a
// bufio.Writer loop (a runtime trace showed 50-85µs from Signal to the
// flusher running).
//
// Two rules fix it for a producer that writes fast, and leave a slow one
// as it was:
//
//   - A write that finds the stream idle is handed over at once, as
//     before; but if the previous such handover was less than batchGap
//     ago, the producer is writing faster than handing over each write is
//     worth, and the writes after it are collected into the batch (until
//     the batch fills, a write returns false, Flush, Uncork, End or Close)
//     instead of each being handed to a flusher that empties the queue as
//     fast as it fills.
//   - The flusher, once it has emptied the queue, spins before it parks if
//     the producer is streaming: the sink has taken at least half a batch
//     since the flusher last parked. The next batch then arrives within
//     the spin, and the producer hands it over with an atomic store
//     instead of a wake-up. The spin lasts at most spinFor and spinIters
//     checks (so that a fake clock, as in testing/synctest, cannot keep it
//     spinning), yields the processor every spinYield checks, and runs on
//     at most half the processors at once (never with GOMAXPROCS 1). A
//     spin that no handover ends parks the flusher and starts the count
//     again, so a producer that writes a line now and then never makes it
//     spin, and the spinning costs at most spinFor per half batch written;
//     a producer that streams keeps a second processor busy while it
//     writes.
//
// A first version spun when the last two handovers were less than spinFor
// apart. It had two steady states: once a slow write by the sink had made
// the producer wait for a drain, its handovers came further apart, the
// flusher stopped spinning, the next wake-up was late again, and the
// stream could stay in the slower state for a whole run (to a file, 8 of
// 20 runs of the million-line writer produced in 30-37ms instead of
// 21-25ms). Counting bytes since the last park has no such state: 0 of 40
// runs (median 21.7ms, at most 23.6ms), with 20-30 parks a run instead of
// 800-2,500.
const (
	spinFor   = 100 * time.Microsecond
	spinIters = 1 << 16
	spinYield = 256
	batchGap  = 50 * time.Microsecond
)

// spinners is how many flushers of all streams are spinning now.
var spinners atomic.Int32

// clockBase makes handover times cheap: time.Since of a time with a
// monotonic reading reads only the monotonic clock, half of time.Now.
var clockBase = time.Now()

// since returns the monotonic time since clockBase.
func since() time.Duration { return time.Since(clockBase) }

// spinLocked is called by the flusher with w.mu held and w.idle set, before
// it parks. It spins for work if the producer is streaming and reports
// whether work came (w.idle was cleared by wake); it returns with w.mu
// held.
func (w *Writable[T]) spinLocked() bool {
	if !w.slabs || w.coop || w.busyBytes < w.batchBytes/2 {
		return false
	}
	start := since()
	if spinners.Add(1) > int32(runtime.GOMAXPROCS(0)/2) {
		spinners.Add(-1)
		return false
	}
	w.spinning = true
	w.spins++
	w.mu.Unlock()
	for i := 1; i <= spinIters && !w.kick.Load(); i++ {
		if i%spinYield == 0 {
			if since()-start >= spinFor {
				break
			}
			runtime.Gosched()
		}
	}
	spinners.Add(-1)
	w.mu.Lock()
	w.spinning = false
	w.kick.Store(false)
	return !w.idle
}

// wake tells the flusher there is work. Called with w.mu held.
func (w *Writable[T]) wake() {
	if w.coop && w.waiting == 0 && !w.ending && !w.destroyed && len(w.pending) == 0 {
		return // Cooperative: the sink runs only while a producer waits
	}
	if !w.idle {
		return
	}
	w.idle = false
	if w.spinning {
		w.kick.Store(true)
		w.kicks++
		return
	}
	w.cond.Signal()
}

// handoverLocked records a write that found the stream idle and reports
// whether the producer is writing fast: the previous such write was less
// than batchGap before. Called with w.mu held.
func (w *Writable[T]) handoverLocked() (fast bool) {
	now := since()
	fast = w.handovers > 0 && now-w.lastHandover < batchGap
	w.lastHandover = now
	w.handovers++
	return fast
}
