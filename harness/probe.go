package harness

import (
	"bytes"
	"context"
	"fmt"
	"github.com/bpbench/bpbench/internal/results"
	"io"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bpbench/bpbench/streamcore"
)

// The probe protocol. A Go workload started by the harness finds the write
// end of a pipe at the descriptor named by BPBENCH_PROBE_FD (3) and writes
// one line per interval (BPBENCH_PROBE_INTERVAL, a time.Duration) plus a
// final line when it stops:
//
//	s heap=N total=N gc=N buf=N peakbuf=N writes=N false=N drains=N drainwait=NS [written=N bound=N]
//	f heap=N total=N gc=N buf=N peakbuf=N writes=N false=N drains=N drainwait=NS [written=N bound=N] hwm=N err="quoted"
//
// heap is /memory/classes/heap/objects:bytes, total /memory/classes/total:bytes,
// gc /gc/cycles/total:gc-cycles; buf … drainwait are streamcore.Stats
// (drainwait in nanoseconds); written is the bytes the streams accepted and
// bound the most they may hold by backpressure's promise (the sum over the
// streams of highWaterMark plus the largest chunk), both optional; hwm is
// the child's own VmHWM in bytes and err
// the error it stopped with. Unknown keys are ignored, so the protocol can
// grow. Lines are shorter than PIPE_BUF, so each is written atomically. The
// parent timestamps lines as they arrive: the two processes share no clock.
const (
	envProbeFD       = "BPBENCH_PROBE_FD"
	envProbeInterval = "BPBENCH_PROBE_INTERVAL"
	probeFD          = 3 // cmd.ExtraFiles[0]
)

var probeMetrics = [...]string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/total:bytes",
	"/gc/cycles/total:gc-cycles",
}

// StartProbe reports this process's Go heap and GC figures and the stream
// statistics returned by stats to the harness that started it, every
// interval the harness asked for, until ctx is done or stop is called.
// stop writes a final report with the process's peak RSS (VmHWM) and err
// (the workload's result, nil for success) and closes the pipe; call it
// once the workload is finished, before exiting. stop may be called more
// than once; only the first call reports.
//
// When the environment variable BPBENCH_PROBE_FD is unset — the workload
// was started by hand, not by the harness — StartProbe does nothing and
// stop is a no-op. stats may be nil; it must be safe to call from another
// goroutine (streamcore's Stats methods are). StartProbe unsets the probe
// variables so that processes this one starts do not write to the pipe.
func StartProbe(ctx context.Context, stats func() streamcore.Stats) (stop func(err error)) {
	fdStr, ok := os.LookupEnv(envProbeFD)
	if !ok {
		return func(error) {}
	}
	interval := DefaultInterval
	if d, err := time.ParseDuration(os.Getenv(envProbeInterval)); err == nil && d > 0 {
		interval = d
	}
	os.Unsetenv(envProbeFD)
	os.Unsetenv(envProbeInterval)
	fd, err := strconv.Atoi(fdStr)
	var f *os.File
	if err == nil && fd > 2 {
		f = os.NewFile(uintptr(fd), "bpbench-probe")
	}
	if f == nil {
		fmt.Fprintf(os.Stderr, "bpbench: ignoring %s=%q: not a pipe descriptor from the harness\n", envProbeFD, fdStr)
		return func(error) {}
	}
	closeOnExec(fd)
	p := &probe{f: f, stats: stats}
	for i, name := range probeMetrics {
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
	stats   func() streamcore.Stats
	samples [len(probeMetrics)]metrics.Sample
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
	var st streamcore.Stats
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

// probeLine is one parsed probe report; absent values are -1.
type probeLine struct {
	final                                                        bool
	heap, total, gc, buf, peakBuf, writes, falses, drains, drain int64
	written, bound, hwm                                          int64
	err                                                          string
}

func parseProbeLine(line string) (probeLine, bool) {
	pl := probeLine{heap: -1, total: -1, gc: -1, buf: -1, peakBuf: -1, writes: -1, falses: -1, drains: -1, drain: -1, written: -1, bound: -1, hwm: -1}
	switch {
	case strings.HasPrefix(line, "s "):
	case strings.HasPrefix(line, "f "), line == "f":
		pl.final = true
	default:
		return pl, false
	}
	rest := strings.TrimPrefix(line[1:], " ")
	if before, after, ok := strings.Cut(rest, " err="); ok || strings.HasPrefix(rest, "err=") {
		if !ok {
			before, after = "", strings.TrimPrefix(rest, "err=")
		}
		rest = before
		if msg, err := strconv.Unquote(after); err == nil {
			pl.err = msg
		} else {
			pl.err = after
		}
	}
	for _, f := range strings.Fields(rest) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "heap":
			pl.heap = n
		case "total":
			pl.total = n
		case "gc":
			pl.gc = n
		case "buf":
			pl.buf = n
		case "peakbuf":
			pl.peakBuf = n
		case "writes":
			pl.writes = n
		case "false":
			pl.falses = n
		case "drains":
			pl.drains = n
		case "drainwait":
			pl.drain = n
		case "written":
			pl.written = n
		case "bound":
			pl.bound = n
		case "hwm":
			pl.hwm = n
		}
	}
	return pl, true
}

// probeState is the parent side: what the probe has reported so far. The
// sampling loop polls the pipe without blocking at each sample, so reading
// reports costs no goroutine and no extra wake-up; only that loop uses it.
type probeState struct {
	rc       syscall.RawConn
	partial  []byte // an unfinished line
	scratch  []byte
	last     probeLine
	lines    int
	final    *probeLine
	peakHeap int64
	maxBuf   int64
	bound    int64 // the largest bound reported; -1 none (set by newProbeState)
}

func newProbeState() *probeState { return &probeState{bound: -1} }

// maxProbeLine bounds a line; a longer one is dropped, not buffered.
const maxProbeLine = 64 << 10

func (ps *probeState) attach(f *os.File) error {
	rc, err := f.SyscallConn()
	ps.rc = rc
	return err
}

// poll consumes whatever the pipe holds now, without waiting.
func (ps *probeState) poll() {
	if ps.rc == nil {
		return
	}
	if ps.scratch == nil {
		ps.scratch = make([]byte, 16<<10)
	}
	ps.rc.Read(func(fd uintptr) bool {
		for {
			n, err := readNonblock(fd, ps.scratch)
			if n <= 0 || err != nil {
				return true // drained (EAGAIN), EOF or broken: never park
			}
			ps.feed(ps.scratch[:n])
		}
	})
}

// readAll consumes the pipe up to EOF or r's deadline.
func (ps *probeState) readAll(r io.Reader) {
	buf := make([]byte, 16<<10)
	for {
		n, err := r.Read(buf)
		ps.feed(buf[:n])
		if err != nil {
			ps.feed([]byte{'\n'}) // a last line without its newline
			return
		}
	}
}

// feed adds bytes read from the pipe and parses every complete line.
func (ps *probeState) feed(b []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			if len(ps.partial)+len(b) <= maxProbeLine {
				ps.partial = append(ps.partial, b...)
			} else {
				ps.partial = append(ps.partial[:0], "x"...) // poisoned: not a probe line
			}
			return
		}
		line := b[:i]
		if len(ps.partial) > 0 {
			line = append(ps.partial, line...)
			ps.partial = ps.partial[:0]
		}
		b = b[i+1:]
		pl, ok := parseProbeLine(string(line))
		if !ok {
			continue
		}
		ps.last = pl
		ps.lines++
		ps.peakHeap = max(ps.peakHeap, pl.heap)
		ps.maxBuf = max(ps.maxBuf, pl.buf, pl.peakBuf)
		ps.bound = max(ps.bound, pl.bound)
		if pl.final {
			ps.final = &pl
		}
	}
}

// fill copies the latest report into s; it reports false if there is none.
func (ps *probeState) fill(s *results.Sample) bool {
	if ps.lines == 0 {
		return false
	}
	l := ps.last
	s.Heap, s.GoTotal, s.GCCycles = l.heap, l.total, l.gc
	s.Buffered, s.FalseReturns, s.Drains = l.buf, l.falses, l.drains
	s.DrainWait = time.Duration(l.drain)
	s.Written = l.written
	return true
}
