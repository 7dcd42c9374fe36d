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
//     the producer hands over often (the last two handovers were less than
//     spinFor apart, and the last one was less than spinFor ago): the next
//     batch then arrives within the spin, and the producer hands it over
//     with an atomic store instead of a wake-up. The spin lasts at most
//     spinFor and spinIters checks (so that a fake clock, as in
//     testing/synctest, cannot keep it spinning), yields the processor
//     every spinYield checks, and runs on at most half the processors at
//     once (never with GOMAXPROCS 1). A producer that hands over less than
//     every spinFor never makes the flusher spin; one that hands over more
//     often keeps one processor busy while it writes.
//
// The rule has two steady states for a producer near the limit: once a
// slow write by the sink has made the producer wait for a drain, its
// handovers come further apart, the flusher stops spinning, the next
// wake-up is late again, and the stream may stay in the slower state for
// a whole run (to a file, runs of the million-line writer on the 2-CPU
// machine are bimodal: about 31ms or 37-41ms). Spinning instead whenever
// the sink took half a batch since it was last idle avoided that state
// but, measured in 10 interleaved rounds, made the writer slower in both
// sinks (1.19x bufio to /dev/null against 1.08x), so this rule stays.
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
// it parks. It spins for work if the producer handed over recently and
// reports whether work came (w.idle was cleared by wake); it returns with
// w.mu held.
func (w *Writable[T]) spinLocked() bool {
	if !w.slabs || w.coop || w.handovers == 0 || w.handoverGap >= spinFor {
		return false
	}
	start := since()
	if start-w.lastHandover >= spinFor {
		return false
	}
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
	w.handoverGap = spinFor // no previous handover: as if slow
	if w.handovers > 0 {
		w.handoverGap = now - w.lastHandover
	}
	w.lastHandover = now
	w.handovers++
	return w.handoverGap < batchGap
}
