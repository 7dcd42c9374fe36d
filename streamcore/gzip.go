package streamcore

import (
	"compress/gzip"
	"context"
	"io"
)

// NewGzip returns a byte-mode Transform that gzip-compresses what is written
// to it (Node's zlib.createGzip). level is a compress/gzip level;
// gzip.DefaultCompression is the usual choice.
//
// The output of each write is pushed when the write has been compressed, in
// chunks of up to 32 KiB (the compressor emits a block at a time, so most
// writes push nothing and some push a block). Like a file source, it lends
// its chunks (see ReaderSource): the buffer of a chunk piped to a single
// byte-mode Writable[[]byte] or gzip/gunzip transform, with no other data
// listener, is reused once that write has completed; a chunk anyone else
// receives is theirs.
func NewGzip(level int, opts TransformOptions[[]byte]) (*Transform[[]byte, []byte], error) {
	pw := &pushWriter{pool: &chunkPool{}}
	zw, err := gzip.NewWriterLevel(pw, level)
	if err != nil {
		return nil, err
	}
	opts.Flush = func(_ context.Context, push func([]byte) bool) error {
		pw.push = push
		err := zw.Close()
		pw.flush()
		return err
	}
	t, err := NewTransform(func(_ context.Context, chunk []byte, push func([]byte) bool) error {
		pw.push = push
		_, err := zw.Write(chunk)
		pw.flush()
		return err
	}, opts)
	if err != nil {
		return nil, err
	}
	// compress/gzip copies what it is given: the transform keeps no chunk
	// once a write returns, and its output buffers can be lent.
	t.Writable.releases = true
	if !t.Readable.object {
		t.Readable.pool = pw.pool
	}
	return t, nil
}

const (
	// gzipChunk is the size of gzip's output buffers.
	gzipChunk = 32 << 10
	// smallGzipChunk: output shorter than this (the header, the trailer,
	// a sync flush) is pushed as a copy and its buffer kept for more.
	smallGzipChunk = 4 << 10
)

// pushWriter is the io.Writer under a compressor: it collects what the
// compressor writes (in pieces of a few hundred bytes) into buffers from
// pool and pushes them to the transform's readable side when full and at
// flush, at the end of each transform call.
type pushWriter struct {
	push func([]byte) bool
	pool *chunkPool
	buf  []byte // output not yet pushed; its buffer is the writer's own
}

func (p *pushWriter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		if p.buf == nil {
			p.buf = p.pool.get(gzipChunk)[:0]
		}
		k := copy(p.buf[len(p.buf):cap(p.buf)], b)
		p.buf = p.buf[:len(p.buf)+k]
		b = b[k:]
		if len(p.buf) == cap(p.buf) {
			p.flush()
		}
	}
	return n, nil
}

// flush pushes the output collected so far.
func (p *pushWriter) flush() {
	m := len(p.buf)
	switch {
	case m == 0:
		return
	case m < smallGzipChunk:
		c := append([]byte(nil), p.buf...)
		p.buf = p.buf[:0]
		p.push(c)
	default:
		c := p.buf[:m:m]
		p.pool.lend(c, p.buf)
		p.buf = nil
		p.push(c)
	}
}

// NewGunzip returns a byte-mode Transform that decompresses gzip data
// (Node's zlib.createGunzip), including concatenated members. Corrupt input
// destroys the transform with the decoder's error.
//
// compress/gzip pulls from an io.Reader, so the transform owns one goroutine
// that decodes from a pipe fed by the writable side; it stops when the input
// ends or the transform is destroyed.
func NewGunzip(opts TransformOptions[[]byte]) (*Transform[[]byte, []byte], error) {
	pr, pw := io.Pipe()
	g := &gunzip{pr: pr, pw: pw, done: make(chan error, 1)}
	opts.Flush = func(ctx context.Context, _ func([]byte) bool) error {
		g.start()
		pw.Close()
		select {
		case err := <-g.done:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	t, err := NewTransform(func(_ context.Context, chunk []byte, _ func([]byte) bool) error {
		g.start()
		_, err := pw.Write(chunk)
		return err
	}, opts)
	if err != nil {
		return nil, err
	}
	g.t = t
	t.selfPaced = true
	// The decoder reads what is written through an io.Pipe, whose Write
	// returns once the reader has copied everything.
	t.Writable.releases = true
	go func() {
		<-t.Writable.Done()
		// Unblock the decoder and any write if the transform died early,
		// with an error or by Destroy(nil). After a finish the decoder has
		// already returned: Flush waited for it.
		err := t.Err()
		if err == nil && !t.Writable.Finished() {
			err = ErrDestroyed
		}
		if err != nil {
			pw.CloseWithError(err)
			pr.CloseWithError(err)
		}
	}()
	return t, nil
}

type gunzip struct {
	t       *Transform[[]byte, []byte]
	pr      *io.PipeReader
	pw      *io.PipeWriter
	started bool
	done    chan error
}

// start launches the decoder on first use; only the writable side's
// goroutine calls it.
func (g *gunzip) start() {
	if g.started {
		return
	}
	g.started = true
	go func() {
		err := g.decode()
		if err != nil {
			g.pr.CloseWithError(err)
		}
		g.done <- err
	}()
}

func (g *gunzip) decode() error {
	zr, err := gzip.NewReader(g.pr)
	if err != nil {
		return err
	}
	ctx := g.t.Writable.ctx
	for {
		buf := make([]byte, 32<<10)
		n, err := zr.Read(buf)
		if n > 0 {
			g.t.Readable.Push(buf[:n:n])
			if werr := g.t.waitRoom(ctx); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
