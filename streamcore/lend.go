package streamcore

import (
	"sync"
	"unsafe"
)

// Lent chunks: buffers a byte Source reuses once the stream that consumed
// them is provably done with them.
//
// OpenFile's ReaderSource and gzip's output side fill buffers from a
// chunkPool and push them, recording each pushed chunk as lent. A chunk
// comes back to the pool only by one road: the Readable delivers it in
// flowing mode to a single pipe and to no other data listener, the pipe's
// destination is a Writable whose sink does not keep chunks (releases:
// byte-mode Writable[[]byte] sinks, which must not keep a chunk after
// returning, and gzip/gunzip transforms, which copy their input), and the
// destination has called back for that write: its sink returned from the
// chunk, or the chunk was dropped unwritten by a failure or Destroy. The
// buffer is refilled only after that. Any other road out of the Readable
// ends the chunk's loan for good: a chunk delivered to a data listener of the
// user's (or to several pipes) is forgotten by the pool and left to the
// garbage collector, and a paused-mode Read, Next or Unshift stops lending
// on that stream altogether, since the caller may keep or give back what it
// was handed. Chunks a consumer receives are therefore never overwritten
// under it.
//
// The pool is small and bounded: at most maxLent chunks on loan and
// maxFreeChunks buffers kept, so a stalled consumer makes the source
// allocate as before instead of pinning memory.

const (
	maxLent       = 16
	maxFreeChunks = 8
)

type lentChunk struct {
	base *byte // the chunk's first byte: identifies it
	n    int   // its length
	buf  []byte
}

// chunkPool is safe for concurrent use: the source fills buffers on its
// stream's goroutine, and destinations release them on theirs. A nil
// *chunkPool lends nothing and allocates every buffer.
type chunkPool struct {
	mu   sync.Mutex
	off  bool
	lent []lentChunk
	free [][]byte
}

// get returns a buffer of length n that nobody else refers to.
func (p *chunkPool) get(n int) []byte {
	if p != nil {
		p.mu.Lock()
		for len(p.free) > 0 {
			k := len(p.free) - 1
			b := p.free[k]
			p.free[k] = nil
			p.free = p.free[:k]
			if cap(b) >= n {
				p.mu.Unlock()
				return b[:n]
			}
		}
		p.mu.Unlock()
	}
	return make([]byte, n)
}

// lend records chunk, a prefix of buf about to be pushed, as on loan. If
// the pool is off or too many chunks are on loan, the chunk is simply not
// recorded: it will never be reused.
func (p *chunkPool) lend(chunk, buf []byte) {
	if p == nil || len(chunk) == 0 {
		return
	}
	p.mu.Lock()
	if !p.off && len(p.lent) < maxLent {
		p.lent = append(p.lent, lentChunk{base: unsafe.SliceData(chunk), n: len(chunk), buf: buf})
	}
	p.mu.Unlock()
}

// take ends the loan of chunk and returns the buffer it was lent from, if
// chunk is exactly a chunk on loan. Every chunk a Readable with a pool
// delivers goes through take, so a chunk handed to a consumer that may
// keep it is forgotten.
func (p *chunkPool) take(chunk []byte) (buf []byte, ok bool) {
	if len(chunk) == 0 {
		return nil, false
	}
	base := unsafe.SliceData(chunk)
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, l := range p.lent {
		if l.base == base && l.n == len(chunk) {
			last := len(p.lent) - 1
			p.lent[i] = p.lent[last]
			p.lent[last] = lentChunk{}
			p.lent = p.lent[:last]
			return l.buf, true
		}
	}
	return nil, false
}

// put makes buf available to get again. Call it only once nothing refers to
// buf any more.
func (p *chunkPool) put(buf []byte) {
	if p == nil {
		return
	}
	p.mu.Lock()
	if !p.off && len(p.free) < maxFreeChunks {
		p.free = append(p.free, buf[:cap(buf)])
	}
	p.mu.Unlock()
}

// stop ends lending for good: chunks on loan are forgotten and later ones
// are not recorded.
func (p *chunkPool) stop() {
	p.mu.Lock()
	p.off = true
	p.lent, p.free = nil, nil
	p.mu.Unlock()
}

// chunkLender is implemented by Sources that lend chunks from a pool.
type chunkLender interface {
	lentChunks() *chunkPool
}

// lendLocked decides how the flowing-mode chunk c, just taken from the
// buffer, is delivered: if it was lent and its only consumer is one pipe
// into a destination that releases chunks, it returns that pipe and the
// callback that gives the buffer back once the destination is done with it.
// Otherwise it returns nil and c is delivered as usual, its loan ended.
// Called with r.mu held; fns is the data listener snapshot for c.
func (r *Readable[T]) lendLocked(c T, fns []*listener[func(T)]) (*pipeDest[T], func(error)) {
	buf, ok := r.pool.take(asBytes(&c))
	// The only listener must be the pipes' own: piped is set before it is
	// installed, and a user's listener must see every chunk.
	if !ok || len(fns) != 1 || fns[0] != r.pipeListener || len(r.pipes) != 1 || !r.pipes[0].dst.releases {
		return nil, nil
	}
	pool := r.pool
	return r.pipes[0], func(error) { pool.put(buf) }
}

// stopLendingLocked is called by the paused-mode methods, whose callers
// may keep what they are handed. Called with r.mu held.
func (r *Readable[T]) stopLendingLocked() {
	if r.pool != nil {
		r.pool.stop()
		r.pool = nil
	}
}
