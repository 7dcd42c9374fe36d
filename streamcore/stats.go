package streamcore

import "time"

// Stats is a snapshot of a Writable's flow-control counters. They are
// maintained on every Write (a few integer updates under the stream's lock
// that Write takes anyway), so they are always on; Stats copies them under
// that lock and may be called from any goroutine.
//
// Lengths are in the stream's unit: bytes in byte mode, chunks in object mode.
type Stats struct {
	Buffered     int64         // writableLength now: queued plus in flight to the sink
	PeakBuffered int64         // the largest Buffered seen since the stream was created
	Writes       int64         // calls to Write that were accepted
	FalseReturns int64         // writes that returned false
	Drains       int64         // drain events emitted
	DrainWait    time.Duration // total time producers spent waiting for drain (WaitDrain, OnceDrain, Drain)
	// DrainListeners is the number of drain listeners attached now
	// (OnDrain and OnceDrain): it grows without bound when a producer
	// attaches a persistent listener at every stall.
	DrainListeners int64
	// Written is what the stream has accepted since it was created, in its
	// unit; on the byte path it lags the producer by at most one batch.
	Written int64
	// Bound is what backpressure promises: while producers wait for drain
	// once Write returns false, Buffered stays below it. It is the
	// highWaterMark plus the largest chunk accepted while the stream was
	// below it (the write that crosses the highWaterMark is taken whole, W2).
	Bound int64

	// WritesAfterFalse counts writes accepted while the stream owed a
	// drain: an earlier write returned false and drain has not fired yet.
	// A producer that honours backpressure makes none; Pipe and Pipeline
	// make none. Every way of writing counts (Write, WriteString, PutByte,
	// WriteCB, EndWith, pipes); writes that fail (after End, after Destroy) do not.
	WritesAfterFalse int64
	// BytesAfterFalse is what those writes added to the buffer, in the
	// stream's unit: bytes in byte mode, chunks in object mode.
	BytesAfterFalse int64
	// FirstWriteAfterFalse is where the first of those writes was made
	// (see CallSite); zero when WritesAfterFalse is 0. It is taken once
	// per stream, so later writes after false cost only their count.
	FirstWriteAfterFalse CallSite
	// ExtraDrainListeners counts OnDrain calls made while a listener added
	// by an earlier OnDrain was still attached: the mistake of attaching
	// a persistent drain listener at every stall (Node's on('drain')
	// instead of once). OnceDrain, Drain, WaitDrain and pipes never count.
	ExtraDrainListeners int64
	// FirstExtraDrainListener is where the first of those OnDrain calls
	// was made; zero when ExtraDrainListeners is 0.
	FirstExtraDrainListener CallSite
}

// Add returns the field-by-field sum of s and o: the counters of several
// streams observed as one (PeakBuffered becomes the sum of the peaks, an
// upper bound of the peak of the sum; Bound the sum of the bounds, the
// promise for all of them together). A call site is not a counter: Add
// keeps s's when s has one, else o's, so folding streams in the order they
// were created keeps the first stream's call site.
func (s Stats) Add(o Stats) Stats {
	return Stats{
		Buffered:     s.Buffered + o.Buffered,
		PeakBuffered: s.PeakBuffered + o.PeakBuffered,
		Writes:       s.Writes + o.Writes,
		FalseReturns: s.FalseReturns + o.FalseReturns,
		Drains:       s.Drains + o.Drains,
		DrainWait:    s.DrainWait + o.DrainWait,

		DrainListeners: s.DrainListeners + o.DrainListeners,
		Written:        s.Written + o.Written,
		Bound:          s.Bound + o.Bound,

		WritesAfterFalse:        s.WritesAfterFalse + o.WritesAfterFalse,
		BytesAfterFalse:         s.BytesAfterFalse + o.BytesAfterFalse,
		FirstWriteAfterFalse:    firstSite(s.FirstWriteAfterFalse, o.FirstWriteAfterFalse),
		ExtraDrainListeners:     s.ExtraDrainListeners + o.ExtraDrainListeners,
		FirstExtraDrainListener: firstSite(s.FirstExtraDrainListener, o.FirstExtraDrainListener),
	}
}

// firstSite returns a unless it is zero, else b.
func firstSite(a, b CallSite) CallSite {
	if a.IsZero() {
		return b
	}
	return a
}
