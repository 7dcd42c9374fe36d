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
}

// Add returns the field-by-field sum of s and o: the counters of several
// streams observed as one (PeakBuffered becomes the sum of the peaks, an
// upper bound of the peak of the sum; Bound the sum of the bounds, the
// promise for all of them together).
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
	}
}
