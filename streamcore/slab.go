package streamcore

import (
	"sync/atomic"
	"unsafe"
)

// The byte path of a Writable[[]byte]: Write copies each chunk into slabs
// the stream owns, so a producer may reuse its buffer at once and writes
// allocate nothing. The producer appends to its current slab without a
// lock ("fast path") while a budget computed under the lock allows it, and
// hands what it wrote to the stream's goroutine ("publishes" it) under the
// lock only when the budget runs out: after about batchBytes bytes, when
// the slab is full, when the buffered length would reach the
// highWaterMark, and at Flush, Uncork and End. See "When bytes reach the
// sink" in the package doc.

const (
	slabSize = 64 << 10
	// maxEnds bounds the chunk boundaries kept unpublished for sinks that
	// take chunks one by one.
	maxEnds = 1024
	// ringSlabs is how many free slabs a stream keeps before it reuses
	// one, the oldest first: the producer then writes into memory the
	// sink last read several batches ago. The sink runs on another
	// processor; reusing the slab it has just read makes every line the
	// producer writes take the cache line back from that processor's cache
	// (on this project's 2-CPU machine, reading each batch from a second
	// core cost the million-line writer 4.6ms in 19.7, and a ring of 4
	// brought the writer to a file from 1.16x to 1.09x bufio's time). The
	// ring costs a stream that has written more than about 400 KiB some
	// 256 KiB more than reusing at once would.
	ringSlabs = 4
	// maxFreeSlabs bounds the slabs kept for reuse: a producer that ignored
	// backpressure may have needed many, and they are not kept after it.
	maxFreeSlabs = 2 * ringSlabs
	// maxBatchBytes caps the bytes the producer writes between two
	// publications (smaller highWaterMarks use hwm/2).
	maxBatchBytes = 32 << 10
)

// ByteStreamSink is implemented by byte sinks for which chunk boundaries
// carry no meaning: handing the sink two consecutive chunks joined as one
// is the same as handing them one by one (a file, a socket, io.Discard).
// A Writable[[]byte] on such a sink hands it the bytes of many writes in
// one chunk instead of keeping each write's boundaries. WriterSink and
// Discard implement it.
type ByteStreamSink interface {
	Sink[[]byte]
	// JoinsChunks is a marker; it is never called.
	JoinsChunks()
}

// producer is the state the writing goroutine owns. It is read and written
// without a lock by Write's fast path, and under w.mu by the slow path;
// Write, WriteString, PutByte, WriteCB, Flush, Uncork, End, EndWith and Close are the
// producer's methods and must not run concurrently with each other.
type producer struct {
	// slab is the current slab: len is the bytes written into it. Its cap
	// is the fast path's budget, as bufio.Writer's Available: a write of
	// fewer bytes than cap(slab)-len(slab) may take the fast path, so the
	// fast path checks and moves one slice and keeps no separate count.
	// cap(slab) == len(slab) closes the fast path; full is the same slab
	// with its whole capacity, for the locked path.
	slab []byte
	// stop is set (by any goroutine) once the stream is ending or
	// destroyed, so that the fast path notices a Destroy from elsewhere. It
	// shares the producer's cache line: it is written once.
	stop   atomic.Bool
	writes int64   // writes not yet counted in Stats
	full   []byte  // the current slab, len 0 and its whole capacity; nil before the first
	pub    int     // slab[:pub] has been published
	ends   []int32 // ends in slab of unpublished chunks; nil when the sink joins chunks
	// budget is the fast path's budget when the sink keeps chunk
	// boundaries (ends is not nil): a write of fewer bytes may take
	// writeFastEnds. The window of slab stays closed for such sinks, so
	// that Write's fast path, which records no boundaries, is never taken.
	budget int
}

// setWindow lets writes of fewer than b bytes in all take the fast path
// (b <= the slab's room), or closes it (b == 0).
func (pr *producer) setWindow(b int) {
	n := len(pr.slab)
	pr.slab = pr.full[: n : n+b]
}

// closeFast closes the fast path: the next write takes the lock.
func (pr *producer) closeFast() {
	pr.budget = 0
	pr.slab = pr.slab[:len(pr.slab):len(pr.slab)]
}

// retiredSlab is a slab the producer moved past, waiting until the sink has
// returned from every byte written before end (a position in the stream's
// total of published bytes) to be reused.
type retiredSlab struct {
	buf []byte
	end int64
}

func asBytes[T any](c *T) []byte { return *(*[]byte)(unsafe.Pointer(c)) }
func asT[T any](b []byte) T      { return *(*T)(unsafe.Pointer(&b)) }

// writeBytes is the byte path's slow path: p is copied into the stream
// under the lock and everything the producer wrote is published. Called
// with p not yet written; returns Write's result.
func (w *Writable[T]) writeBytes(p []byte, cb func(error)) bool {
	if cb == nil && w.p.writeFastEnds(p) {
		return true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	pr := &w.p
	wasIdle := w.idleLocked()
	if w.ending || w.destroyed {
		pr.closeFast()
		w.dropUnpublishedLocked()
		w.failWrite(cb)
		return false
	}
	if wasIdle && w.handoverLocked() {
		// The producer is writing fast: keep collecting (handoff.go).
		wasIdle = false
	}
	n := len(p)
	if w.needDrain {
		w.afterFalseLocked(int64(n))
	}
	w.largest = max(w.largest, int64(n))
	switch {
	case n > slabSize/2:
		// Big chunks get a buffer of their own, not reused: after what
		// was written before them, so publish that first.
		w.publishLocked()
		buf := append(make([]byte, 0, n), p...)
		w.enqueueLocked(asT[T](buf), int64(n), cb)
		w.pubTotal += int64(n)
		w.stats.Writes++
		cb = nil
	default:
		if pr.full == nil || cap(pr.full)-len(pr.slab) < n {
			w.publishLocked()
			w.newSlabLocked()
		} else if pr.ends != nil && len(pr.ends) == cap(pr.ends) {
			w.publishLocked()
		}
		k := len(pr.slab)
		pr.slab = pr.full[: k+n : k+n]
		copy(pr.slab[k:], p)
		if pr.ends != nil {
			pr.ends = append(pr.ends, int32(len(pr.slab)))
		}
		pr.writes++
	}
	w.publishCBLocked(cb)
	ok := w.acceptedLocked()
	w.armLocked(wasIdle)
	return ok
}

// armLocked sets the producer's budget for the fast path: writes may skip
// the lock while the stream's goroutine is busy anyway (wasIdle is false:
// it will look at the queue again when it is done) and nothing observable
// changes: no drain is due, the stream is open, the slab has room, and the
// buffered length counting them stays below the highWaterMark. After a
// publication that woke an idle stream the next write takes the lock
// again, so a producer slower than the sink hands every write over at once.
func (w *Writable[T]) armLocked(wasIdle bool) {
	pr := &w.p
	pr.closeFast()
	if !w.slabs || wasIdle || w.needDrain || w.ending || w.destroyed || pr.full == nil {
		return
	}
	room := int64(cap(pr.full) - len(pr.slab))
	if pr.ends != nil {
		if b := min(w.hwm-w.length, w.batchBytes, room+1); b > 1 {
			pr.budget = int(b)
		}
		return
	}
	// The window is at most the slab's room, so a write that would fill
	// the slab exactly takes the lock: once per slab.
	if b := min(w.hwm-w.length, w.batchBytes, room); b > 1 {
		pr.setWindow(int(b))
	}
}

// acceptedLocked does the accounting of Write after a publication: the
// false return, the peak, the test hook. It returns Write's result.
func (w *Writable[T]) acceptedLocked() bool {
	if w.length > w.stats.PeakBuffered {
		w.stats.PeakBuffered = w.length
	}
	ok := w.length < w.hwm
	if !ok {
		w.needDrain = true
		w.stats.FalseReturns++
	}
	if w.testHook != nil {
		w.testHook(w.length, ok, false)
	}
	return ok
}

// newSlabLocked retires the current slab and starts a new one: the oldest
// free one once more than ringSlabs are free, else a new one. Called after
// publishLocked.
func (w *Writable[T]) newSlabLocked() {
	pr := &w.p
	if pr.full != nil {
		w.retired = append(w.retired, retiredSlab{buf: pr.full, end: w.pubTotal})
		w.recycleLocked()
	}
	if k := len(w.free); k > ringSlabs {
		pr.full = w.free[0]
		copy(w.free, w.free[1:])
		w.free[k-1] = nil
		w.free = w.free[:k-1]
	} else {
		pr.full = make([]byte, 0, slabSize)
	}
	pr.slab = pr.full[:0:0]
	pr.pub = 0
	if !w.joins && pr.ends == nil {
		pr.ends = make([]int32, 0, maxEnds)
	}
	w.mergeable = false
}

// recycleLocked moves retired slabs the sink is done with to the free list.
func (w *Writable[T]) recycleLocked() {
	done := w.pubTotal - w.length
	i := 0
	for ; i < len(w.retired) && w.retired[i].end <= done; i++ {
		if len(w.free) < maxFreeSlabs {
			w.free = append(w.free, w.retired[i].buf)
		}
		w.retired[i] = retiredSlab{}
	}
	if i > 0 {
		w.retired = append(w.retired[:0], w.retired[i:]...)
	}
}

// publishLocked hands the producer's unpublished writes to the stream's
// goroutine.
func (w *Writable[T]) publishLocked() { w.publishCBLocked(nil) }

// publishCBLocked publishes, attaching cb (if not nil) to the last write.
func (w *Writable[T]) publishCBLocked(cb func(error)) {
	pr := &w.p
	wrote := pr.writes > 0
	w.stats.Writes += pr.writes
	pr.writes = 0
	from, to := pr.pub, len(pr.slab)
	n := int64(to - from)
	w.length += n
	w.pubTotal += n
	pr.pub = to
	switch {
	case pr.ends != nil:
		start := from
		for _, e := range pr.ends {
			w.queue = append(w.queue, asT[T](pr.slab[start:e:e]))
			start = int(e)
		}
		pr.ends = pr.ends[:0]
	case wrote || cb != nil:
		// Even empty writes queue a chunk (n == 0): a false return is
		// answered by a drain once the sink has returned from it.
		if w.mergeable && cb == nil {
			// Extend the last queued chunk, which ends where this begins.
			w.queue[len(w.queue)-1] = asT[T](pr.slab[w.mergeFrom:to:to])
		} else {
			w.queue = append(w.queue, asT[T](pr.slab[from:to:to]))
			w.mergeFrom = from
		}
		w.mergeable = cb == nil
	default:
		return
	}
	if len(w.cbs) > 0 || cb != nil {
		w.cbs = padCallbacks(w.cbs, len(w.queue))
	}
	if cb != nil {
		w.cbs[len(w.queue)-1] = cb
		w.mergeable = false
	}
	if w.corked == 0 {
		w.wake()
	}
}

// enqueueLocked appends one chunk to the queue (the locked path's write).
func (w *Writable[T]) enqueueLocked(chunk T, n int64, cb func(error)) {
	w.mergeable = false
	if n := len(w.queue); n == cap(w.queue) && n >= queueDoubling {
		// Grow a long queue by doubling, not by append's quarter: a
		// producer that ignores backpressure then copies its queue about
		// once in all instead of four times, into fresh memory each time.
		q := make([]T, n, 2*n)
		copy(q, w.queue)
		w.queue = q
	}
	w.queue = append(w.queue, chunk)
	if cb != nil || len(w.cbs) > 0 {
		w.cbs = padCallbacks(w.cbs, len(w.queue)-1)
		w.cbs = append(w.cbs, cb)
	}
	w.length += n
	if w.corked == 0 {
		w.wake()
	}
}

// queueDoubling is the queue length from which enqueueLocked grows it by
// doubling.
const queueDoubling = 1024

// dropUnpublishedLocked forgets writes the producer made after the stream
// was ended or destroyed without its knowing: they fail like any buffered
// write would, silently, as they had no callback.
func (w *Writable[T]) dropUnpublishedLocked() {
	pr := &w.p
	pr.slab = pr.slab[:pr.pub:pr.pub]
	pr.budget = 0
	if pr.ends != nil {
		pr.ends = pr.ends[:0]
	}
	pr.writes = 0
}

// idleLocked reports whether the stream's goroutine is waiting for work
// that is not held back by a cork.
func (w *Writable[T]) idleLocked() bool { return w.idle && w.corked == 0 }
