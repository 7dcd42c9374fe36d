package reports

import (
	"cmp"
	"fmt"
	"math"
	"strconv"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/internal/size"
	"gonum.org/v1/gonum/stat"
)

// Growth bounds how much a drain-aware run's memory may grow. Its curves
// after the warm-up (the first WarmupFraction of the run) are fitted with a
// least-squares line (gonum's stat.LinearRegression) against time; the
// growth is the line's rise over that span. A run is flat when the growth
// of its RSS stays within max(RSSFloor, PerMiB × MiB written) and the
// growth of its buffered bytes within max(BufferedFloor, its
// highWaterMark, PerMiB × MiB written). MiB written is known when the
// probe reports it; otherwise the floors alone apply.
type Growth struct {
	WarmupFraction float64 // default 0.25
	RSSFloor       int64   // default 4MiB
	BufferedFloor  int64   // default 1MiB
	PerMiB         int64   // bytes of growth allowed per MiB written; default 32KiB (3%)
	MinSamples     int     // runs with fewer samples after warm-up are not judged; default 8
}

// DefaultGrowth returns the documented bound.
func DefaultGrowth() Growth {
	return Growth{WarmupFraction: 0.25, RSSFloor: 4 << 20, BufferedFloor: 1 << 20, PerMiB: 32 << 10, MinSamples: 8}
}

// orDefault fills in every zero field from DefaultGrowth.
func (g Growth) orDefault() Growth {
	d := DefaultGrowth()
	g.WarmupFraction = cmp.Or(g.WarmupFraction, d.WarmupFraction)
	g.RSSFloor = cmp.Or(g.RSSFloor, d.RSSFloor)
	g.BufferedFloor = cmp.Or(g.BufferedFloor, d.BufferedFloor)
	g.PerMiB = cmp.Or(g.PerMiB, d.PerMiB)
	g.MinSamples = max(cmp.Or(g.MinSamples, d.MinSamples), 2)
	return g
}

// RunGrowth is one run's fitted growth.
type RunGrowth struct {
	RSS, Buffered  float64 // fitted rise after warm-up, bytes; NaN when not measured
	RSSMax, BufMax float64 // the bounds it was held to
	Written        int64   // bytes written, -1 unknown
	Samples        int
}

// Flat reports whether the run stayed within its bounds.
func (g RunGrowth) Flat() bool {
	return !(g.RSS > g.RSSMax) && !(g.Buffered > g.BufMax)
}

// FitGrowth fits one run's curves; ok is false when the run has too few
// samples after warm-up to judge.
func (g Growth) FitGrowth(r *results.Run) (RunGrowth, bool) {
	g = g.orDefault()
	out := RunGrowth{RSS: math.NaN(), Buffered: math.NaN(), Written: Written(r)}
	if len(r.Series) == 0 {
		return out, false
	}
	end := r.Series[len(r.Series)-1].T
	from := float64(end) * g.WarmupFraction
	var ts, rss, bts, buf []float64
	for _, s := range r.Series {
		if float64(s.T) < from {
			continue
		}
		if s.RSS >= 0 {
			ts, rss = append(ts, s.T.Seconds()), append(rss, float64(s.RSS))
		}
		if s.Buffered >= 0 {
			bts, buf = append(bts, s.T.Seconds()), append(buf, float64(s.Buffered))
		}
	}
	out.Samples = len(ts)
	if len(ts) < g.MinSamples {
		return out, false
	}
	rise := func(xs, ys []float64) float64 {
		if len(xs) < g.MinSamples || xs[len(xs)-1] == xs[0] {
			return math.NaN()
		}
		_, slope := stat.LinearRegression(xs, ys, nil, false)
		return slope * (xs[len(xs)-1] - xs[0])
	}
	out.RSS, out.Buffered = rise(ts, rss), rise(bts, buf)
	perWritten := 0.0
	if out.Written > 0 {
		perWritten = float64(g.PerMiB) * float64(out.Written) / (1 << 20)
	}
	hwm := 0.0
	if n, err := size.Parse(r.Param("hwm")); err == nil {
		hwm = float64(n)
	}
	out.RSSMax = math.Max(float64(g.RSSFloor), perWritten)
	out.BufMax = math.Max(math.Max(float64(g.BufferedFloor), hwm), perWritten)
	return out, true
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
			if isDrainAware(r) && r.Outcome == results.OK {
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
		worst                RunGrowth
		boundRuns            int
		boundMax, bound      int64
		noBound              bool
	}
	aggs := map[string]*agg{}
	var order []string
	for i := range head.Set.Runs {
		r := &head.Set.Runs[i]
		if !isDrainAware(r) || r.Outcome != results.OK {
			continue
		}
		k := benchKey(r.Name)
		a := aggs[k]
		if a == nil {
			a = &agg{}
			aggs[k] = a
			order = append(order, k)
		}
		a.runs++
		if rg, ok := g.FitGrowth(r); !ok {
			a.unjudged++
		} else if !rg.Flat() {
			a.grew++
			if math.IsNaN(a.worst.RSS) || rg.RSS/rg.RSSMax > a.worst.RSS/a.worst.RSSMax || a.worst.Samples == 0 {
				a.worst = rg
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
	var noBound, unjudged []string
	for _, k := range order {
		a := aggs[k]
		if a.grew > 0 {
			w := a.worst
			msg := fmt.Sprintf("memory is not flat in %d of %d drain-aware runs: after warm-up RSS grew %s (bound %s) and buffered bytes %s (bound %s)%s",
				a.grew, a.runs, growthText(w.RSS), size.Human(int64(w.RSSMax)), growthText(w.Buffered), size.Human(int64(w.BufMax)), writtenText(w.Written))
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
	}
	if len(unjudged) > 0 {
		v.Notes = append(v.Notes, fmt.Sprintf("too short to judge flatness (fewer than %d samples after warm-up): %s", g.MinSamples, joinList(unjudged)))
	}
	if len(noBound) > 0 {
		v.Notes = append(v.Notes, fmt.Sprintf("no buffer bound reported, so max-buffered-B was judged only against the base: %s", joinList(noBound)))
	}
}

func growthText(b float64) string {
	if math.IsNaN(b) {
		return "(not measured)"
	}
	if b < 0 {
		return "-" + size.Human(int64(-b))
	}
	return size.Human(int64(b))
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
