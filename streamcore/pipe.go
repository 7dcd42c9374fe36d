package streamcore

// PipeOptions configures Pipe. The zero value ends the destination when the
// source ends, like Node's pipe().
type PipeOptions struct {
	// KeepOpen leaves the destination open when the source ends (Node's
	// {end: false}).
	KeepOpen bool
}

type pipeDest[T any] struct {
	dst     *Writable[T]
	end     bool
	waiting bool     // a Write to dst returned false and dst has not drained
	cleanup []func() // remove the listeners Pipe attached to dst
}

// Pipe sends everything src produces to dst with backpressure (P1): when
// dst.Write returns false src is paused, and dst's drain resumes it, so dst
// never buffers more than its highWaterMark plus one chunk (if dst already
// awaits a drain when piped, src waits for it first). With several
// destinations src waits for every one to drain (P3). When src ends, dst is
// ended unless opts.KeepOpen (P2); if src has already ended, dst is ended
// at once (P8). dst closing or finishing unpipes it (P4).
//
// A bare Pipe does not clean up on errors (P5, as in Node): if src fails,
// dst is neither ended nor destroyed, and a file behind it stays open. Use
// Pipeline, which destroys every stream and reports the first error.
func Pipe[T any](src *Readable[T], dst *Writable[T], opts PipeOptions) {
	p := &pipeDest[T]{dst: dst, end: !opts.KeepOpen}
	p.cleanup = []func(){
		dst.onCloseRemovable(func() { src.Unpipe(dst) }),
		dst.onFinishRemovable(func() { src.Unpipe(dst) }),
	}
	src.mu.Lock()
	if src.endEmitted {
		// As in Node, piping a source that has already ended ends the
		// destination at once (unless KeepOpen), instead of waiting for an
		// end that has come and gone (P8).
		src.mu.Unlock()
		for _, rm := range p.cleanup {
			rm()
		}
		if p.end {
			dst.End(nil)
		}
		return
	}
	first := len(src.pipes) == 0 && !src.piped
	src.pipes = append(src.pipes, p)
	src.piped = true
	if first {
		// Both under the lock that also sees endEmitted: the end cannot
		// slip between the check above and these listeners.
		src.onEnd = append(src.onEnd, func() {
			src.mu.Lock()
			pipes := append([]*pipeDest[T](nil), src.pipes...)
			src.mu.Unlock()
			for _, p := range pipes {
				if p.end {
					p.dst.End(nil)
				}
			}
		})
		// Added by hand, not with addListener: lending (lend.go) needs to
		// know the listener, and it is never removed.
		src.pipeListener = &listener[func(T)]{src.pipeData}
		src.onData = append(src.onData, src.pipeListener)
	}
	src.mu.Unlock()
	if dst.NeedDrain() {
		// As in Node, a destination that already asked to slow down gets
		// nothing until it drains.
		src.awaitPipeDrain(p)
		return
	}
	src.Resume()
}

// pipeData is the source's data listener for its pipes.
func (r *Readable[T]) pipeData(chunk T) {
	r.mu.Lock()
	pipes := r.pipeScratch[:0]
	pipes = append(pipes, r.pipes...)
	r.pipeScratch = pipes
	r.mu.Unlock()
	for _, p := range pipes {
		if !p.dst.writeRef(chunk, nil) {
			r.awaitPipeDrain(p)
		}
	}
}

// awaitPipeDrain pauses r until p's destination drains. As in Node, every
// false write pauses the source, even one made after the source was
// resumed while it already waited (by Resume, or by piping it into another
// destination); the drain listener is attached once per wait.
func (r *Readable[T]) awaitPipeDrain(p *pipeDest[T]) {
	r.mu.Lock()
	attach := !p.waiting
	if attach {
		p.waiting = true
		r.awaitDrain++
	}
	r.mu.Unlock()
	r.Pause()
	if attach {
		p.dst.OnceDrain(func() { r.pipeDrained(p) })
	}
}

func (r *Readable[T]) pipeDrained(p *pipeDest[T]) {
	r.mu.Lock()
	if !p.waiting {
		r.mu.Unlock()
		return // unpiped meanwhile
	}
	p.waiting = false
	r.awaitDrain--
	resume := r.awaitDrain == 0 && r.dataListenersLocked() > 0
	r.mu.Unlock()
	if resume {
		r.Resume()
	}
}

// dataListenersLocked counts the data listeners as Node would: the user's,
// plus one per pipe.
func (r *Readable[T]) dataListenersLocked() int {
	n := len(r.onData) + len(r.pipes)
	if r.piped {
		n-- // the one listener all pipes share
	}
	return n
}

// Unpipe detaches dst from r (P4): dst is not ended, r keeps its data, and
// the listeners Pipe attached to dst are removed.
// r pauses when no destination is left; if r was waiting for dst's drain
// and waits for nothing else, it resumes when a data listener remains (a
// user's OnData, or another pipe), as in Node (P6).
func (r *Readable[T]) Unpipe(dst *Writable[T]) {
	r.mu.Lock()
	var found *pipeDest[T]
	for i, p := range r.pipes {
		if p.dst == dst {
			found = p
			r.pipes = append(r.pipes[:i], r.pipes[i+1:]...)
			break
		}
	}
	if found == nil {
		r.mu.Unlock()
		return
	}
	cleanup := found.cleanup
	awaited := found.waiting
	if awaited {
		found.waiting = false
		r.awaitDrain--
	}
	empty := len(r.pipes) == 0
	resume := awaited && r.awaitDrain == 0 && r.dataListenersLocked() > 0
	r.mu.Unlock()
	for _, remove := range cleanup {
		remove()
	}
	if empty {
		r.Pause()
	}
	if resume {
		r.Resume()
	}
}
