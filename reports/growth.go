package reports

import (
	"cmp"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/internal/size"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Growth bounds how much a run's memory may grow, judging first what the
// program holds and RSS only over a window long enough to judge it.
//
// The window is the run's steady part: from its start (for a long-running
// run, from when it was ready) to its end (when it was stopped), without
// the first WarmupFraction. Over it each figure is fitted with a
// least-squares line against time (gonum's stat.LinearRegression); the
// growth is the line's rise over the window, with the slope's 95%
// confidence interval (Student's t on n−2 degrees of freedom). A figure
// grew when its rise is above its bound and the interval lies above zero.
// The figures, in the order they are judged:
//
//   - buffered bytes (what the streams hold; probe only): bound
//     max(BufferedFloor, the run's highWaterMark, PerMiB × MiB written);
//   - heap after GC (probe only): the heap at the first sample after each
//     GC cycle when the probe counts cycles and there are at least 4 of
//     them, else the lowest heap in each eighth of the window; bound
//     max(HeapFloor, PerMiB × MiB written);
//   - RSS, only when the window lasts at least RSSWindow: before that a
//     runtime's own warm-up (V8's JIT and heap sizing, the Go scavenger)
//     moves RSS with no backlog behind it; bound max(RSSFloor, PerMiB ×
//     MiB written).
//
// A run is flat when no figure judged grew, and judged when at least one
// figure was; the verdict names the figure that decided it. MiB written
// is known when the probe reports it; otherwise the floors alone apply.
type Growth struct {
	WarmupFraction float64       // default 0.25
	RSSFloor       int64         // default 4MiB
	HeapFloor      int64         // default 4MiB
	BufferedFloor  int64         // default 1MiB
	PerMiB         int64         // bytes of growth allowed per MiB written; default 32KiB (3%)
	MinSamples     int           // figures with fewer samples in the window are not judged; default 8
	RSSWindow      time.Duration // the shortest window over which RSS is judged; default 10s
}

// DefaultGrowth returns the documented bound.
func DefaultGrowth() Growth {
	return Growth{WarmupFraction: 0.25, RSSFloor: 4 << 20, HeapFloor: 4 << 20, BufferedFloor: 1 << 20, PerMiB: 32 << 10, MinSamples: 8, RSSWindow: 10 * time.Second}
}

// orDefault fills in every zero field from DefaultGrowth.
func (g Growth) orDefault() Growth {
	d := DefaultGrowth()
	g.WarmupFraction = cmp.Or(g.WarmupFraction, d.WarmupFraction)
	g.RSSFloor = cmp.Or(g.RSSFloor, d.RSSFloor)
	g.HeapFloor = cmp.Or(g.HeapFloor, d.HeapFloor)
	g.BufferedFloor = cmp.Or(g.BufferedFloor, d.BufferedFloor)
	g.PerMiB = cmp.Or(g.PerMiB, d.PerMiB)
	g.MinSamples = max(cmp.Or(g.MinSamples, d.MinSamples), 2)
	g.RSSWindow = cmp.Or(g.RSSWindow, d.RSSWindow)
	return g
}

// The figures a Trend is about.
const (
	FigBuffered = "buffered bytes"
	FigHeap     = "heap after GC"
	FigRSS      = "RSS"
)

// Trend is one figure's fitted line over a run's steady window.
type Trend struct {
	Figure        string  // FigBuffered, FigHeap or FigRSS
	Rise          float64 // the line's rise over the window, bytes
	Bound         float64 // the rise allowed, bytes
	Slope, Lo, Hi float64 // bytes per second, with its 95% confidence interval
	Intercept     float64 // the line's value at the run's start (t = 0), bytes: it is Intercept + Slope×t
	Points        int     // points fitted
	Grew          bool    // Rise > Bound and Lo > 0
}

// PerMinute converts a slope in bytes per second to MiB per minute.
func PerMinute(bytesPerSecond float64) float64 { return bytesPerSecond * 60 / (1 << 20) }

// RunGrowth is one run's fitted growth.
type RunGrowth struct {
	Trends      []Trend       // the figures judged, in order: buffered bytes, heap after GC, RSS
	Start       time.Duration // when the steady window begins, since the run's start
	Window      time.Duration // the steady window: after warm-up to the end
	RSSTooShort bool          // RSS was measured but the window is shorter than Growth.RSSWindow
	Written     int64         // bytes written, -1 unknown
	Samples     int           // samples in the window
}

// Flat reports whether no figure judged grew.
func (g RunGrowth) Flat() bool {
	for _, t := range g.Trends {
		if t.Grew {
			return false
		}
	}
	return true
}

// Worst is the figure that grew most past its bound, or the first judged
// when none grew; ok is false when none was judged.
func (g RunGrowth) Worst() (Trend, bool) {
	if len(g.Trends) == 0 {
		return Trend{}, false
	}
	w := -1
	for i, t := range g.Trends {
		if t.Grew && (w < 0 || t.Rise/t.Bound > g.Trends[w].Rise/g.Trends[w].Bound) {
			w = i
		}
	}
	return g.Trends[max(w, 0)], true
}

// Decided names the figures that decided the verdict: those that grew,
// or else all those judged, joined by "and".
func (g RunGrowth) Decided() string {
	var grew, judged []string
	for _, t := range g.Trends {
		judged = append(judged, t.Figure)
		if t.Grew {
			grew = append(grew, t.Figure)
		}
	}
	if len(grew) > 0 {
		return andList(grew)
	}
	return andList(judged)
}

func andList(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// window is a run's steady window, in seconds since its start.
func (g Growth) window(r *results.Run) (from, end float64) {
	if len(r.Series) == 0 {
		return 0, 0
	}
	start := 0.0
	end = r.Series[len(r.Series)-1].T.Seconds()
	if r.DurationSeconds > 0 && r.ReadySeconds != nil {
		start = *r.ReadySeconds
		if r.StoppedSeconds != nil {
			end = *r.StoppedSeconds
		}
	}
	return start + (end-start)*g.WarmupFraction, end
}

// FitGrowth fits one run's figures; ok is false when none could be
// judged: too few samples after warm-up, or RSS alone over a window too
// short for it (RunGrowth.RSSTooShort).
func (g Growth) FitGrowth(r *results.Run) (RunGrowth, bool) {
	g = g.orDefault()
	out := RunGrowth{Written: Written(r)}
	from, end := g.window(r)
	if end <= from {
		return out, false
	}
	out.Start = time.Duration(from * float64(time.Second))
	out.Window = time.Duration((end - from) * float64(time.Second))
	var rts, rss, bts, buf, hts, heap, gcs []float64
	for _, s := range r.Series {
		t := s.T.Seconds()
		if t < from || t > end {
			continue
		}
		out.Samples++
		if s.RSS >= 0 {
			rts, rss = append(rts, t), append(rss, float64(s.RSS))
		}
		if s.Buffered >= 0 {
			bts, buf = append(bts, t), append(buf, float64(s.Buffered))
		}
		if s.Heap >= 0 {
			hts, heap, gcs = append(hts, t), append(heap, float64(s.Heap)), append(gcs, float64(s.GCCycles))
		}
	}
	perWritten := 0.0
	if out.Written > 0 {
		perWritten = float64(g.PerMiB) * float64(out.Written) / (1 << 20)
	}
	hwm := 0.0
	if n, err := size.Parse(r.Param("hwm")); err == nil {
		hwm = float64(n)
	}
	add := func(fig string, xs, ys []float64, minPoints int, bound float64) {
		if len(xs) < minPoints || xs[len(xs)-1] == xs[0] {
			return
		}
		t := FitTrend(xs, ys)
		t.Figure, t.Bound = fig, bound
		t.Rise = t.Slope * (end - from)
		t.Grew = t.Rise > t.Bound && t.Lo > 0
		out.Trends = append(out.Trends, t)
	}
	add(FigBuffered, bts, buf, g.MinSamples, math.Max(math.Max(float64(g.BufferedFloor), hwm), perWritten))
	if len(hts) >= g.MinSamples {
		xs, ys := afterGC(hts, heap, gcs, from, end)
		add(FigHeap, xs, ys, 4, math.Max(float64(g.HeapFloor), perWritten))
	}
	if len(rts) >= g.MinSamples {
		if out.Window >= g.RSSWindow {
			add(FigRSS, rts, rss, g.MinSamples, math.Max(float64(g.RSSFloor), perWritten))
		} else {
			out.RSSTooShort = true
		}
	}
	return out, len(out.Trends) > 0
}

// afterGC picks the heap just after each GC cycle: the first sample after
// the cycle count rose, when there are at least 4; else the lowest heap
// in each eighth of the window [from, end].
func afterGC(ts, heap, gcs []float64, from, end float64) (xs, ys []float64) {
	for i := 1; i < len(ts); i++ {
		if gcs[i] >= 0 && gcs[i-1] >= 0 && gcs[i] > gcs[i-1] {
			xs, ys = append(xs, ts[i]), append(ys, heap[i])
		}
	}
	if len(xs) >= 4 {
		return xs, ys
	}
	const bins = 8
	xs, ys = xs[:0], ys[:0]
	lo := make([]int, bins)
	for i := range lo {
		lo[i] = -1
	}
	for i, t := range ts {
		b := min(int((t-from)/(end-from)*bins), bins-1)
		if lo[b] < 0 || heap[i] < heap[lo[b]] {
			lo[b] = i
		}
	}
	for _, i := range lo {
		if i >= 0 {
			xs, ys = append(xs, ts[i]), append(ys, heap[i])
		}
	}
	return xs, ys
}

// FitTrend is the least-squares line of ys against xs (seconds, bytes):
// its slope and the slope's 95% confidence interval (infinite with fewer
// than 3 points). Figure, Rise, Bound and Grew are the caller's.
func FitTrend(xs, ys []float64) Trend {
	alpha, slope := stat.LinearRegression(xs, ys, nil, false)
	t := Trend{Slope: slope, Lo: slope, Hi: slope, Intercept: alpha, Points: len(xs)}
	n := float64(len(xs))
	if len(xs) < 3 {
		t.Lo, t.Hi = math.Inf(-1), math.Inf(1)
		return t
	}
	mx := stat.Mean(xs, nil)
	var sxx, ssr float64
	for i, x := range xs {
		sxx += (x - mx) * (x - mx)
		e := ys[i] - alpha - slope*x
		ssr += e * e
	}
	se := math.Sqrt(ssr / (n - 2) / sxx)
	q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 2}.Quantile(0.975)
	t.Lo, t.Hi = slope-q*se, slope+q*se
	return t
}

// TrendText is a trend as a verdict shows it: "RSS rose 12.0MiB over 22.5s
// after warm-up (+32.0 MiB/min, 95% CI +30.1 to +33.9; bound 4.0MiB)".
func TrendText(t Trend, window time.Duration) string {
	verb := "rose"
	if t.Rise < 0 {
		verb = "fell"
	}
	return fmt.Sprintf("%s %s %s over %s after warm-up (%+.1f MiB/min, 95%% CI %+.1f to %+.1f; bound %s)",
		t.Figure, verb, size.Human(int64(math.Abs(t.Rise))), seconds(window.Seconds()), PerMinute(t.Slope), PerMinute(t.Lo), PerMinute(t.Hi), size.Human(int64(t.Bound)))
}

// isDrainAware reports whether a run promises backpressure.
func isDrainAware(r *results.Run) bool { return r.Variant == "drain" }

// growthFindings checks the drain-aware runs of head for flat memory and
// for the buffer bound, and notes what could not be checked.
func growthFindings(base, head *Input, g Growth, v *Verdict, fail func(Finding)) {
	if head.Set == nil {
		v.Notes = append(v.Notes, "the candidate is a results file, not an output folder: memory curves and buffer bounds were not checked")
		return
	}
	// mostlyGrowing: a leak grows in most runs; one run in five that grows
	// is noise (a GC cycle that came late), as A/A calibration showed.
	mostlyGrowing := func(grew, runs int) bool { return grew*2 > runs }
	baseGrowing := map[string]bool{}
	if base.Set != nil {
		grew, runs := map[string]int{}, map[string]int{}
		for i := range base.Set.Runs {
			r := &base.Set.Runs[i]
			if judgedForGrowth(r) {
				if rg, ok := g.FitGrowth(r); ok {
					runs[benchKey(r.Name)]++
					if !rg.Flat() {
						grew[benchKey(r.Name)]++
					}
				}
			}
		}
		for k, n := range runs {
			baseGrowing[k] = mostlyGrowing(grew[k], n)
		}
	}
	type agg struct {
		runs, grew, unjudged int
		what                 string // "drain-aware runs", or "runs" of a long-running program
		worst                RunGrowth
		worstTrend           Trend
		tooShortRSS          int
		boundRuns            int
		boundMax, bound      int64
		noBound              bool
	}
	aggs := map[string]*agg{}
	var order []string
	for i := range head.Set.Runs {
		r := &head.Set.Runs[i]
		if !judgedForGrowth(r) {
			continue
		}
		k := benchKey(r.Name)
		a := aggs[k]
		if a == nil {
			a = &agg{what: "runs"}
			if isDrainAware(r) {
				a.what = "drain-aware runs"
			}
			aggs[k] = a
			order = append(order, k)
		}
		a.runs++
		rg, ok := g.FitGrowth(r)
		if rg.RSSTooShort {
			a.tooShortRSS++
		}
		if !ok {
			a.unjudged++
		} else if !rg.Flat() {
			a.grew++
			if t, _ := rg.Worst(); a.worst.Trends == nil || t.Rise/t.Bound > a.worstTrend.Rise/a.worstTrend.Bound {
				a.worst, a.worstTrend = rg, t
			}
		}
		switch {
		case r.MaxBufferedBytes == nil:
		case r.BufferBoundBytes == nil:
			a.noBound = true
		case *r.MaxBufferedBytes > *r.BufferBoundBytes:
			a.boundRuns++
			a.boundMax = max(a.boundMax, *r.MaxBufferedBytes)
			a.bound = *r.BufferBoundBytes
		}
	}
	var noBound, unjudged, rssShort []string
	for _, k := range order {
		a := aggs[k]
		if a.grew > 0 {
			w := a.worst
			msg := fmt.Sprintf("memory is not flat in %d of %d %s, decided by %s: %s%s",
				a.grew, a.runs, a.what, w.Decided(), TrendText(a.worstTrend, w.Window), writtenText(w.Written))
			switch {
			case !mostlyGrowing(a.grew, a.runs): // runs too short to judge count as not growing: no evidence of a leak
				v.Notes = append(v.Notes, k+": "+msg+"; in a minority of runs, treated as noise (a leak grows in most)")
			case baseGrowing[k]:
				v.Notes = append(v.Notes, k+": "+msg+"; the base grew too, so this is not new")
			default:
				fail(Finding{Bench: k, Kind: "growth", Message: msg})
			}
		}
		if a.boundRuns > 0 {
			fail(Finding{Bench: k, Kind: "bound", Message: fmt.Sprintf("buffered %s in %d of %d drain-aware runs, above the %s backpressure promises (highWaterMark plus the largest chunk, over its streams)",
				size.Human(a.boundMax), a.boundRuns, a.runs, size.Human(a.bound))})
		}
		if a.noBound {
			noBound = append(noBound, k)
		}
		if a.unjudged > 0 {
			unjudged = append(unjudged, fmt.Sprintf("%s (%d runs)", k, a.unjudged))
		}
		if a.tooShortRSS > 0 {
			rssShort = append(rssShort, k)
		}
	}
	if len(unjudged) > 0 {
		v.Notes = append(v.Notes, fmt.Sprintf("too short to judge flatness (fewer than %d samples after warm-up, or RSS alone over less than %s): %s", g.MinSamples, seconds(g.RSSWindow.Seconds()), joinList(unjudged)))
	}
	if len(rssShort) > 0 {
		v.Notes = append(v.Notes, fmt.Sprintf("RSS was not judged where the window after warm-up is shorter than %s, the runtime's own warm-up (JIT, heap sizing) moves it with no backlog behind it: %s (run a long-running program with --duration for RSS to count)", seconds(g.RSSWindow.Seconds()), joinList(rssShort)))
	}
	if len(noBound) > 0 {
		v.Notes = append(v.Notes, fmt.Sprintf("no buffer bound reported, so max-buffered-B was judged only against the base: %s", joinList(noBound)))
	}
}

// judgedForGrowth reports whether the gate judges a run's flatness: a
// drain-aware run, or a long-running program (run --duration), that
// ended ok.
func judgedForGrowth(r *results.Run) bool {
	return r.Outcome == results.OK && (isDrainAware(r) || r.DurationSeconds > 0)
}

func writtenText(w int64) string {
	if w <= 0 {
		return ""
	}
	return ", with " + size.Human(w) + " written"
}

func joinList(s []string) string {
	if len(s) > 6 {
		return fmt.Sprintf("%s and %s more", joinList(s[:5]), strconv.Itoa(len(s)-5))
	}
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}
