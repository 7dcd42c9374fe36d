package streamcore

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Sink is the underlying resource a Writable delivers chunks to (Node's
// _write). Write is called from the stream's own goroutine, one call at a
// time, never concurrently with another Write, WriteBatch or Final. ctx is
// cancelled when the stream is destroyed, so a sink that blocks (a slow
// socket, a throttle) should give up when it is done.
//
// A Sink must not keep a []byte chunk after returning from the call that
// handed it over (io.Writer's rule): the stream reuses that memory, for
// its slabs and for chunks lent by a piped file or gzip source (B5).
//
// A Sink may also implement BatchSink (Node's _writev), Finaler (_final) and
// io.Closer (called once when the stream closes, after finish or destroy:
// Node's _destroy).
type Sink[T any] interface {
	Write(ctx context.Context, chunk T) error
}

// BatchSink is a Sink that accepts several chunks at once. The Writable
// hands it everything that queued while the previous call was in flight, or
// everything written while corked, in one call (C1, C3). chunks is only
// valid during the call.
type BatchSink[T any] interface {
	Sink[T]
	WriteBatch(ctx context.Context, chunks []T) error
}

// Finaler is implemented by sinks that need a last step after every write
// completed and before finish, such as flushing a compressor (E3).
type Finaler interface {
	Final(ctx context.Context) error
}

// SinkFunc adapts a function to a Sink.
type SinkFunc[T any] func(ctx context.Context, chunk T) error

// Write calls f(ctx, chunk).
func (f SinkFunc[T]) Write(ctx context.Context, chunk T) error { return f(ctx, chunk) }

// WritableOptions configures a Writable. The zero value is a byte-mode
// stream with the default 64 KiB highWaterMark.
type WritableOptions struct {
	// HighWaterMark is the buffered length at which Write starts returning
	// false. nil means the default (64 KiB, or 16 chunks in object mode);
	// HWM(0) is an explicit zero. Negative values are rejected.
	HighWaterMark *int
	// ObjectMode counts every chunk as 1 whatever its size, and rejects nil
	// chunks. Without it the chunk type must be []byte or string.
	ObjectMode bool
	// Cooperative schedules the sink as Node's single event loop does: it
	// runs only while a producer waits (WaitDrain, End, Close, Destroy), never
	// alongside a producer that keeps writing. A producer that ignores false
	// then starves the sink and buffers everything, as the backpressure guide's tight loop
	// does in Node; one that waits for drain lets the sink take whole
	// batches. Producers that wait with Drain or OnceDrain instead of
	// WaitDrain do not run the sink: use WaitDrain.
	Cooperative bool
}

// Writable is a writable stream with Node.js backpressure semantics.
//
// Write always accepts the chunk and queues it; the bool it returns is
// advice: false means the buffered length reached the highWaterMark and the
// producer should wait for drain (WaitDrain, Drain, or OnceDrain). The chunks
// are handed to the Sink by a goroutine the stream owns, so a producer that
// ignores false really does grow the buffer.
//
// Ownership: on a Writable[[]byte] in byte mode Write copies the chunk (the
// byte path: see the package doc for when the bytes reach the sink); on
// other Writables a chunk passed to Write belongs to the stream until its
// completion callback runs, and the caller must not modify it.
//
// Concurrency: the producer's methods (Write, WriteString, PutByte,
// WriteCB, Flush, Uncork, End, EndWith, Close) are for one goroutine at a time, like
// bufio.Writer's; all other methods may be called from any goroutine. Event
// listeners and completion callbacks run on the stream's goroutine, one at
// a time, in Node's order, never inside the call that caused them; a
// listener may call Write, End or Destroy.
//
// Errors are sticky (bufio.Writer's rule) and the first one wins: after a
// sink error or Destroy(err), Err returns it and every later Write fails.
type Writable[T any] struct {
	// Set at construction and only read after: both goroutines read these
	// without contention, so they are kept off the cache line of mu, which
	// every Write modifies.
	sink   Sink[T]
	batch  BatchSink[T] // nil if the sink does not take batches
	size   func(T) int  // nil in object mode: every chunk counts 1
	object bool
	hwm    int64
	ctx    context.Context // cancelled by Destroy; handed to the sink
	cancel context.CancelFunc
	done   chan struct{}
	// slabs: the byte path (T is []byte, byte mode, chunks copied into
	// slabs); joins: the sink is a ByteStreamSink; batchBytes: the most the
	// producer writes between publications.
	slabs      bool
	joins      bool
	batchBytes int64
	// releases: the sink keeps no chunk once it has returned from it, so a
	// pipe may lend it pooled chunks and reuse each once its write has
	// called back (see lend.go). Byte-path streams, whose sinks must not keep
	// chunks, and the gzip transforms.
	releases bool
	_        [64]byte

	// p is the producer's state (see producer); on its own cache lines.
	p producer
	_ [64]byte

	mu   sync.Mutex
	cond sync.Cond // the flusher waits here

	// queue holds chunks not yet taken by the flusher. cbs runs parallel to
	// it once some queued write has a callback, with nil entries for writes
	// without one; until then it is empty, so such writes do not pay for it.
	// spare* are the previous batch's slices, reused so steady-state writes
	// do not allocate.
	queue    []T
	cbs      []func(error)
	spareQ   []T
	spareCB  []func(error)
	length   int64 // writableLength: queued + in flight, as published
	pubTotal int64 // bytes published since the stream was created
	largest  int64 // the largest chunk taken under the lock (the fast path's writes stay below the highWaterMark)
	// mergeable: the last queued chunk is slab[mergeFrom:] of the current
	// slab and the next publication may extend it (joining sinks).
	mergeable bool
	mergeFrom int
	retired   []retiredSlab
	free      [][]byte
	corked    int
	idle      bool // the flusher is waiting on cond, or spinning (see handoff.go)
	spinning  bool // the flusher is spinning: wake sets kick instead of signalling cond
	// lastHandover is when a write last found the stream idle, busyBytes
	// what the sink has taken since the flusher last parked (see
	// handoff.go). handovers, spins, kicks and parks count such writes,
	// spins of the flusher, wakes delivered to a spinning flusher, and
	// waits on cond, for tests.
	lastHandover time.Duration // since clockBase
	busyBytes    int64
	handovers    int64
	spins        int64
	kicks        int64
	parks        int64
	coop         bool // WritableOptions.Cooperative
	waiting      int  // producers blocked in WaitDrain (Cooperative: the sink may run)
	needDrain    bool
	ending       bool // End was called
	finished     bool
	destroyed    bool
	closed       bool
	err          error // sticky, first wins
	errorSent    bool

	pending   []func() // callbacks to run on the flusher goroutine
	endCbs    []func(error)
	onDrain   []*listener[func()]
	onceDrain []func()
	drainCh   chan struct{}
	waitStart time.Time
	onFinish  []*listener[func()]
	onClose   []*listener[func()]
	onError   []func(error)

	stats Stats

	// kick is set by wake while the flusher spins; the spinning flusher
	// reads it in a loop, so it has a cache line of its own.
	_    [64]byte
	kick atomic.Bool
	_    [64]byte

	// testHook, if set by this package's tests (under mu, before the first
	// Write), is called under mu with the buffered length after each
	// accepted write and at each drain event.
	testHook func(length int64, ok, drain bool)
}

// NewWritable returns a Writable that delivers to sink. It starts the
// stream's goroutine, which stops when the stream closes (after finish, an
// error or Destroy).
func NewWritable[T any](sink Sink[T], opts WritableOptions) (*Writable[T], error) {
	return newWritable(sink, opts, true)
}

// newWritable is NewWritable; copy false keeps written []byte chunks by
// reference (a Transform's writable side, whose function may push them on).
func newWritable[T any](sink Sink[T], opts WritableOptions, copy bool) (*Writable[T], error) {
	hwm, err := resolveHWM(opts.HighWaterMark, opts.ObjectMode)
	if err != nil {
		return nil, err
	}
	size, err := sizer[T](opts.ObjectMode)
	if err != nil {
		return nil, err
	}
	// idle: the goroutine has nothing to do yet, whether or not it has
	// reached its first wait.
	w := &Writable[T]{sink: sink, size: size, object: opts.ObjectMode, hwm: hwm, done: make(chan struct{}), idle: true, coop: opts.Cooperative}
	w.batch, _ = sink.(BatchSink[T])
	if _, ok := any(sink).(Sink[[]byte]); ok && copy && !opts.ObjectMode {
		w.slabs = true
		w.releases = true
		_, w.joins = any(sink).(ByteStreamSink)
		w.batchBytes = min(maxBatchBytes, hwm/2)
	}
	w.cond.L = &w.mu
	w.ctx, w.cancel = context.WithCancel(context.Background())
	go w.run()
	return w, nil
}

func (w *Writable[T]) chunkSize(c T) int64 {
	if w.size == nil {
		return 1
	}
	return int64(w.size(c))
}

// Write queues chunk and reports whether the producer may keep writing:
// true while the buffered length, counting this chunk, is below the
// highWaterMark (W1). It is WriteCB without a callback.
//
// On a Writable[[]byte] in byte mode Write copies chunk, which the caller
// may reuse at once; most writes take no lock (see "When bytes reach the
// sink" in the package doc).
//
// A write made while the stream owes a drain (an earlier write returned
// false and drain has not fired) is still accepted, and counted in
// Stats.WritesAfterFalse with the call site of the first one.
func (w *Writable[T]) Write(chunk T) bool {
	// The fast path is closed (cap(slab) == len(slab)) unless this is the
	// byte path, where T is []byte.
	if cap(w.p.slab) != len(w.p.slab) && w.p.writeFast(asBytes(&chunk)) {
		return true
	}
	return w.WriteCB(chunk, nil)
}

// WriteString writes s as one chunk of a byte-mode stream: it is Write(s)
// on a Writable[string], and on a Writable[[]byte] it copies s like Write
// without converting it first. On a stream of any other chunk type it fails
// like a nil chunk in object mode, destroying the stream.
func (w *Writable[T]) WriteString(s string) bool {
	if w.p.writeFast(unsafe.Slice(unsafe.StringData(s), len(s))) {
		return true
	}
	return w.writeString(s)
}

// PutByte writes the single byte c as one chunk, like WriteString with a
// one-byte string, and returns Write's result. Its fast path stores the
// byte without copying a slice, as bufio.Writer's WriteByte does: a
// producer writing "line i\n" as three writes ends each line with
// PutByte('\n'). It is not named WriteByte because io.ByteWriter's
// WriteByte returns an error, not the backpressure advice.
func (w *Writable[T]) PutByte(c byte) bool {
	pr := &w.p
	if n := len(pr.slab); cap(pr.slab)-n > 1 && !pr.stop.Load() {
		pr.slab = pr.slab[:n+1]
		pr.slab[n] = c
		pr.writes++
		return true
	}
	return w.putByte(c)
}

// putByte is PutByte past the fast path.
func (w *Writable[T]) putByte(c byte) bool {
	b := [1]byte{c}
	if w.slabs {
		return w.writeBytes(b[:], nil)
	}
	return w.writeString(string(b[:]))
}

// writeString is WriteString past the fast path; kept apart so that the
// fast path stays small.
func (w *Writable[T]) writeString(s string) bool {
	if w.slabs {
		return w.writeBytes(unsafe.Slice(unsafe.StringData(s), len(s)), nil)
	}
	switch any(*new(T)).(type) {
	case string:
		return w.writeRef(*(*T)(unsafe.Pointer(&s)), nil)
	case []byte:
		return w.writeRef(asT[T]([]byte(s)), nil)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.destroyLocked(fmt.Errorf("streamcore: WriteString on a stream of %T chunks", *new(T)))
	return false
}

// writeFast is Write's fast path: it appends p to the current slab if the
// budget (the slab's window, see producer) allows, without a lock. It is
// small enough to be inlined into Write and WriteString; sinks that keep
// chunk boundaries take writeFastEnds.
func (pr *producer) writeFast(p []byte) bool {
	n := len(pr.slab)
	if len(p) >= cap(pr.slab)-n || pr.stop.Load() {
		return false
	}
	pr.slab = pr.slab[:n+len(p)]
	copy(pr.slab[n:], p)
	pr.writes++
	return true
}

// writeFastEnds is writeFast for a sink that takes chunks one by one: it
// also records where the chunk ends. writeBytes tries it before the lock.
func (pr *producer) writeFastEnds(p []byte) bool {
	if len(p) >= pr.budget || pr.ends == nil || len(pr.ends) == cap(pr.ends) || pr.stop.Load() {
		return false
	}
	pr.budget -= len(p)
	n := len(pr.slab)
	pr.slab = pr.full[: n+len(p) : n+len(p)]
	copy(pr.slab[n:], p)
	pr.ends = append(pr.ends, int32(len(pr.slab)))
	pr.writes++
	return true
}

// WriteCB queues chunk like Write and calls cb (if not nil) once the sink
// has taken it, with nil or the error that failed it. cb never runs inside
// WriteCB (W8).
//
// Writing after End fails with ErrWriteAfterEnd, which also becomes the
// stream's error (E5); writing to a destroyed stream fails with
// ErrDestroyed; a nil chunk in object mode fails with ErrNullValue and
// destroys the stream (W11). In each case WriteCB returns false.
func (w *Writable[T]) WriteCB(chunk T, cb func(error)) bool {
	if w.slabs {
		return w.writeBytes(asBytes(&chunk), cb)
	}
	return w.writeRef(chunk, cb)
}

// writeRef queues chunk itself, not a copy, under the lock. Pipes use it
// (a chunk a Readable emitted belongs to the streams already), and every
// stream that does not copy.
func (w *Writable[T]) writeRef(chunk T, cb func(error)) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ending || w.destroyed || (w.object && isNil(chunk)) {
		w.p.closeFast()
		w.dropUnpublishedLocked()
		w.failWrite(cb)
		return false
	}
	wasIdle := w.idleLocked()
	if w.slabs {
		w.publishLocked()
	}
	n := w.chunkSize(chunk)
	if w.needDrain {
		w.afterFalseLocked(n)
	}
	w.largest = max(w.largest, n)
	w.enqueueLocked(chunk, n, cb)
	w.pubTotal += n
	w.stats.Writes++
	ok := w.acceptedLocked()
	w.armLocked(wasIdle)
	return ok
}

// afterFalseLocked accounts a write of n accepted while the stream owes a
// drain (Stats.WritesAfterFalse), taking its call site if it is the
// first. Only the locked paths call it: the byte path's fast path is closed
// while a drain is owed (armLocked), so writes after false always reach it.
func (w *Writable[T]) afterFalseLocked(n int64) {
	if w.stats.WritesAfterFalse == 0 {
		w.stats.FirstWriteAfterFalse = callSite()
	}
	w.stats.WritesAfterFalse++
	w.stats.BytesAfterFalse += n
}

// failWrite handles a write that cannot be accepted. Called with w.mu held.
func (w *Writable[T]) failWrite(cb func(error)) {
	var err error
	switch {
	case w.ending:
		err = ErrWriteAfterEnd
		w.destroyLocked(err)
	case w.destroyed:
		err = ErrDestroyed
	default:
		err = ErrNullValue
		w.destroyLocked(err)
	}
	if cb != nil {
		w.post(func() { cb(err) })
	}
}

// post schedules fn on the stream's goroutine, or on a new goroutine once
// the stream has closed. Called with w.mu held.
func (w *Writable[T]) post(fn func()) {
	if w.closed {
		go fn()
		return
	}
	w.pending = append(w.pending, fn)
	w.wake()
}

// Cork makes writes buffer without reaching the sink until the matching
// Uncork (C1). Corks nest.
func (w *Writable[T]) Cork() {
	w.mu.Lock()
	w.corked++
	w.mu.Unlock()
}

// Uncork undoes one Cork; the last one hands everything written meanwhile to
// the sink, as one batch if it is a BatchSink.
func (w *Writable[T]) Uncork() {
	w.mu.Lock()
	if w.slabs && !w.ending && !w.destroyed {
		w.publishLocked()
	}
	if w.corked > 0 {
		w.corked--
		if w.corked == 0 && len(w.queue) > 0 {
			w.wake()
		}
	}
	w.mu.Unlock()
}

// Flush hands every byte written so far to the stream's goroutine, which
// passes it to the sink as soon as the sink is free (unless the stream is
// corked). It does not wait for the sink: use WriteCB's callback, Close, or
// WaitDrain after a false Write for that. Only the byte path of a
// Writable[[]byte] ever holds writes back (see "When bytes reach the
// sink" in the package doc); on other streams Flush does nothing.
// Like Write, call it from the producer.
func (w *Writable[T]) Flush() {
	if !w.slabs {
		return
	}
	w.mu.Lock()
	if !w.ending && !w.destroyed {
		wasIdle := w.idleLocked()
		w.publishLocked()
		w.armLocked(wasIdle)
	}
	w.mu.Unlock()
}

// End signals that no more data will be written. Buffered chunks are still
// delivered, then the sink's Final runs, then cb (if not nil) with nil, then
// the finish event, then close (E1). A second End before finish gets its cb
// called with finish; End after finish calls cb with ErrAlreadyFinished and
// emits no error event (E4); End on a destroyed stream calls cb with the
// stream's error or ErrDestroyed. End uncorks fully (C2).
func (w *Writable[T]) End(cb func(error)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.finished:
		// Before destroyed: a finished stream is destroyed too once it has
		// closed (autodestroy), and Node still says "already finished".
		if cb != nil {
			w.post(func() { cb(ErrAlreadyFinished) })
		}
	case w.destroyed:
		if cb != nil {
			err := w.failErr()
			w.post(func() { cb(err) })
		}
	default:
		if w.slabs {
			w.publishLocked()
			w.p.closeFast()
		}
		if cb != nil {
			w.endCbs = append(w.endCbs, cb)
		}
		if !w.ending {
			w.ending = true
			w.p.stop.Store(true)
			w.corked = 0
			w.wake()
		}
	}
}

// EndWith writes chunk as the last chunk and ends the stream (Node's
// end(chunk, cb), E6): Write(chunk) then End(cb). If the stream had already
// ended, the write fails with ErrWriteAfterEnd as any write after End does,
// and cb gets that error.
func (w *Writable[T]) EndWith(chunk T, cb func(error)) {
	w.Write(chunk)
	w.End(cb)
}

// Close ends the stream and waits until it has closed, returning the
// stream's error, like closing an io.WriteCloser. It is End followed by
// waiting on Done; it is not Destroy.
func (w *Writable[T]) Close() error {
	w.End(nil)
	<-w.done
	return w.Err()
}

// Destroy destroys the stream at once (X3, X4): Destroyed reports true on
// return; buffered writes fail with err (or ErrDestroyed if err is nil); the
// write in flight completes with its own result; then, on the stream's
// goroutine, the sink is closed, an error event is emitted if err is not nil
// and close follows. A second Destroy changes nothing.
func (w *Writable[T]) Destroy(err error) {
	w.mu.Lock()
	w.destroyLocked(err)
	w.mu.Unlock()
}

func (w *Writable[T]) destroyLocked(err error) {
	if w.destroyed {
		return
	}
	w.destroyed = true
	w.p.stop.Store(true)
	if err != nil && w.err == nil {
		w.err = err
	}
	w.cancel()
	w.wake()
}

func (w *Writable[T]) failErr() error {
	if w.err != nil {
		return w.err
	}
	return ErrDestroyed
}

// run is the stream's goroutine: it hands chunks to the sink, runs Final,
// dispatches events and callbacks, and tears the stream down.
func (w *Writable[T]) run() {
	w.mu.Lock()
	for {
		switch {
		case len(w.pending) > 0:
			fns := w.pending
			w.pending = nil
			w.mu.Unlock()
			for _, fn := range fns {
				fn()
			}
			w.mu.Lock()
		case w.destroyed:
			w.teardown()
			return
		case len(w.queue) > 0 && w.corked == 0 && (!w.coop || w.waiting > 0 || w.ending):
			w.flush()
		case w.ending:
			w.final()
			return
		default:
			w.idle = true
			if w.spinLocked() {
				continue
			}
			w.busyBytes = 0
			w.parks++
			w.cond.Wait()
		}
	}
}

// flush takes everything queued and hands it to the sink. Called and
// returns with w.mu held.
func (w *Writable[T]) flush() {
	chunks, cbs := w.queue, w.cbs
	w.mergeable = false
	w.queue, w.cbs = w.spareQ[:0], w.spareCB[:0]
	w.spareQ, w.spareCB = nil, nil
	if w.batch != nil && len(chunks) > 1 {
		w.mu.Unlock()
		err := w.batch.WriteBatch(w.ctx, chunks)
		// Everything that does not need the lock happens before retaking
		// it, once per batch: the producer is contending for it.
		var n int64
		for _, c := range chunks {
			n += w.chunkSize(c)
		}
		if len(chunks) > keepStale {
			clear(chunks)
		}
		hasCB := len(cbs) > 0
		w.mu.Lock()
		w.complete(n, err, cbs, hasCB)
		if hasCB {
			clear(cbs)
		}
	} else {
		for i, c := range chunks {
			if w.destroyed {
				// Put back what was not handed over: teardown fails it
				// with the stream's error, like any buffered write.
				w.queue = append(append([]T(nil), chunks[i:]...), w.queue...)
				rest := padCallbacks(cbs, len(chunks))[i:]
				w.cbs = append(append([](func(error)){}, rest...), padCallbacks(w.cbs, len(w.queue)-len(rest))...)
				break
			}
			w.mu.Unlock()
			err := w.sink.Write(w.ctx, c)
			w.mu.Lock()
			var cb []func(error)
			if len(cbs) > 0 {
				cb = cbs[i : i+1]
			}
			w.complete(w.chunkSize(c), err, cb, cb != nil && cb[0] != nil)
		}
		clear(chunks)
		clear(cbs)
	}
	if w.spareQ == nil {
		w.spareQ, w.spareCB = chunks[:0], cbs[:0]
	}
}

// keepStale is how many written chunks a batch's slice may keep referring
// to after the batch, until the producer's next appends overwrite them.
// Clearing a small batch costs more than the memory it frees: it takes the
// slice's cache lines away from the producer, which is about to write
// them again. Large batches (a producer that ignored backpressure) are
// cleared so the memory they held can be collected at once.
const keepStale = 1024

// complete accounts for chunks the sink returned from: drops their length,
// emits drain if due (before the callbacks, W6), runs their callbacks, and on
// a sink error destroys the stream (X1). Called and returns with w.mu held.
func (w *Writable[T]) complete(n int64, err error, cbs []func(error), hasCB bool) {
	w.length -= n
	w.busyBytes += n
	if len(w.retired) > 0 {
		w.recycleLocked()
	}
	var drain []func()
	if err != nil {
		// The write's callback gets err either way; it becomes the
		// stream's error only if the stream was not destroyed already (a
		// sink that gives up on ctx after Destroy(nil) must not turn it
		// into an error event, X4).
		if !w.destroyed {
			if w.err == nil {
				w.err = err
			}
			w.destroyed = true
			w.p.stop.Store(true)
			w.cancel()
		}
	} else if w.needDrain && w.length == 0 && !w.ending && !w.destroyed {
		drain = w.takeDrainLocked()
	}
	if len(drain) == 0 && !hasCB {
		return
	}
	w.mu.Unlock()
	for _, fn := range drain {
		fn()
	}
	for _, cb := range cbs {
		if cb != nil {
			cb(err)
		}
	}
	w.mu.Lock()
}

// padCallbacks extends cbs with nil callbacks to length n.
func padCallbacks(cbs []func(error), n int) []func(error) {
	for len(cbs) < n {
		cbs = append(cbs, nil)
	}
	return cbs
}

// takeDrainLocked clears needDrain, accounts the wait, and returns the
// listeners to call for this drain event.
func (w *Writable[T]) takeDrainLocked() []func() {
	w.needDrain = false
	w.stats.Drains++
	if w.testHook != nil {
		w.testHook(w.length, false, true)
	}
	if !w.waitStart.IsZero() {
		w.stats.DrainWait += time.Since(w.waitStart)
		w.waitStart = time.Time{}
	}
	if w.drainCh != nil {
		close(w.drainCh)
		w.drainCh = nil
	}
	if len(w.onDrain)+len(w.onceDrain) == 0 {
		return nil
	}
	fns := make([]func(), 0, len(w.onDrain)+len(w.onceDrain))
	for _, l := range w.onDrain {
		fns = append(fns, l.fn)
	}
	fns = append(fns, w.onceDrain...)
	w.onceDrain = nil
	return fns
}

// final runs after End once the queue is empty: the sink's Final, then the
// end callbacks, finish, and close. Called with w.mu held; returns with it
// released and the stream closed.
func (w *Writable[T]) final() {
	var err error
	if f, ok := w.sink.(Finaler); ok {
		w.mu.Unlock()
		err = f.Final(w.ctx)
		w.mu.Lock()
	}
	if err != nil || w.destroyed || len(w.queue) > 0 {
		if err != nil && w.err == nil && !w.destroyed {
			w.err = err
		}
		w.destroyed = true
		w.p.stop.Store(true)
		w.teardown()
		return
	}
	w.finished = true
	cbs := w.endCbs
	w.endCbs = nil
	finish := w.onFinish
	w.mu.Unlock()
	for _, cb := range cbs {
		cb(nil)
	}
	for _, l := range finish {
		l.fn()
	}
	w.mu.Lock()
	// Autodestroy after finish: close the sink, then close.
	w.teardown()
}

// teardown fails everything still queued, closes the sink, and emits error
// (once) and close. Called with w.mu held; returns with it released.
func (w *Writable[T]) teardown() {
	fail := w.failErr()
	var failed []func(error)
	for _, c := range w.queue {
		w.length -= w.chunkSize(c)
	}
	for _, cb := range w.cbs {
		if cb != nil {
			failed = append(failed, cb)
		}
	}
	clear(w.queue)
	w.queue, w.cbs = nil, nil
	w.mergeable = false
	failed = append(failed, w.endCbs...)
	w.endCbs = nil
	pending := w.pending
	w.pending = nil
	w.destroyed = true
	w.p.stop.Store(true)
	w.cancel()
	w.mu.Unlock()

	for _, fn := range pending {
		fn()
	}
	for _, cb := range failed {
		cb(fail)
	}
	var closeErr error
	if c, ok := w.sink.(io.Closer); ok {
		closeErr = c.Close()
	}

	w.mu.Lock()
	if w.err == nil && closeErr != nil {
		w.err = closeErr
	}
	var onErr []func(error)
	errv := w.err
	if errv != nil && !w.errorSent {
		w.errorSent = true
		onErr = w.onError
	}
	w.closed = true
	w.idle = false
	if w.drainCh != nil {
		close(w.drainCh)
		w.drainCh = nil
	}
	onClose := w.onClose
	late := w.pending
	w.pending = nil
	w.mu.Unlock()

	for _, fn := range onErr {
		fn(errv)
	}
	for _, l := range onClose {
		l.fn()
	}
	close(w.done)
	for _, fn := range late {
		go fn()
	}
}

// OnceDrain calls fn once, at the next drain event (Node's once('drain')).
// The time until then counts as drain wait in Stats. fn is not called if the
// stream closes first.
//
// In Node the listener is always attached before the stream can drain,
// because both run on one thread. In Go the stream's goroutine may drain
// between a Write returning false and the call to OnceDrain, so if no drain
// is due (no write returned false since the last drain) fn is called at
// once, on the stream's goroutine. The backpressure guide's loop — write until false, then
// OnceDrain(next) — therefore never stalls.
func (w *Writable[T]) OnceDrain(fn func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.needDrain && !w.destroyed {
		w.post(fn)
		return
	}
	w.onceDrain = append(w.onceDrain, fn)
	w.startWaitLocked()
}

// OnDrain calls fn at every drain event (Node's on('drain')) until the
// returned function is called to remove it (Node's removeListener). Prefer
// OnceDrain or WaitDrain in a write loop: a persistent listener attached at
// every stall piles up and re-enters the loop (the million-line-writer
// workload's drain-on variant measures what that costs).
// A call made while another OnDrain listener is attached counts in
// Stats.ExtraDrainListeners, and the first such call's site is kept.
func (w *Writable[T]) OnDrain(fn func()) (remove func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.onDrain) > 0 {
		if w.stats.ExtraDrainListeners == 0 {
			w.stats.FirstExtraDrainListener = callSite()
		}
		w.stats.ExtraDrainListeners++
	}
	return addListener(&w.mu, &w.onDrain, fn)
}

// Drain returns a channel closed at the next drain event, or when the stream
// closes, whichever comes first; check Err after receiving. Like OnceDrain,
// if no drain is due the channel is already closed.
func (w *Writable[T]) Drain() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.needDrain && !w.destroyed {
		return closedChan
	}
	return w.drainChLocked()
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (w *Writable[T]) drainChLocked() chan struct{} {
	if w.closed {
		return w.done
	}
	if w.drainCh == nil {
		w.drainCh = make(chan struct{})
	}
	w.startWaitLocked()
	return w.drainCh
}

func (w *Writable[T]) startWaitLocked() {
	if w.waitStart.IsZero() {
		w.waitStart = time.Now()
	}
}

// WaitDrain blocks until the stream has drained, if a write returned false
// since the last drain; otherwise it returns nil at once. It returns the
// stream's error if the stream fails or is destroyed meanwhile, and
// ctx.Err() if ctx is done first. After End no drain comes (W7), so it
// returns at once.
func (w *Writable[T]) WaitDrain(ctx context.Context) error {
	w.mu.Lock()
	if err, done := w.waitResultLocked(); done {
		w.mu.Unlock()
		return err
	}
	if !w.needDrain || w.ending {
		w.mu.Unlock()
		return nil
	}
	ch := w.drainChLocked()
	if w.coop {
		// The producer yields: the sink may run until it is back.
		w.waiting++
		w.wake()
		defer func() { w.mu.Lock(); w.waiting--; w.mu.Unlock() }()
	}
	w.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
		return ctx.Err()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	err, _ := w.waitResultLocked()
	return err
}

// waitResultLocked is what WaitDrain returns once the stream is past
// waiting: nil after a clean finish (the stream tears itself down after
// finish, but that is no failure), the stream's error after a failure or
// Destroy. done is false while the stream is still open.
func (w *Writable[T]) waitResultLocked() (err error, done bool) {
	switch {
	case w.finished:
		return nil, true
	case w.destroyed:
		return w.failErr(), true
	}
	return nil, false
}

// OnFinish calls fn when every write reached the sink and Final returned
// after End (the finish event).
func (w *Writable[T]) OnFinish(fn func()) { w.onFinishRemovable(fn) }

// onFinishRemovable and onCloseRemovable add a listener and return the
// function that removes it: Unpipe uses them to leave no listener behind on
// its destination, as Node's pipe cleanup does.
func (w *Writable[T]) onFinishRemovable(fn func()) (remove func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return addListener(&w.mu, &w.onFinish, fn)
}

func (w *Writable[T]) onCloseRemovable(fn func()) (remove func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return addListener(&w.mu, &w.onClose, fn)
}

// OnClose calls fn when the stream has closed: after finish, an error, or
// Destroy. It is the last event.
func (w *Writable[T]) OnClose(fn func()) { w.onCloseRemovable(fn) }

// OnError calls fn with the stream's error, at most once per stream (X2).
func (w *Writable[T]) OnError(fn func(error)) {
	w.mu.Lock()
	w.onError = append(w.onError, fn)
	w.mu.Unlock()
}

// Done returns a channel closed after the close event.
func (w *Writable[T]) Done() <-chan struct{} { return w.done }

// Err returns the stream's sticky error, or nil.
func (w *Writable[T]) Err() error { w.mu.Lock(); defer w.mu.Unlock(); return w.err }

// Length returns the buffered length (Node's writableLength): chunks queued
// and in flight, in bytes or, in object mode, chunks.
func (w *Writable[T]) Length() int64 { w.mu.Lock(); defer w.mu.Unlock(); return w.length }

// NeedDrain reports whether a write returned false and drain has not come yet.
func (w *Writable[T]) NeedDrain() bool { w.mu.Lock(); defer w.mu.Unlock(); return w.needDrain }

// Writable reports whether Write may still be called: not ended, not destroyed.
func (w *Writable[T]) Writable() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.ending && !w.destroyed
}

// Ended reports whether End was called (Node's writableEnded).
func (w *Writable[T]) Ended() bool { w.mu.Lock(); defer w.mu.Unlock(); return w.ending }

// Finished reports whether finish was emitted or is being emitted (E2).
func (w *Writable[T]) Finished() bool { w.mu.Lock(); defer w.mu.Unlock(); return w.finished }

// Destroyed reports whether Destroy was called or the stream failed.
func (w *Writable[T]) Destroyed() bool { w.mu.Lock(); defer w.mu.Unlock(); return w.destroyed }

// Corked returns the cork depth.
func (w *Writable[T]) Corked() int { w.mu.Lock(); defer w.mu.Unlock(); return w.corked }

// HighWaterMark returns the stream's highWaterMark.
func (w *Writable[T]) HighWaterMark() int64 { return w.hwm }

// ObjectMode reports whether chunks count 1 each.
func (w *Writable[T]) ObjectMode() bool { return w.object }

// Stats returns a snapshot of the flow-control counters.
func (w *Writable[T]) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stats
	s.Buffered = w.length
	s.DrainListeners = int64(len(w.onDrain) + len(w.onceDrain))
	s.Written = w.pubTotal
	s.Bound = w.hwm + w.largest
	if !w.waitStart.IsZero() {
		s.DrainWait += time.Since(w.waitStart)
	}
	return s
}
