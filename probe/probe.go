package probe

import (
	"context"
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
	"sync"
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
// NoStats as the start) when the program does not know them.
type Stats struct {
	Buffered     int64         // bytes (or objects) buffered now, summed over the streams
	PeakBuffered int64         // the largest Buffered so far
	Writes       int64         // writes accepted
	FalseReturns int64         // writes that returned false (the buffer was full)
	Drains       int64         // drain events
	DrainWait    time.Duration // total time producers waited for drain
	Written      int64         // bytes accepted so far; -1 unknown
	Bound        int64         // sum over the streams of highWaterMark plus the largest chunk; -1 unknown
}

// NoStats is Stats with the optional figures unknown.
var NoStats = Stats{Written: -1, Bound: -1}

var runtimeMetrics = [...]string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/total:bytes",
	"/gc/cycles/total:gc-cycles",
}

// Start reports this process's Go heap and GC figures and the stream
// statistics returned by stats to the harness that started it, every
// interval the harness asked for, until ctx is done or stop is called.
// stop writes a final report with the process's peak RSS (VmHWM) and err
// (the workload's result, nil for success) and closes the pipe; call it
// once the workload is finished, before exiting. stop may be called more
// than once; only the first call reports.
//
// When the environment variable BPBENCH_PROBE_FD is unset — the workload
// was started by hand, not by the harness — Start does nothing and
// stop is a no-op. stats may be nil; it must be safe to call from another
// goroutine (streamcore's Writable.Stats is). Start unsets the probe
// variables so that processes this one starts do not write to the pipe.
func Start(ctx context.Context, stats func() Stats) (stop func(err error)) {
	fdStr, ok := os.LookupEnv(EnvFD)
	if !ok {
		return func(error) {}
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
		return func(error) {}
	}
	closeOnExec(fd)
	p := &probe{f: f, stats: stats}
	for i, name := range runtimeMetrics {
		p.samples[i].Name = name
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go p.loop(ctx, interval, done)
	var once sync.Once
	return func(err error) {
		once.Do(func() {
			cancel()
			<-done
			p.send('f', err)
			f.Close()
		})
	}
}

// probe is the child side of the protocol. Only one goroutine at a time
// uses it: loop, then stop.
type probe struct {
	f       *os.File
	stats   func() Stats
	samples [len(runtimeMetrics)]metrics.Sample
	buf     []byte
	broken  bool // a write failed: the harness is gone; stop writing
}

func (p *probe) loop(ctx context.Context, interval time.Duration, done chan<- struct{}) {
	defer close(done)
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
func (p *probe) send(kind byte, err error) {
	if p.broken {
		return
	}
	metrics.Read(p.samples[:])
	st := NoStats
	if p.stats != nil {
		st = p.stats()
	}
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
	if kind == 'f' {
		if hwm := selfHWM(); hwm > 0 {
			kv("hwm", hwm)
		}
		if err != nil {
			msg := err.Error()
			if len(msg) > 2048 {
				msg = msg[:2048] + "…"
			}
			b = append(b, " err="...)
			b = strconv.AppendQuote(b, msg)
		}
	}
	b = append(b, '\n')
	p.buf = b
	if _, werr := p.f.Write(b); werr != nil {
		p.broken = true
	}
}
