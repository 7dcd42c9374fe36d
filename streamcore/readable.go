package streamcore

import (
	"context"
	"io"
	"sync"
)

// Source produces a Readable's data (Node's _read). The stream calls Read
// when a consumer wants data and fewer than highWaterMark units are
// buffered (or none, whatever the highWaterMark); n is a hint of how much
// it wants. Read pushes data with r.Push, now or later from any goroutine,
// and signals the end with r.PushEnd and failure with r.Destroy(err). The
// stream does not call Read again until the source has pushed (R3).
//
// Read runs on the stream's goroutine; ctx is cancelled when the stream is
// destroyed. A Source that implements io.Closer is closed when the stream
// closes.
type Source[T any] interface {
	Read(ctx context.Context, r *Readable[T], n int)
}

// SourceFunc adapts a function to a Source.
type SourceFunc[T any] func(ctx context.Context, r *Readable[T], n int)

// Read calls f(ctx, r, n).
func (f SourceFunc[T]) Read(ctx context.Context, r *Readable[T], n int) { f(ctx, r, n) }

// ReadableOptions configures a Readable. The zero value is a byte-mode
// stream with the default 64 KiB highWaterMark.
type ReadableOptions struct {
	// HighWaterMark is the buffered length up to which the stream asks its
	// Source for more. nil means the default (64 KiB, or 16 chunks in object
	// mode); HWM(0) is an explicit zero.
	HighWaterMark *int
	// ObjectMode counts chunks instead of bytes; Read returns one chunk.
	ObjectMode bool
}

// flowing states (Node's readableFlowing: null, false, true).
const (
	flowNull int8 = iota
	flowPaused
	flowOn
)

// Readable is a readable stream with Node.js semantics: a buffer filled by
// a Source up to highWaterMark while someone consumes, delivered either in
// flowing mode (OnData, Resume, Pipe) or in paused mode (Read, Next).
//
// Concurrency: all methods may be called from any goroutine. The stream's
// own goroutine, started by the first consumer, calls the Source and the
// resume, data, end, error and close listeners, one at a time, in order.
type Readable[T any] struct {
	mu   sync.Mutex
	cond sync.Cond

	src    Source[T]
	size   func(T) int
	object bool
	hwm    int64
	ctx    context.Context
	cancel context.CancelFunc

	buf        []T
	length     int64
	eof        bool // PushEnd seen (Node's ended)
	drained    bool // a paused-mode reader found the buffer empty after eof
	endEmitted bool
	reading    bool // the Source was asked and has not pushed yet
	consumer   bool
	flowing    int8
	started    bool
	resumeEv   bool // Resume was called and the resume event is not out yet
	idle       bool
	destroyed  bool
	closed     bool
	err        error
	waitCh     chan struct{}

	onData []*listener[func(T)]
	// onReadable are the readable listeners; needReadable: the next time
	// data (or the end) is there, they are due (Node's needReadable).
	onReadable   []*listener[func()]
	needReadable bool
	onEnd        []func()
	onClose      []func()
	onError      []func(error)
	onPause      []func()
	onResume     []func()
	done         chan struct{}

	pipes       []*pipeDest[T]
	pipeScratch []*pipeDest[T]
	piped       bool // the pipe listeners are installed
	// pipeListener is the data listener all pipes share, once installed.
	pipeListener *listener[func(T)]
	awaitDrain   int // destinations that returned false and have not drained

	// pool, if not nil, is the pool the Source lends its chunks from (see
	// lend.go); nil once a paused-mode read ended lending.
	pool *chunkPool
}

// NewReadable returns a Readable fed by src. Nothing is read until a
// consumer asks (R3).
func NewReadable[T any](src Source[T], opts ReadableOptions) (*Readable[T], error) {
	hwm, err := resolveHWM(opts.HighWaterMark, opts.ObjectMode)
	if err != nil {
		return nil, err
	}
	size, err := sizer[T](opts.ObjectMode)
	if err != nil {
		return nil, err
	}
	r := &Readable[T]{src: src, size: size, object: opts.ObjectMode, hwm: hwm, done: make(chan struct{})}
	if l, ok := any(src).(chunkLender); ok && !opts.ObjectMode {
		r.pool = l.lentChunks()
	}
	r.cond.L = &r.mu
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r, nil
}

// FromSlice returns an object-mode Readable that yields items and ends
// (Node's Readable.from).
func FromSlice[T any](items []T, opts ReadableOptions) (*Readable[T], error) {
	i := 0
	opts.ObjectMode = true
	return NewReadable[T](SourceFunc[T](func(_ context.Context, r *Readable[T], _ int) {
		for i < len(items) {
			i++
			if !r.Push(items[i-1]) {
				return
			}
		}
		r.PushEnd()
	}), opts)
}

func (r *Readable[T]) chunkSize(c T) int64 {
	if r.size == nil {
		return 1
	}
	return int64(r.size(c))
}

// Push adds chunk to the buffer and reports whether the source may push
// more: not ended and the buffered length still below highWaterMark (R1).
// The chunk is kept whole even past highWaterMark. An empty byte chunk
// changes nothing and returns true (R2). Push after PushEnd is an error
// that destroys the stream with ErrPushAfterEOF; a nil chunk in object
// mode destroys it with ErrNullValue.
func (r *Readable[T]) Push(chunk T) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.destroyed:
		return false
	case r.eof:
		r.destroyLocked(ErrPushAfterEOF)
		return false
	case r.object && isNil(chunk):
		r.destroyLocked(ErrNullValue)
		return false
	}
	r.reading = false
	n := r.chunkSize(chunk)
	if n == 0 && !r.object {
		r.wakeLocked()
		return true
	}
	r.buf = append(r.buf, chunk)
	r.length += n
	r.wakeLocked()
	return r.length < r.hwm
}

// PushEnd signals the end of the data (Node's push(null)) and returns false.
func (r *Readable[T]) PushEnd() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.destroyed {
		r.eof = true
		r.reading = false
		r.wakeLocked()
	}
	return false
}

// Unshift puts chunk back at the front of the buffer (R8), for a consumer
// that read more than it needed.
func (r *Readable[T]) Unshift(chunk T) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.endEmitted {
		return ErrUnshiftAfterEnd
	}
	if r.destroyed {
		return r.failErr()
	}
	r.stopLendingLocked()
	r.buf = append(r.buf, chunk)
	copy(r.buf[1:], r.buf)
	r.buf[0] = chunk
	r.length += r.chunkSize(chunk)
	r.drained = false
	r.wakeLocked()
	return nil
}

func (r *Readable[T]) wakeLocked() {
	if r.waitCh != nil {
		close(r.waitCh)
		r.waitCh = nil
	}
	if r.idle {
		r.idle = false
		r.cond.Signal()
	}
}

// startLocked starts the stream's goroutine once a consumer exists.
func (r *Readable[T]) startLocked() {
	r.consumer = true
	if !r.started {
		r.started = true
		go r.run()
	}
	r.wakeLocked()
}

// Read returns buffered data in paused mode without blocking (R4, R5). In
// object mode it returns one chunk. In byte mode it returns n bytes joined
// across chunks, nothing while fewer than n are buffered unless the stream
// ended (then the remainder), and everything buffered for n ≤ 0. ok is false
// when nothing was returned. Read also asks the Source for more.
func (r *Readable[T]) Read(n int) (chunk T, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.object && int64(n) > r.hwm {
		// Node raises the mark to the next power of two so that the
		// source is asked for enough to satisfy the read.
		r.hwm = nextPow2(int64(n))
	}
	r.stopLendingLocked()
	r.startLocked()
	if len(r.buf) == 0 {
		r.noteEmptyLocked()
		r.needReadable = true
		return chunk, false
	}
	if r.object {
		chunk = r.shiftLocked()
	} else {
		want := int64(n)
		if n <= 0 || want > r.length {
			if n > 0 && !r.eof {
				r.needReadable = true
				return chunk, false
			}
			want = r.length
		}
		chunk = r.takeBytesLocked(want)
	}
	if len(r.buf) == 0 {
		r.noteEmptyLocked()
		r.needReadable = true
	}
	return chunk, true
}

func (r *Readable[T]) noteEmptyLocked() {
	if r.eof && !r.drained {
		r.drained = true
		r.wakeLocked()
	}
}

func (r *Readable[T]) shiftLocked() T {
	c := r.buf[0]
	var zero T
	r.buf[0] = zero
	r.buf = r.buf[1:]
	r.length -= r.chunkSize(c)
	return c
}

// takeBytesLocked removes want bytes from the front of the buffer, joining
// or splitting chunks. Byte mode only.
func (r *Readable[T]) takeBytesLocked(want int64) T {
	if want == r.chunkSize(r.buf[0]) {
		return r.shiftLocked()
	}
	var out []byte
	for want > 0 {
		head := r.buf[0]
		hn := r.chunkSize(head)
		if hn <= want {
			out = appendChunk(out, r.shiftLocked())
			want -= hn
			continue
		}
		first, rest := splitChunk(head, int(want))
		out = appendChunk(out, first)
		r.buf[0] = rest
		r.length -= want
		want = 0
	}
	return fromBytes[T](out)
}

// Next blocks until a chunk is buffered and returns it, or returns io.EOF at
// the end of the stream, the stream's error if it failed, or ctx.Err(). It
// is the Go-style paused-mode consumer; do not mix it with flowing mode.
func (r *Readable[T]) Next(ctx context.Context) (T, error) {
	var zero T
	for {
		r.mu.Lock()
		r.stopLendingLocked()
		r.startLocked()
		if r.destroyed && !r.endEmitted {
			// Destroyed before its end: whatever was buffered is gone, so
			// this is a failure, not an EOF on truncated data.
			err := r.failErr()
			r.mu.Unlock()
			return zero, err
		}
		if len(r.buf) > 0 {
			c := r.shiftLocked()
			if len(r.buf) == 0 {
				r.noteEmptyLocked()
			}
			r.wakeLocked()
			r.mu.Unlock()
			return c, nil
		}
		if r.eof || r.endEmitted {
			r.noteEmptyLocked()
			r.mu.Unlock()
			return zero, io.EOF
		}
		if r.waitCh == nil {
			r.waitCh = make(chan struct{})
		}
		ch := r.waitCh
		r.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return zero, ctx.Err()
		}
	}
}

// OnData adds a data listener and, unless the stream was paused
// explicitly, switches it to flowing mode (R6). The returned function
// removes the listener again; as in Node, removing the last one does not
// pause the stream (call Pause for that).
func (r *Readable[T]) OnData(fn func(T)) (remove func()) {
	r.mu.Lock()
	remove = addListener(&r.mu, &r.onData, fn)
	resume := r.flowing != flowPaused
	r.mu.Unlock()
	if resume {
		r.Resume()
	}
	return remove
}

// OnReadable is the paused-mode consumer's notification (Node's readable
// event, R10): fn is called on the stream's goroutine when data can be read
// with Read, and once more at the end of the stream, when Read reports
// nothing and end follows. After a notification the next one comes only
// once Read has found the buffer empty (or returned nothing), so fn should
// read until Read's ok is false. Attaching it pauses the stream and starts
// the Source, as in Node; while a readable listener is attached, Resume and
// OnData do not make the stream flow. The returned function removes fn;
// when no readable listener is left, the stream flows again if it has data
// listeners.
func (r *Readable[T]) OnReadable(fn func()) (remove func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rm := addListener(&r.mu, &r.onReadable, fn)
	r.flowing = flowPaused
	r.needReadable = true
	r.startLocked()
	return func() {
		rm()
		r.mu.Lock()
		resume := len(r.onReadable) == 0 && len(r.onData) > 0
		if len(r.onReadable) == 0 && len(r.onData) == 0 {
			r.flowing = flowNull
		}
		r.mu.Unlock()
		if resume {
			r.Resume()
		}
	}
}

// Pause stops flowing-mode delivery; data the Source pushes is buffered. It
// emits pause if the stream was not already paused.
func (r *Readable[T]) Pause() {
	r.mu.Lock()
	if r.flowing == flowPaused {
		r.mu.Unlock()
		return
	}
	r.flowing = flowPaused
	fns := r.onPause
	r.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// Resume starts or restarts flowing-mode delivery and emits resume if the
// stream was not flowing. As in Node, the resume event is emitted on the
// stream's goroutine, before any data flows.
func (r *Readable[T]) Resume() {
	r.mu.Lock()
	if r.flowing == flowOn || len(r.onReadable) > 0 {
		r.mu.Unlock()
		return
	}
	r.flowing = flowOn
	r.resumeEv = true
	r.startLocked()
	r.mu.Unlock()
}

// IsPaused reports whether the stream was paused explicitly.
func (r *Readable[T]) IsPaused() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.flowing == flowPaused
}

// Flowing reports whether the stream delivers data to listeners.
func (r *Readable[T]) Flowing() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.flowing == flowOn }

// Destroy destroys the stream (R7): no end event; error (if err is not nil)
// then close, on the stream's goroutine. Buffered data is dropped.
func (r *Readable[T]) Destroy(err error) {
	r.mu.Lock()
	r.destroyLocked(err)
	r.mu.Unlock()
}

func (r *Readable[T]) destroyLocked(err error) {
	if r.destroyed {
		return
	}
	r.destroyed = true
	if err != nil && r.err == nil {
		r.err = err
	}
	r.cancel()
	if !r.started {
		r.started = true
		go r.run()
	}
	r.wakeLocked()
}

func (r *Readable[T]) failErr() error {
	if r.err != nil {
		return r.err
	}
	return ErrDestroyed
}

// run is the stream's goroutine: it calls the Source, delivers data in
// flowing mode, and emits end, error and close.
func (r *Readable[T]) run() {
	r.mu.Lock()
	for {
		switch {
		case r.destroyed:
			r.teardown()
			return
		case r.resumeEv:
			r.resumeEv = false
			fns := r.onResume
			r.mu.Unlock()
			for _, fn := range fns {
				fn()
			}
			r.mu.Lock()
		case r.needReadable && len(r.onReadable) > 0 && (len(r.buf) > 0 || r.eof && !r.drained):
			r.needReadable = false
			fns := r.onReadable
			r.mu.Unlock()
			for _, l := range fns {
				l.fn()
			}
			r.mu.Lock()
		case r.flowing == flowOn && len(r.buf) > 0:
			c := r.shiftLocked()
			if len(r.buf) == 0 {
				// As Node's read() that returns the last chunk after
				// push(null): end follows even if a listener pauses now.
				r.noteEmptyLocked()
			}
			fns := r.onData
			if r.pool != nil {
				if p, release := r.lendLocked(c, fns); p != nil {
					r.mu.Unlock()
					if !p.dst.writeRef(c, release) {
						r.awaitPipeDrain(p)
					}
					r.mu.Lock()
					continue
				}
			}
			r.mu.Unlock()
			for _, l := range fns {
				l.fn(c)
			}
			r.mu.Lock()
		case r.eof && len(r.buf) == 0 && (r.flowing == flowOn || r.drained):
			r.endEmitted = true
			fns := r.onEnd
			r.mu.Unlock()
			for _, fn := range fns {
				fn()
			}
			r.mu.Lock()
			r.destroyed = true // autoDestroy after end: close, no error
			r.teardown()
			return
		case !r.eof && !r.reading && r.consumer && (r.length < r.hwm || r.length == 0):
			// An empty buffer is always refilled, so that HWM(0) reads
			// one chunk at a time instead of never (Node's read()).
			r.reading = true
			n := int(r.hwm - r.length)
			r.mu.Unlock()
			r.src.Read(r.ctx, r, n)
			r.mu.Lock()
		default:
			r.idle = true
			r.cond.Wait()
		}
	}
}

// teardown closes the Source and emits error (if any) then close. Called
// with r.mu held; returns with it released.
func (r *Readable[T]) teardown() {
	r.cancel()
	clear(r.buf)
	r.buf = nil
	r.length = 0
	r.mu.Unlock()
	var closeErr error
	if c, ok := r.src.(io.Closer); ok {
		closeErr = c.Close()
	}
	r.mu.Lock()
	if r.err == nil && closeErr != nil {
		r.err = closeErr
	}
	errv, onErr, onClose := r.err, r.onError, r.onClose
	r.closed = true
	if r.waitCh != nil {
		close(r.waitCh)
		r.waitCh = nil
	}
	r.mu.Unlock()
	if errv != nil {
		for _, fn := range onErr {
			fn(errv)
		}
	}
	for _, fn := range onClose {
		fn()
	}
	close(r.done)
}

// OnEnd calls fn when all data was consumed after PushEnd (R7).
func (r *Readable[T]) OnEnd(fn func()) { r.mu.Lock(); r.onEnd = append(r.onEnd, fn); r.mu.Unlock() }

// OnClose calls fn when the stream has closed, after end or Destroy.
func (r *Readable[T]) OnClose(fn func()) {
	r.mu.Lock()
	r.onClose = append(r.onClose, fn)
	r.mu.Unlock()
}

// OnError calls fn with the stream's error, once.
func (r *Readable[T]) OnError(fn func(error)) {
	r.mu.Lock()
	r.onError = append(r.onError, fn)
	r.mu.Unlock()
}

// OnPause and OnResume observe flowing-mode changes (R6).
func (r *Readable[T]) OnPause(fn func()) {
	r.mu.Lock()
	r.onPause = append(r.onPause, fn)
	r.mu.Unlock()
}

// OnResume calls fn each time the stream starts flowing, on the stream's
// goroutine, before any data is delivered.
func (r *Readable[T]) OnResume(fn func()) {
	r.mu.Lock()
	r.onResume = append(r.onResume, fn)
	r.mu.Unlock()
}

// Done returns a channel closed after the close event.
func (r *Readable[T]) Done() <-chan struct{} { return r.done }

// Err returns the stream's error, or nil.
func (r *Readable[T]) Err() error { r.mu.Lock(); defer r.mu.Unlock(); return r.err }

// Length returns the buffered length (Node's readableLength).
func (r *Readable[T]) Length() int64 { r.mu.Lock(); defer r.mu.Unlock(); return r.length }

// Ended reports whether the end event was emitted.
func (r *Readable[T]) Ended() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.endEmitted }

// Destroyed reports whether the stream was destroyed or has closed.
func (r *Readable[T]) Destroyed() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.destroyed }

// HighWaterMark returns the stream's highWaterMark. A paused-mode Read of
// more than it raises it to the next power of two, as in Node.
func (r *Readable[T]) HighWaterMark() int64 { r.mu.Lock(); defer r.mu.Unlock(); return r.hwm }

func nextPow2(n int64) int64 {
	p := int64(1)
	for p < n {
		p <<= 1
	}
	return p
}

// Reader adapts a byte-mode Readable to an io.Reader: a blocking,
// paused-mode consumer built on Next.
func Reader(ctx context.Context, r *Readable[[]byte]) io.Reader { return &reader{ctx: ctx, r: r} }

type reader struct {
	ctx  context.Context
	r    *Readable[[]byte]
	rest []byte
}

func (rd *reader) Read(p []byte) (int, error) {
	for len(rd.rest) == 0 {
		c, err := rd.r.Next(rd.ctx)
		if err != nil {
			return 0, err
		}
		rd.rest = c
	}
	n := copy(p, rd.rest)
	rd.rest = rd.rest[n:]
	return n, nil
}
