package streamcore

import (
	"context"
	"io"
	"os"
	"time"
)

const (
	// maxCoalesce bounds the bytes a WriterSink joins into one underlying
	// Write.
	maxCoalesce = 1 << 20
	// directWrite: a WriterSink writes chunks of at least this size as they
	// are instead of copying them into its buffer. Copying a big chunk costs
	// more than the call it saves, and on another core than the producer's
	// it also takes the chunk's cache lines away from the producer, which is
	// about to reuse that memory (the byte path's slabs).
	directWrite = 8 << 10
)

// WriterSink delivers byte chunks to an io.Writer. As a BatchSink it joins
// the small chunks of a batch into one buffer (reused between batches) and
// writes chunks of 8 KiB or more as they are, in order, approximating
// Node's writev to a file with few calls and no copy of large chunks. If the
// writer is an io.Closer it is closed when the stream closes.
type WriterSink struct {
	w   io.Writer
	buf []byte
}

// NewWriterSink returns a sink writing to w.
func NewWriterSink(w io.Writer) *WriterSink { return &WriterSink{w: w} }

// Write writes chunk with one call to the underlying writer.
func (s *WriterSink) Write(_ context.Context, chunk []byte) error {
	_, err := s.w.Write(chunk)
	return err
}

// WriteBatch writes chunks in order: runs of chunks under 8 KiB joined, in
// pieces of at most 1 MiB, and larger chunks with a call of their own.
func (s *WriterSink) WriteBatch(_ context.Context, chunks [][]byte) error {
	for _, c := range chunks {
		if len(s.buf)+len(c) > maxCoalesce && len(s.buf) > 0 {
			if err := s.flush(); err != nil {
				return err
			}
		}
		if len(c) >= directWrite {
			if err := s.flush(); err != nil {
				return err
			}
			if _, err := s.w.Write(c); err != nil {
				return err
			}
			continue
		}
		s.buf = append(s.buf, c...)
	}
	return s.flush()
}

func (s *WriterSink) flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	_, err := s.w.Write(s.buf)
	if cap(s.buf) > maxCoalesce*2 {
		s.buf = nil
	} else {
		s.buf = s.buf[:0]
	}
	return err
}

// JoinsChunks marks WriterSink as a ByteStreamSink: a file or socket does
// not see chunk boundaries.
func (s *WriterSink) JoinsChunks() {}

// Close closes the underlying writer if it is an io.Closer.
func (s *WriterSink) Close() error {
	if c, ok := s.w.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// FileOptions configures CreateFile and OpenFile. The zero value truncates
// or creates the file with mode 0666 (before umask) and uses the default
// highWaterMark.
type FileOptions struct {
	HighWaterMark *int
	// Flag is passed to os.OpenFile; 0 means O_WRONLY|O_CREATE|O_TRUNC for
	// CreateFile (Node's 'w') and O_RDONLY for OpenFile.
	Flag int
	Perm os.FileMode
	// Unbatched makes the stream write one chunk per system call, never
	// joining a batch: the cost model of a sink that cannot writev.
	Unbatched bool
	// Cooperative runs the sink only while the producer waits, as Node's
	// event loop does (WritableOptions.Cooperative).
	Cooperative bool
}

// CreateFile opens path for writing and returns a byte-mode Writable on it
// (Node's fs.createWriteStream). The file is closed when the stream closes,
// whether it finished, failed or was destroyed. Opening errors are returned
// here rather than emitted.
func CreateFile(path string, opts FileOptions) (*Writable[[]byte], error) {
	flag, perm := opts.Flag, opts.Perm
	if flag == 0 {
		flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	if perm == 0 {
		perm = 0o666
	}
	if _, err := resolveHWM(opts.HighWaterMark, false); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, flag, perm)
	if err != nil {
		return nil, err
	}
	var sink Sink[[]byte] = NewWriterSink(f)
	if opts.Unbatched {
		sink = Unbatched(sink)
	}
	return NewWritable(sink, WritableOptions{HighWaterMark: opts.HighWaterMark, Cooperative: opts.Cooperative})
}

// OpenFile opens path for reading and returns a byte-mode Readable that
// reads chunks of highWaterMark bytes (Node's fs.createReadStream). The
// file is closed when the stream closes.
func OpenFile(path string, opts FileOptions) (*Readable[[]byte], error) {
	flag := opts.Flag
	if flag == 0 {
		flag = os.O_RDONLY
	}
	if _, err := resolveHWM(opts.HighWaterMark, false); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, err
	}
	return NewReadable[[]byte](&ReaderSource{R: f}, ReadableOptions{HighWaterMark: opts.HighWaterMark})
}

// ReaderSource is a Source that reads an io.Reader in chunks of up to the
// requested size (at least 16 KiB), and closes it with the stream if it is
// an io.Closer.
//
// A chunk it pushes belongs to whoever receives it (a data listener, Read,
// Next), as with any Readable. Only when its Readable pipes a chunk to a
// single destination, with no other data listener, and that destination is
// a byte-mode Writable[[]byte] (whose sink must not keep chunks) or a gzip
// or gunzip transform, does the source read into that chunk's buffer again,
// after the destination's write of it has called back (B5). Using Read,
// Next or Unshift on the Readable ends this reuse for good. So a file piped
// into a file or a gzip stream reads into a few buffers instead of
// allocating every chunk.
type ReaderSource struct {
	R    io.Reader
	pool *chunkPool
}

func (s *ReaderSource) lentChunks() *chunkPool {
	if s.pool == nil {
		s.pool = &chunkPool{}
	}
	return s.pool
}

// Read reads one chunk and pushes it; at io.EOF it ends the stream, and on
// any other error destroys it.
func (s *ReaderSource) Read(_ context.Context, r *Readable[[]byte], n int) {
	if n < 16<<10 {
		n = 16 << 10
	}
	buf := s.pool.get(n)
	m, err := s.R.Read(buf)
	if m > 0 {
		s.pool.lend(buf[:m:m], buf)
		r.Push(buf[:m:m])
	} else {
		s.pool.put(buf)
	}
	switch {
	case err == io.EOF:
		r.PushEnd()
	case err != nil:
		r.Destroy(err)
	case m == 0:
		r.Push(nil) // nothing read: let the stream ask again
	}
}

// Close closes the reader if it is an io.Closer.
func (s *ReaderSource) Close() error {
	if c, ok := s.R.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// Discard is a sink that drops everything without a system call, as fast as
// a sink can be. For /dev/null with a real write per chunk, use
// CreateFile(os.DevNull, FileOptions{Unbatched: true}).
type Discard[T any] struct{}

// Write drops chunk.
func (Discard[T]) Write(context.Context, T) error { return nil }

// WriteBatch drops chunks.
func (Discard[T]) WriteBatch(context.Context, []T) error { return nil }

// JoinsChunks marks Discard as a ByteStreamSink.
func (Discard[T]) JoinsChunks() {}

// Unbatched hides a sink's WriteBatch so that every chunk is a separate
// Write call.
func Unbatched[T any](s Sink[T]) Sink[T] { return unbatched[T]{s} }

type unbatched[T any] struct{ s Sink[T] }

func (u unbatched[T]) Write(ctx context.Context, c T) error { return u.s.Write(ctx, c) }
func (u unbatched[T]) Final(ctx context.Context) error {
	if f, ok := u.s.(Finaler); ok {
		return f.Final(ctx)
	}
	return nil
}
func (u unbatched[T]) Close() error {
	if c, ok := u.s.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// Throttle describes a slow consumer: a socket or API that takes Rate bytes
// per second and spends Latency on every call. Zero fields mean no limit.
type Throttle struct {
	Rate    int64 // bytes per second
	Latency time.Duration
}

// Throttled wraps a byte sink so that it runs no faster than th: each call
// waits Latency plus the time Rate needs for the bytes (bytes not yet paid
// for by earlier calls carry over). A batch is one call: one Latency, its
// total bytes against Rate. Waiting stops when
// the stream is destroyed.
func Throttled(s Sink[[]byte], th Throttle) BatchSink[[]byte] {
	return &throttled{s: s, th: th}
}

type throttled struct {
	s    Sink[[]byte]
	th   Throttle
	next time.Time // when the rate allows the next byte
}

func (t *throttled) Write(ctx context.Context, c []byte) error {
	if err := t.wait(ctx, int64(len(c))); err != nil {
		return err
	}
	return t.s.Write(ctx, c)
}

func (t *throttled) WriteBatch(ctx context.Context, cs [][]byte) error {
	var n int64
	for _, c := range cs {
		n += int64(len(c))
	}
	if err := t.wait(ctx, n); err != nil {
		return err
	}
	if b, ok := t.s.(BatchSink[[]byte]); ok {
		return b.WriteBatch(ctx, cs)
	}
	for _, c := range cs {
		if err := t.s.Write(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

func (t *throttled) wait(ctx context.Context, n int64) error {
	d := t.th.Latency
	if t.th.Rate > 0 {
		now := time.Now()
		if t.next.Before(now) {
			t.next = now
		}
		t.next = t.next.Add(time.Duration(float64(n) / float64(t.th.Rate) * float64(time.Second)))
		d += t.next.Sub(now)
	}
	if d <= 0 {
		return nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (t *throttled) Final(ctx context.Context) error {
	if f, ok := t.s.(Finaler); ok {
		return f.Final(ctx)
	}
	return nil
}

func (t *throttled) Close() error {
	if c, ok := t.s.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
