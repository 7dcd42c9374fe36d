package streamcore

import (
	"context"
	"errors"
	"fmt"
)

// Stream is what Pipeline accepts: a *Readable, *Writable or *Transform.
type Stream interface {
	Destroy(err error)
	Done() <-chan struct{}
	Err() error
}

// pipeSource is a stream with a readable side that can feed the next stage.
type pipeSource interface {
	Stream
	pipeInto(dst Stream, check bool) error
	completedRead() bool
}

type pipeSink interface {
	completedWrite() bool
}

// Pipeline pipes streams[0] → streams[1] → … → streams[n-1] with
// backpressure and waits until it is done (Node's stream.pipeline):
//
//   - On success it returns nil once, after the last stream finished and
//     every stream closed (L1).
//   - An error in any stage destroys every stream with that error, closing
//     files, and is returned (L2). A stream that closes early without an
//     error gives ErrPrematureClose and destroys the rest (L3). The first
//     real error wins; a premature close is replaced by a later real error
//     (L4).
//   - Cancelling ctx destroys every stream and returns ctx.Err() (L5).
//   - Fewer than two streams, a first stream that cannot be read, or
//     neighbours whose chunk types do not match are usage errors returned
//     before anything starts (L6).
func Pipeline(ctx context.Context, streams ...Stream) error {
	if len(streams) < 2 {
		return ErrPipelineTooShort
	}
	for i := 0; i+1 < len(streams); i++ {
		src, ok := streams[i].(pipeSource)
		if !ok {
			return fmt.Errorf("streamcore: pipeline stage %d (%T) has no readable side", i, streams[i])
		}
		if err := src.pipeInto(streams[i+1], true); err != nil {
			return fmt.Errorf("streamcore: pipeline stage %d → %d: %w", i, i+1, err)
		}
	}
	if _, ok := streams[len(streams)-1].(pipeSink); !ok {
		return fmt.Errorf("streamcore: pipeline's last stage (%T) has no writable side", streams[len(streams)-1])
	}
	for i := 0; i+1 < len(streams); i++ {
		_ = streams[i].(pipeSource).pipeInto(streams[i+1], false)
	}

	closed := make(chan int, len(streams))
	for i, s := range streams {
		done := s.Done()
		if t, ok := s.(sidedStream); ok {
			// Like Node's pipeline, watch only the sides the pipeline
			// uses: the first stage's readable side, the last stage's
			// writable side, both sides in between.
			done = t.sideDone(i < len(streams)-1, i > 0)
		}
		go func() {
			<-done
			closed <- i
		}()
	}
	var first error
	record := func(err error) {
		if first == nil || (errors.Is(first, ErrPrematureClose) && !errors.Is(err, ErrPrematureClose)) {
			first = err
		}
	}
	destroyAll := func(err error) {
		for _, s := range streams {
			s.Destroy(err)
		}
	}
	ctxDone := ctx.Done()
	for left := len(streams); left > 0; {
		select {
		case i := <-closed:
			left--
			s := streams[i]
			if err := s.Err(); err != nil {
				record(err)
				destroyAll(err)
			} else if !completed(s, i, len(streams)) {
				record(ErrPrematureClose)
				destroyAll(ErrPrematureClose)
			}
		case <-ctxDone:
			ctxDone = nil
			record(ctx.Err())
			destroyAll(ctx.Err())
		}
	}
	return first
}

// completed reports whether stream s, at position i of n, closed after
// doing all its work: a source ended, a sink finished, a middle stage both.
func completed(s Stream, i, n int) bool {
	if i > 0 {
		if w, ok := s.(pipeSink); ok && !w.completedWrite() {
			return false
		}
	}
	if i < n-1 {
		if r, ok := s.(pipeSource); ok && !r.completedRead() {
			return false
		}
	}
	return true
}

// sidedStream is a duplex stream whose sides close separately.
type sidedStream interface {
	sideDone(readable, writable bool) <-chan struct{}
}

func (t *Transform[I, O]) sideDone(readable, writable bool) <-chan struct{} {
	switch {
	case readable && writable:
		return t.done
	case readable:
		return t.Readable.Done()
	}
	return t.Writable.Done()
}

// writableOf is implemented by stages with a writable side of chunk type T.
type writableOf[T any] interface {
	writableSide() *Writable[T]
}

func (w *Writable[T]) writableSide() *Writable[T]     { return w }
func (w *Writable[T]) completedWrite() bool           { return w.Finished() }
func (r *Readable[T]) completedRead() bool            { return r.Ended() }
func (t *Transform[I, O]) writableSide() *Writable[I] { return t.Writable }
func (t *Transform[I, O]) completedWrite() bool       { return t.Writable.Finished() }
func (t *Transform[I, O]) completedRead() bool        { return t.Readable.Ended() }

func (r *Readable[T]) pipeInto(dst Stream, check bool) error {
	w, ok := dst.(writableOf[T])
	if !ok {
		var zero T
		return fmt.Errorf("%T does not accept chunks of type %T", dst, zero)
	}
	if !check {
		Pipe(r, w.writableSide(), PipeOptions{})
	}
	return nil
}

func (t *Transform[I, O]) pipeInto(dst Stream, check bool) error {
	return t.Readable.pipeInto(dst, check)
}
