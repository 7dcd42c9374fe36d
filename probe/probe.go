package probe

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Environment variables and the descriptor the harness uses.
const (
	EnvFD       = "BPBENCH_PROBE_FD"
	EnvInterval = "BPBENCH_PROBE_INTERVAL"
	FD          = 3 // the first of exec.Cmd.ExtraFiles
	// DefaultInterval is used when BPBENCH_PROBE_INTERVAL is unset.
	DefaultInterval = 5 * time.Millisecond
)

// Stats are a program's stream figures at one instant. Lengths are bytes
// for byte streams. Written and Bound are optional: leave them -1 (or use
// NoStats() as the start) when the program does not know them.
type Stats struct {
	Buffered     int64         // bytes (or objects) buffered now, summed over the streams
	PeakBuffered int64         // the largest Buffered so far
	Writes       int64         // writes accepted
	FalseReturns int64         // writes that returned false (the buffer was full)
	Drains       int64         // drain events
	DrainWait    time.Duration // total time producers waited for drain
	Written      int64         // bytes accepted so far; -1 unknown
	Bound        int64         // sum over the streams of highWaterMark plus the largest chunk; -1 unknown

	// Backpressure ignored: the cause of the memory growth, not its
	// symptom. Zero means none (a program that honours backpressure).

	// WritesAfterFalse counts writes made while the stream owed a drain
	// (an earlier write returned false and drain has not fired yet), and
	// BytesAfterFalse what they added, in the stream's unit.
	WritesAfterFalse, BytesAfterFalse int64
	// FirstWriteAfterFalse is where the first of them was made; zero when
	// there were none.
	FirstWriteAfterFalse CallSite
	// ExtraDrainListeners counts persistent drain listeners attached while
	// one attached earlier was still there (a listener added at every
	// stall instead of once).
	ExtraDrainListeners int64
	// FirstExtraDrainListener is where the first of them was attached.
	FirstExtraDrainListener CallSite
}

// CallSite is a line in a program: where a write after false was made or
// an extra drain listener attached. The zero CallSite means none. It
// mirrors streamcore.CallSite field for field (this package imports only
// the standard library), so a program converts one with
// probe.CallSite(site) — the field names and types are the same.
type CallSite struct {
	File     string // source file, as the compiler (or Node) recorded it
	Line     int    // line in File
	Function string // the function, package-qualified in Go
}

// IsZero reports whether c records no call site.
func (c CallSite) IsZero() bool { return c == CallSite{} }

// String returns "file:line", or "" for the zero CallSite.
func (c CallSite) String() string {
	if c.IsZero() {
		return ""
	}
	return c.File + ":" + strconv.Itoa(c.Line)
}

// NoStats returns Stats with the optional figures unknown: the zero value
// of a source that knows only some figures.
func NoStats() Stats { return Stats{Written: -1, Bound: -1} }

var runtimeMetrics = [...]string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/total:bytes",
	"/gc/cycles/total:gc-cycles",
}

// Probe reports this process's figures to the bpbench harness that started
// it. A nil *Probe — what Start returns when the program was not started by
// bpbench — does nothing, and every method on it returns at once, so a
// program can keep its probe calls in production at no cost.
type Probe struct {
	f       *os.File
	mu      sync.Mutex // guards sources
	sources []func() Stats
	cancel  context.CancelFunc
	done    chan struct{}
	once    sync.Once
	samples [len(runtimeMetrics)]metrics.Sample
	buf     []byte
	broken  bool          // a write failed: the harness is gone; stop writing
	sites   [2]quotedSite // the call sites as last written, quoted once

	// What the program reports itself (WriteAfterFalse, DrainWait).
	waf, wafBytes     atomic.Int64
	wafSite           atomic.Pointer[CallSite]
	drains, drainWait atomic.Int64
}

// Start begins reporting, every interval the harness asked for, until ctx
// is done or Stop is called: the Go heap and GC figures (runtime/metrics)
// and the sum of the Stats of every source added with Track and Buffered.
//
// When the environment variable BPBENCH_PROBE_FD is unset — the program was
// started by hand, not by the harness — Start returns nil, a Probe that
// does nothing. Start unsets the probe variables so that processes this
// one starts do not write to the pipe.
func Start(ctx context.Context) *Probe {
	fdStr, ok := os.LookupEnv(EnvFD)
	if !ok {
		return nil
	}
	interval := DefaultInterval
	if d, err := time.ParseDuration(os.Getenv(EnvInterval)); err == nil && d > 0 {
		interval = d
	}
	os.Unsetenv(EnvFD)
	os.Unsetenv(EnvInterval)
	fd, err := strconv.Atoi(fdStr)
	var f *os.File
	if err == nil && fd > 2 {
		f = os.NewFile(uintptr(fd), "bpbench-probe")
	}
	if f == nil {
		fmt.Fprintf(os.Stderr, "bpbench: ignoring %s=%q: not a pipe descriptor from the harness\n", EnvFD, fdStr)
		return nil
	}
	closeOnExec(fd)
	p := newProbe(f)
	ctx, p.cancel = context.WithCancel(ctx)
	go p.loop(ctx, interval)
	return p
}

func newProbe(f *os.File) *Probe {
	p := &Probe{f: f, done: make(chan struct{})}
	for i, name := range runtimeMetrics {
		p.samples[i].Name = name
	}
	return p
}

// Track adds a source of stream statistics, such as a streamcore Writable's
// Stats converted to Stats. The probe sums its sources; f is called from
// the probe's goroutine and must be safe for that.
func (p *Probe) Track(f func() Stats) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.sources = append(p.sources, f)
	p.mu.Unlock()
}

// Buffered adds a source of buffered bytes alone: a channel's len times its
// element size, a bufio.Writer's Buffered, a queue's length. The probe keeps
// the peak itself. f is called from the probe's goroutine.
func (p *Probe) Buffered(f func() int64) {
	if p == nil {
		return
	}
	var peak int64
	p.Track(func() Stats {
		n := f()
		peak = max(peak, n)
		s := NoStats()
		s.Buffered, s.PeakBuffered = n, peak
		return s
	})
}

// Stop writes a final report with the process's peak RSS (VmHWM) and err
// (the program's result, nil for success) and closes the pipe. Call it once
// the work is finished, before exiting; later calls do nothing.
func (p *Probe) Stop(err error) {
	if p == nil {
		return
	}
	p.once.Do(func() {
		p.cancel()
		<-p.done
		p.send('f', err)
		p.f.Close()
	})
}

// stats sums the sources; optional figures stay unknown unless one knows them.
func (p *Probe) stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	total := NoStats()
	for _, f := range p.sources {
		s := f()
		total.Buffered += s.Buffered
		total.PeakBuffered += s.PeakBuffered
		total.Writes += s.Writes
		total.FalseReturns += s.FalseReturns
		total.Drains += s.Drains
		total.DrainWait += s.DrainWait
		if s.Written >= 0 {
			total.Written = max(total.Written, 0) + s.Written
		}
		if s.Bound >= 0 {
			total.Bound = max(total.Bound, 0) + s.Bound
		}
		total.WritesAfterFalse += s.WritesAfterFalse
		total.BytesAfterFalse += s.BytesAfterFalse
		total.FirstWriteAfterFalse = firstSite(total.FirstWriteAfterFalse, s.FirstWriteAfterFalse)
		total.ExtraDrainListeners += s.ExtraDrainListeners
		total.FirstExtraDrainListener = firstSite(total.FirstExtraDrainListener, s.FirstExtraDrainListener)
	}
	total.WritesAfterFalse += p.waf.Load()
	total.BytesAfterFalse += p.wafBytes.Load()
	if site := p.wafSite.Load(); site != nil {
		total.FirstWriteAfterFalse = firstSite(total.FirstWriteAfterFalse, *site)
	}
	total.Drains += p.drains.Load()
	total.DrainWait += time.Duration(p.drainWait.Load())
	return total
}

// firstSite returns a unless it is zero, else b: sources in the order they
// were added, then what the program reported itself.
func firstSite(a, b CallSite) CallSite {
	if a.IsZero() {
		return b
	}
	return a
}

// WriteAfterFalse reports a write of n bytes (or objects) that the
// program's own buffer refused — it was full, the program's equivalent of
// write() returning false — and that the program made anyway. The first
// call records its caller's file, line and function (the first frame
// outside this package), which the harness shows as the line that ignores
// backpressure; later calls add to the counts without allocating. Safe for
// concurrent use; free on a nil Probe.
func (p *Probe) WriteAfterFalse(n int64) {
	if p == nil {
		return
	}
	p.waf.Add(1)
	p.wafBytes.Add(n)
	if p.wafSite.Load() == nil {
		site := callerSite()
		p.wafSite.CompareAndSwap(nil, &site)
	}
}

// DrainWait reports that a producer waited d for the program's buffer to
// drain (the equivalent of waiting for 'drain' after write() returned
// false): it adds one to the drain count and d to the drain wait, the
// figures bpbench tune turns into pauses. It does not allocate. Safe for
// concurrent use; free on a nil Probe.
func (p *Probe) DrainWait(d time.Duration) {
	if p == nil {
		return
	}
	p.drains.Add(1)
	p.drainWait.Add(int64(d))
}

// pkgPrefix prefixes the function names of this package's frames; its
// external tests (probe_test) do not share it.
const pkgPrefix = "github.com/bpbench/bpbench/probe."

// callerSite returns the first frame of the calling goroutine's stack
// outside this package and the runtime.
func callerSite() CallSite {
	var pcs [32]uintptr
	n := runtime.Callers(2, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if f.Function != "" && !strings.HasPrefix(f.Function, pkgPrefix) && !strings.HasPrefix(f.Function, "runtime.") {
			return CallSite{File: f.File, Line: f.Line, Function: f.Function}
		}
		if !more {
			return CallSite{}
		}
	}
}

func (p *Probe) loop(ctx context.Context, interval time.Duration) {
	defer close(p.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.send('s', nil)
		}
	}
}

// send writes one line; kind is 's' (sample) or 'f' (final, with hwm and err).
// It reuses its buffer so that the probe hardly touches the heap it measures.
func (p *Probe) send(kind byte, err error) {
	if p.broken {
		return
	}
	metrics.Read(p.samples[:])
	st := p.stats()
	b := append(p.buf[:0], kind)
	kv := func(k string, v int64) {
		b = append(b, ' ')
		b = append(b, k...)
		b = append(b, '=')
		b = strconv.AppendInt(b, v, 10)
	}
	for i, k := range [...]string{"heap", "total", "gc"} {
		var v int64
		if p.samples[i].Value.Kind() == metrics.KindUint64 {
			v = int64(p.samples[i].Value.Uint64())
		}
		kv(k, v)
	}
	kv("buf", st.Buffered)
	kv("peakbuf", st.PeakBuffered)
	kv("writes", st.Writes)
	kv("false", st.FalseReturns)
	kv("drains", st.Drains)
	kv("drainwait", int64(st.DrainWait))
	if st.Written >= 0 {
		kv("written", st.Written)
	}
	if st.Bound >= 0 {
		kv("bound", st.Bound)
	}
	kv("waf", st.WritesAfterFalse)
	kv("wafbytes", st.BytesAfterFalse)
	b = p.sites[0].append(b, "waf", st.FirstWriteAfterFalse)
	kv("xdrain", st.ExtraDrainListeners)
	b = p.sites[1].append(b, "xdrain", st.FirstExtraDrainListener)
	if kind == 'f' {
		if hwm := SelfHWM(); hwm > 0 {
			kv("hwm", hwm)
		}
		if err != nil {
			b = append(b, " err="...)
			b = appendQuoted(b, err.Error(), maxQuotedErr, false)
		}
	}
	b = append(b, '\n')
	p.buf = b
	if _, werr := p.f.Write(b); werr != nil {
		p.broken = true
	}
}
