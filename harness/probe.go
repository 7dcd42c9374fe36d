package harness

import (
	"bytes"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/probe"
)

// probeState is the parent side: what the probe has reported so far. The
// sampling loop polls the pipe without blocking at each sample, so reading
// reports costs no goroutine and no extra wake-up; only that loop uses it.
type probeState struct {
	rc       syscall.RawConn
	partial  []byte // an unfinished line
	scratch  []byte
	last     probe.Report
	lines    int
	final    *probe.Report
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
		pl, ok := probe.Parse(string(line))
		if !ok {
			continue
		}
		ps.last = pl
		ps.lines++
		ps.peakHeap = max(ps.peakHeap, pl.Heap)
		ps.maxBuf = max(ps.maxBuf, pl.Buf, pl.PeakBuf)
		ps.bound = max(ps.bound, pl.Bound)
		if pl.Final {
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
	s.Heap, s.GoTotal, s.GCCycles = l.Heap, l.Total, l.GC
	s.Buffered, s.FalseReturns, s.Drains = l.Buf, l.Falses, l.Drains
	s.DrainWait = time.Duration(l.DrainWait)
	s.Written = l.Written
	return true
}

// fillViolations copies what the probe last reported of backpressure
// ignored — writes and pushes after false, extra drain listeners, and the
// first call site of each — into r. A count the program did not report
// (-1) stays nil; a 0 is recorded as 0.
func (ps *probeState) fillViolations(r *results.Run) {
	if ps.lines == 0 {
		return
	}
	l := ps.last
	count := func(n int64) *int64 {
		if n < 0 {
			return nil
		}
		return &n
	}
	r.WritesAfterFalse, r.BytesAfterFalse = count(l.WritesAfterFalse), count(l.BytesAfterFalse)
	r.PushesAfterFalse, r.BytesPushedAfterFalse = count(l.PushesAfterFalse), count(l.BytesPushedAfterFalse)
	r.ExtraDrainListeners = count(l.ExtraDrainListeners)
	for _, v := range []struct {
		kind     string
		n, bytes int64
		site     probe.CallSite
	}{
		{results.WriteAfterFalse, l.WritesAfterFalse, l.BytesAfterFalse, l.FirstWriteAfterFalse},
		{results.PushAfterFalse, l.PushesAfterFalse, l.BytesPushedAfterFalse, l.FirstPushAfterFalse},
		{results.ExtraDrainListener, l.ExtraDrainListeners, 0, l.FirstExtraDrainListener},
	} {
		if v.n > 0 && !v.site.IsZero() {
			r.Violations = append(r.Violations, results.Violation{Kind: v.kind, Site: v.site.String(), Function: v.site.Function, Count: v.n, Bytes: max(v.bytes, 0)})
		}
	}
}
