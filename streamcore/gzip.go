package streamcore

import (
	"compress/gzip"
	"context"
	"io"
)

// NewGzip returns a byte-mode Transform that gzip-compresses what is written
// to it (Node's zlib.createGzip). level is a compress/gzip level;
// gzip.DefaultCompression is the usual choice.
func NewGzip(level int, opts TransformOptions[[]byte]) (*Transform[[]byte, []byte], error) {
	pw := &pushWriter{}
	zw, err := gzip.NewWriterLevel(pw, level)
	if err != nil {
		return nil, err
	}
	opts.Flush = func(_ context.Context, push func([]byte) bool) error {
		pw.push = push
		return zw.Close()
	}
	return NewTransform(func(_ context.Context, chunk []byte, push func([]byte) bool) error {
		pw.push = push
		_, err := zw.Write(chunk)
		return err
	}, opts)
}

// pushWriter is the io.Writer under a compressor: it pushes a copy of every
// write to the transform's readable side.
type pushWriter struct{ push func([]byte) bool }

func (p *pushWriter) Write(b []byte) (int, error) {
	if len(b) > 0 {
		p.push(append([]byte(nil), b...))
	}
	return len(b), nil
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
