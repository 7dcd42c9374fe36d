package reports

import (
	"strings"
	"testing"
	"time"

	"github.com/bpbench/bpbench/internal/results"
)

// series makes a run of n samples every dt, each figure given by f(i).
func series(n int, dt time.Duration, f func(i int, s *results.Sample)) []results.Sample {
	var out []results.Sample
	for i := range n {
		s := results.NoSample()
		s.T = time.Duration(i+1) * dt
		f(i, &s)
		out = append(out, s)
	}
	return out
}

// The backpressure guide's drain-aware Node script in a 0.36s run: RSS
// rose 24.7MiB over 11MiB written while its buffered bytes stayed at
// 16KiB and its heap after GC stayed put. That is V8 warming up, not a
// backlog: flat, decided by what it holds, RSS too short to judge.
func TestGrowthDoesNotBlameAWarmingRuntime(t *testing.T) {
	r := &results.Run{Variant: "drain", Outcome: results.OK, Series: series(72, 5*time.Millisecond, func(i int, s *results.Sample) {
		s.RSS = 40<<20 + int64(i)*(247<<20)/10/72
		s.Buffered = 16 << 10
		s.Heap = 6<<20 + int64(i%9)<<19 // collected back every 9 samples
		s.Written = int64(i) * (11 << 20) / 72
	})}
	rg, ok := DefaultGrowth().FitGrowth(r)
	if !ok || !rg.Flat() || !rg.RSSTooShort || rg.Decided() != "buffered bytes and heap after GC" {
		t.Errorf("judged %v flat %v rss too short %v decided by %q: want flat on buffered bytes and heap after GC, RSS too short", ok, rg.Flat(), rg.RSSTooShort, rg.Decided())
	}
	// The same program holding what it writes grows, decided by its heap.
	r.Series = series(72, 5*time.Millisecond, func(i int, s *results.Sample) {
		s.RSS, s.Buffered, s.Heap, s.Written = 40<<20+int64(i)<<20, 16<<10, 6<<20+int64(i)<<19, int64(i)<<20
	})
	if rg, ok := DefaultGrowth().FitGrowth(r); !ok || rg.Flat() || rg.Decided() != FigHeap {
		t.Errorf("a heap leak: judged %v flat %v decided by %q", ok, rg.Flat(), rg.Decided())
	}
	// A naive run's backlog grows, decided by its buffered bytes.
	r.Variant = "naive"
	r.Series = series(72, 5*time.Millisecond, func(i int, s *results.Sample) {
		s.RSS, s.Buffered, s.Heap = 40<<20, int64(i)<<19, 6<<20
	})
	if rg, ok := DefaultGrowth().FitGrowth(r); !ok || rg.Flat() || rg.Decided() != FigBuffered {
		t.Errorf("a backlog: judged %v flat %v decided by %q", ok, rg.Flat(), rg.Decided())
	}
	// RSS alone over a short window is not judged.
	r.Series = series(72, 5*time.Millisecond, func(i int, s *results.Sample) { s.RSS = 40<<20 + int64(i)<<20 })
	if rg, ok := DefaultGrowth().FitGrowth(r); ok || !rg.RSSTooShort {
		t.Errorf("RSS alone over 0.36s: judged %v, too short %v", ok, rg.RSSTooShort)
	}
}

// A long-running program's window starts when it was ready and ends
// when it was stopped; over 30s RSS counts, as MiB per minute.
func TestGrowthOverALongWindow(t *testing.T) {
	ready, stopped := 2.0, 32.0
	mk := func(perSecond int64) *results.Run {
		return &results.Run{Workload: "cmd", Outcome: results.OK, DurationSeconds: 30, ReadySeconds: &ready, StoppedSeconds: &stopped,
			Series: series(340, 100*time.Millisecond, func(i int, s *results.Sample) {
				t := s.T.Seconds()
				s.RSS = 20<<20 + int64(i%5)<<12
				if t < ready {
					s.RSS = int64(t * float64(10<<20)) // start-up, before the window
				} else if t <= stopped {
					s.RSS += int64((t - ready) * float64(perSecond))
				} else {
					s.RSS = 0 // stopping, after it
				}
			})}
	}
	g := DefaultGrowth()
	rg, ok := g.FitGrowth(mk(0))
	if !ok || !rg.Flat() || rg.Decided() != FigRSS || rg.Window != 22500*time.Millisecond {
		t.Errorf("flat server: judged %v flat %v decided %q window %v", ok, rg.Flat(), rg.Decided(), rg.Window)
	}
	rg, ok = g.FitGrowth(mk(1 << 20)) // 60 MiB/min
	tr, _ := rg.Worst()
	if !ok || rg.Flat() || rg.Decided() != FigRSS || PerMinute(tr.Lo) < 59 || PerMinute(tr.Hi) > 61 {
		t.Errorf("growing server: judged %v flat %v decided %q slope %.1f [%.1f, %.1f] MiB/min", ok, rg.Flat(), rg.Decided(), PerMinute(tr.Slope), PerMinute(tr.Lo), PerMinute(tr.Hi))
	}
	if txt := TrendText(tr, rg.Window); !strings.Contains(txt, "RSS rose 22.5MiB over 22.50s after warm-up (+60.0 MiB/min, 95% CI +") {
		t.Errorf("trend text %q", txt)
	}
}
