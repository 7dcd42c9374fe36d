package reports

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/internal/size"
	"golang.org/x/perf/benchmath"
)

const mib = 1 << 20

// TuneOptions are the tuner's settings.
type TuneOptions struct {
	Budget int64   // peak RSS the deployment can afford, bytes
	Margin float64 // fraction of the budget kept free (0.10 = 10%); 0 keeps none
}

// Estimate is the median (benchstat's centre) and the largest of N runs.
type Estimate struct {
	Median, Max float64
	N           int
}

func estimate(vals []float64) Estimate {
	if len(vals) == 0 {
		return Estimate{Median: math.NaN(), Max: math.NaN()}
	}
	return Estimate{Median: median(vals), Max: slices.Max(vals), N: len(vals)}
}

// TunePoint is one highWaterMark of the sweep.
type TunePoint struct {
	HWM          int64
	Label        string   // as the runs name it, e.g. 64KiB
	Throughput   Estimate // MiB written per second, or runs per second when bytes are not reported
	PeakRSS      Estimate // bytes; the budget holds Max (a run over the budget is over it, whatever the median)
	PausesPerMiB float64  // drain waits per MiB written (per run when bytes are not reported); NaN when not reported
	Runs, OK     int
	Outcomes     string // e.g. "6 ok" or "4 ok, 2 oom"
	Pareto       bool   // no other point is both faster and smaller
	thr          []float64
	Fits         bool // every run ok and the peak-RSS upper bound within the budget less the margin
}

// Tuning is the sweep's analysis and its recommendation.
type Tuning struct {
	Workload       string
	Points         []TunePoint // by highWaterMark
	ByBytes        bool        // throughput is MiB/s (else runs/s)
	Budget, Limit  int64       // the budget, and the budget less the margin
	Margin         float64
	Pick           int    // index into Points, or -1: the fitting point with the lowest median peak RSS among those as fast as Fastest
	Fastest        int    // index into Points of the fitting point with the highest median throughput, or -1
	Recommendation string // one paragraph, in words
	NeedBudget     int64  // when nothing fits: the budget that would fit the smallest footprint
	Impossible     bool   // the budget is below every run's peak RSS
}

// Tune analyses a sweep of highWaterMark values: the runs of set, grouped
// by their hwm parameter.
func Tune(set *results.Set, opts TuneOptions) (*Tuning, error) {
	if opts.Budget <= 0 {
		return nil, errorf(ErrBadOption, "--budget must be above zero, e.g. 64MiB")
	}
	if opts.Margin < 0 || opts.Margin >= 1 {
		return nil, errorf(ErrBadOption, "margin %g: give a fraction from 0 to below 1, e.g. 0.10", opts.Margin)
	}
	t := &Tuning{Budget: opts.Budget, Margin: opts.Margin, Pick: -1, ByBytes: true}
	t.Limit = int64(float64(t.Budget) * (1 - t.Margin))
	byHWM := map[string][]*results.Run{}
	var labels []string
	for i := range set.Runs {
		r := &set.Runs[i]
		if !r.Measured() {
			continue
		}
		h := r.Param("hwm")
		if h == "" {
			return nil, errorf(ErrBadOption, "run %s has no hwm parameter: tune analyses a sweep of --hwm values", r.ID)
		}
		if t.Workload == "" {
			t.Workload = r.Workload
		}
		if byHWM[h] == nil {
			labels = append(labels, h)
		}
		byHWM[h] = append(byHWM[h], r)
		if r.Outcome == results.OK && Written(r) <= 0 {
			t.ByBytes = false
		}
	}
	if len(labels) == 0 {
		return nil, errorf(ErrNothingMeasured, "no measured runs to tune")
	}
	minPeak := int64(math.MaxInt64)
	for _, h := range labels {
		n, err := size.Parse(h)
		if err != nil {
			return nil, errorf(ErrBadOption, "hwm %q: %w", h, err)
		}
		if n <= 0 {
			return nil, errorf(ErrBadOption, "hwm %s: tune sweeps highWaterMarks above 0 (a log2 axis); leave 0 out of --hwm", h)
		}
		p := TunePoint{HWM: n, Label: h, PausesPerMiB: math.NaN()}
		var thr, rss []float64
		var drains, mibs float64
		counts := map[results.Outcome]int{}
		for _, r := range byHWM[h] {
			p.Runs++
			counts[r.Outcome]++
			minPeak = min(minPeak, r.PeakRSSBytes)
			rss = append(rss, float64(r.PeakRSSBytes))
			if r.Outcome != results.OK {
				continue
			}
			p.OK++
			w := Written(r)
			if t.ByBytes {
				thr = append(thr, float64(w)/mib/r.WallSeconds)
			} else {
				thr = append(thr, 1/r.WallSeconds)
			}
			if d := lastDrains(r); d >= 0 {
				drains += float64(d)
				if w > 0 {
					mibs += float64(w) / mib
				} else {
					mibs++
				}
			}
		}
		if mibs > 0 {
			p.PausesPerMiB = drains / mibs
		}
		p.Throughput, p.PeakRSS = estimate(thr), estimate(rss) // PeakRSS.Max is what the budget holds
		p.thr = thr
		p.Outcomes = describeCounts(counts, p.Runs)
		p.Fits = p.OK == p.Runs && p.PeakRSS.Max <= float64(t.Limit)
		t.Points = append(t.Points, p)
	}
	slices.SortFunc(t.Points, func(a, b TunePoint) int { return cmp.Compare(a.HWM, b.HWM) })
	for i := range t.Points {
		a := &t.Points[i]
		if a.OK == 0 {
			continue
		}
		a.Pareto = true
		for j, b := range t.Points {
			if i != j && b.OK > 0 && b.Throughput.Median >= a.Throughput.Median && b.PeakRSS.Median <= a.PeakRSS.Median &&
				(b.Throughput.Median > a.Throughput.Median || b.PeakRSS.Median < a.PeakRSS.Median) {
				a.Pareto = false
			}
		}
		if a.Fits && (t.Pick < 0 || a.Throughput.Median > t.Points[t.Pick].Throughput.Median) {
			t.Pick = i
		}
	}
	t.Fastest = t.Pick
	t.Pick = t.leanest()
	t.Recommendation = t.words(minPeak)
	return t, nil
}

// asFast reports whether the Mann-Whitney U test cannot tell point p's
// throughput from point ref's, with runs enough that it could.
func (t *Tuning) asFast(ref, p TunePoint) bool {
	if len(ref.thr) < 2 || len(p.thr) < 2 {
		return false
	}
	thr := benchmath.DefaultThresholds
	if minUTestP(len(ref.thr), len(p.thr)) >= thr.CompareAlpha {
		return false // too few runs for the test to tell anything
	}
	a := benchmath.NewSample(slices.Clone(ref.thr), &thr)
	c := benchmath.AssumeNothing.Compare(a, benchmath.NewSample(slices.Clone(p.thr), &thr))
	return c.P >= c.Alpha
}

// leanest is the recommendation: among the fitting points as fast as the
// fastest (Fastest itself included), the one with the lowest median peak
// RSS, the smaller highWaterMark on a tie. On a noisy machine the fastest
// median moves from run to run between points the test cannot tell
// apart; the least memory among them is what a budget asks for, and it
// moves less.
func (t *Tuning) leanest() int {
	if t.Fastest < 0 {
		return -1
	}
	best, fast := t.Fastest, t.Points[t.Fastest]
	for i, p := range t.Points {
		if i == t.Fastest || !p.Fits || !t.asFast(fast, p) {
			continue
		}
		b := t.Points[best]
		if p.PeakRSS.Median < b.PeakRSS.Median || (p.PeakRSS.Median == b.PeakRSS.Median && p.HWM < b.HWM) {
			best = i
		}
	}
	return best
}

// withinNoise lists the other fitting points with a smaller highWaterMark
// than the pick that the test cannot tell from the fastest.
func (t *Tuning) withinNoise() []string {
	pick, fast := t.Points[t.Pick], t.Points[t.Fastest]
	var out []string
	for i, p := range t.Points {
		if i == t.Pick || p.HWM >= pick.HWM || !p.Fits || !t.asFast(fast, p) {
			continue
		}
		out = append(out, p.Label)
	}
	return out
}

// lastDrains is the drain count at the end of a run, or -1.
func lastDrains(r *results.Run) int64 {
	d := int64(-1)
	for _, s := range r.Series {
		d = max(d, s.Drains)
	}
	return d
}

// Unit is the throughput's unit: MiB/s, or runs/s when the runs do not
// report bytes written.
func (t *Tuning) Unit() string {
	if t.ByBytes {
		return "MiB/s"
	}
	return "runs/s"
}

func (t *Tuning) words(minPeak int64) string {
	budget := fmt.Sprintf("the %s budget less a %.0f%% margin (%s)", size.Format(t.Budget), t.Margin*100, size.Human(t.Limit))
	if t.Pick >= 0 {
		p := t.Points[t.Pick]
		s := fmt.Sprintf("Recommended highWaterMark: %s (%d bytes). It ran at %.3g %s (median of %d runs) with peak RSS %s, at most %s (%s), within %s.",
			p.Label, p.HWM, p.Throughput.Median, t.Unit(), p.OK, size.Human(int64(p.PeakRSS.Median)), size.Human(int64(p.PeakRSS.Max)), t.boundWord(p.PeakRSS), budget)
		if t.Fastest != t.Pick {
			f := t.Points[t.Fastest]
			s += fmt.Sprintf(" It is as fast as the fastest, %s at %.3g %s with peak RSS %s, within the noise (Mann-Whitney U, alpha 0.05), and holds the least memory of the points that are.",
				f.Label, f.Throughput.Median, t.Unit(), size.Human(int64(f.PeakRSS.Median)))
		}
		if !math.IsNaN(p.PausesPerMiB) {
			s += fmt.Sprintf(" Producers waited for drain %.3g times per %s.", p.PausesPerMiB, map[bool]string{true: "MiB written", false: "run"}[t.ByBytes])
		}
		if near := t.withinNoise(); len(near) > 0 {
			s += fmt.Sprintf(" %s buffer%s less and %s not significantly slower either (Mann-Whitney U, alpha 0.05): as good a choice on this evidence.",
				joinAnd(near), map[bool]string{true: "", false: "s"}[len(near) > 1], map[bool]string{true: "are", false: "is"}[len(near) > 1])
		}
		return s
	}
	// Nothing fits: name the smallest footprint among the clean points.
	best := -1
	for i, p := range t.Points {
		if p.OK == p.Runs && (best < 0 || p.PeakRSS.Max < t.Points[best].PeakRSS.Max) {
			best = i
		}
	}
	if minPeak > t.Budget {
		t.Impossible = true
		t.NeedBudget = int64(math.Ceil(float64(minPeak) / (1 - t.Margin)))
	}
	if best < 0 {
		return "No highWaterMark fits: no point of the sweep finished all its runs (see the outcomes); raise --memlimit or --hard-limit, or the budget."
	}
	p := t.Points[best]
	t.NeedBudget = int64(math.Ceil(p.PeakRSS.Max / (1 - t.Margin)))
	return fmt.Sprintf("No highWaterMark fits %s. The smallest footprint is highWaterMark %s, peak RSS at most %s (%s); a budget of %s would fit it.",
		budget, p.Label, size.Human(int64(p.PeakRSS.Max)), t.boundWord(p.PeakRSS), size.Human(t.NeedBudget))
}

func (t *Tuning) boundWord(e Estimate) string {
	return fmt.Sprintf("the largest of %d runs", e.N)
}

// WriteText writes the sweep's table and the recommendation.
func (t *Tuning) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	pauses := "DRAIN WAITS/MiB"
	if !t.ByBytes {
		pauses = "DRAIN WAITS/RUN"
	}
	fmt.Fprintf(tw, "HWM\tTHROUGHPUT (median %s)\tPEAK RSS (median)\tPEAK RSS (max)\t%s\tRUNS\tPARETO\tFITS\n", t.Unit(), pauses)
	for i, p := range t.Points {
		mark := func(b bool) string {
			if b {
				return "yes"
			}
			return "-"
		}
		up := size.Human(int64(p.PeakRSS.Max))
		pk := ""
		if i == t.Pick {
			pk = "  <- pick"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s%s\n", p.Label, numOrDash(p.Throughput.Median), size.Human(int64(p.PeakRSS.Median)), up,
			numOrDash(p.PausesPerMiB), p.Outcomes, mark(p.Pareto), mark(p.Fits), pk)
	}
	tw.Flush()
	_, err := fmt.Fprintf(w, "\n%s\n", t.Recommendation)
	return err
}

func numOrDash(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.3g", v)
}

// joinAnd lists words as prose does: "a", "a and b", "a, b and c".
func joinAnd(words []string) string {
	if len(words) < 3 {
		return strings.Join(words, " and ")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
