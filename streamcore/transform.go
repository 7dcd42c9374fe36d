package streamcore

import (
	"context"
	"sync"
)

// TransformFunc turns one input chunk into zero or more output chunks,
// handing each to push (which reports, like Readable.Push, whether the
// readable side wants more; the transform may ignore it: the stream holds
// the write until the reader catches up). A non-nil error destroys the
// transform.
type TransformFunc[I, O any] func(ctx context.Context, chunk I, push func(O) bool) error

// TransformOptions configures a Transform. The zero value is byte mode on
// both sides with the default highWaterMark.
type TransformOptions[O any] struct {
	// HighWaterMark sets both sides and, as in Node, wins over the
	// per-side fields (D3); ReadableHighWaterMark and WritableHighWaterMark
	// set one side when it is nil. A readable side of 0 makes the writable
	// side 0 too unless WritableHighWaterMark is above 0 (Node's Transform
	// buffers on one side only). nil means the default.
	HighWaterMark         *int
	ReadableHighWaterMark *int
	WritableHighWaterMark *int
	// ObjectMode sets both sides; the per-side fields set one.
	ObjectMode         bool
	ReadableObjectMode bool
	WritableObjectMode bool
	// Flush, if set, runs after the last input chunk and before the readable
	// side ends (T2); it may push final output.
	Flush func(ctx context.Context, push func(O) bool) error
}

// Transform is a duplex stream whose readable side is computed from what is
// written to its writable side, with backpressure on both (T1): with no
// reader, the transform runs only until its readable side reaches its
// highWaterMark, after which the write in flight is held, writes pile up on
// the writable side and Write returns false. Reading releases it. After
// End nothing more is held (T5): one read lets every queued chunk through
// the transform and finish follows.
//
// Use the embedded sides for stream operations (t.Writable.Write,
// t.Readable.OnData); Destroy, Done and Err cover both.
type Transform[I, O any] struct {
	*Writable[I]
	*Readable[O]

	fn    TransformFunc[I, O]
	flush func(ctx context.Context, push func(O) bool) error
	pull  chan struct{} // signalled when the readable side asks for data
	// selfPaced: the transform function applies readable-side backpressure
	// itself (gunzip's decoder), so writes are not held.
	selfPaced bool
	// releasedAfterEnd: a held write was released after End, so no write
	// is held any more (see waitRoom). Used by the writable side's
	// goroutine only.
	releasedAfterEnd bool
	done             chan struct{}
}

// NewTransform returns a Transform applying fn.
func NewTransform[I, O any](fn TransformFunc[I, O], opts TransformOptions[O]) (*Transform[I, O], error) {
	t := &Transform[I, O]{fn: fn, flush: opts.Flush, pull: make(chan struct{}, 1), done: make(chan struct{})}
	rh, wh := transformHWMs(opts.HighWaterMark, opts.ReadableHighWaterMark, opts.WritableHighWaterMark)
	r, err := NewReadable[O](transformSource[I, O]{t}, ReadableOptions{HighWaterMark: rh, ObjectMode: opts.ObjectMode || opts.ReadableObjectMode})
	if err != nil {
		return nil, err
	}
	w, err := newWritable[I](transformSink[I, O]{t}, WritableOptions{HighWaterMark: wh, ObjectMode: opts.ObjectMode || opts.WritableObjectMode}, false)
	if err != nil {
		return nil, err
	}
	t.Writable, t.Readable = w, r
	// An error on either side destroys the other with it (T2).
	w.OnError(func(err error) { r.Destroy(err) })
	r.OnError(func(err error) { w.Destroy(err) })
	// Closing either side early closes the other.
	r.OnClose(func() {
		if !r.Ended() {
			w.Destroy(nil)
		}
	})
	w.OnClose(func() {
		if !w.Finished() {
			r.Destroy(nil)
		}
	})
	go func() {
		<-w.Done()
		<-r.Done()
		close(t.done)
	}()
	return t, nil
}

// transformHWMs resolves a Transform's per-side highWaterMarks as Node's
// Duplex and Transform do (D3): HighWaterMark, when set, wins over the
// per-side values; a readable side of 0 makes the writable side 0 too
// unless WritableHighWaterMark is set above 0, so that the transform
// buffers on one side only.
func transformHWMs(both, readable, writable *int) (rh, wh *int) {
	rh, wh = readable, writable
	if both != nil {
		rh, wh = both, both
	}
	if rh != nil && *rh == 0 {
		wh = HWM(0)
		if writable != nil && *writable != 0 {
			wh = writable
		}
	}
	return rh, wh
}

type transformSink[I, O any] struct{ t *Transform[I, O] }

func (s transformSink[I, O]) Write(ctx context.Context, chunk I) error {
	t := s.t
	before := t.Readable.Length()
	if err := t.fn(ctx, chunk, t.Readable.Push); err != nil {
		return err
	}
	if t.selfPaced || t.Readable.Length() == before {
		// As in Node, a chunk that pushed nothing completes at once even
		// when the readable side is full: only output is held for a reader.
		return nil
	}
	return t.waitRoom(ctx)
}

func (s transformSink[I, O]) Final(ctx context.Context) error {
	t := s.t
	if t.flush != nil {
		if err := t.flush(ctx, t.Readable.Push); err != nil {
			return err
		}
	}
	t.Readable.PushEnd()
	return nil
}

type transformSource[I, O any] struct{ t *Transform[I, O] }

func (s transformSource[I, O]) Read(context.Context, *Readable[O], int) {
	select {
	case s.t.pull <- struct{}{}:
	default:
	}
}

// waitRoom holds the write in flight while the readable side is at or above
// its highWaterMark, until a reader asks for more (Node's held transform
// callback).
//
// Once the writable side has ended, Node holds nothing more (T5): the write
// held when end() was called stays held until a read, and every chunk
// queued behind it then goes through the transform at once, so finish
// follows however much output the readable side holds. Node transforms a
// chunk inside the write that found the stream idle; here the transform
// runs on the writable side's goroutine and may start after End, so the
// rule is kept as: after End, the first write that finds the readable side
// full is held (it is the one Node held when end() was called) and, once a
// read has released a write after End, no other is.
func (t *Transform[I, O]) waitRoom(ctx context.Context) error {
	r := t.Readable
	held := false
	for {
		r.mu.Lock()
		full := r.length >= r.hwm && r.length > 0
		destroyed := r.destroyed
		r.mu.Unlock()
		if destroyed || !full {
			break
		}
		if !held && t.releasedAfterEnd && t.Writable.Ended() {
			return nil
		}
		held = true
		select {
		case <-t.pull:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if held && t.Writable.Ended() {
		t.releasedAfterEnd = true
	}
	return nil
}

// Destroy destroys both sides with err.
func (t *Transform[I, O]) Destroy(err error) {
	t.Writable.Destroy(err)
	t.Readable.Destroy(err)
}

// Done returns a channel closed once both sides have closed.
func (t *Transform[I, O]) Done() <-chan struct{} { return t.done }

// Err returns the first side's error, or nil.
func (t *Transform[I, O]) Err() error {
	if err := t.Writable.Err(); err != nil {
		return err
	}
	return t.Readable.Err()
}

// Destroyed reports whether either side was destroyed.
func (t *Transform[I, O]) Destroyed() bool {
	return t.Writable.Destroyed() || t.Readable.Destroyed()
}

// OnError calls fn with the transform's error, once.
func (t *Transform[I, O]) OnError(fn func(error)) {
	var once sync.Once
	f := func(err error) { once.Do(func() { fn(err) }) }
	t.Writable.OnError(f)
	t.Readable.OnError(f)
}

// OnClose calls fn once both sides have closed.
func (t *Transform[I, O]) OnClose(fn func()) {
	go func() {
		<-t.done
		fn()
	}()
}
