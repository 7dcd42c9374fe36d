package chart

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/internal/size"
	"github.com/bpbench/bpbench/reports"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// series is one bar series of a summary chart: a variant, or the baseline.
type series struct {
	label string
	col   int // colour index for colorFor
	runs  map[string][]*results.Run
}

// SummaryFigures draws, per workload, peak RSS (median of the runs, with
// the baseline's beside it when given), time to OOM of the runs that were
// killed, and throughput (MiB written per second when the workload reports
// bytes written, else runs per second). A folder measured with
// --baseline-bin (and no baseline given) shows its head beside its base.
func SummaryFigures(set, baseline *results.Set) []*Figure {
	if baseline == nil {
		if base, head, ok := splitSides(set); ok {
			set, baseline = head, base
		}
	}
	groups := reports.GroupRuns(set)
	if len(groups) == 0 {
		return nil // nothing measured (every run interrupted)
	}
	var labels []string
	count := map[string]int{}
	for _, g := range groups {
		count[g.Workload]++
	}
	for _, g := range groups {
		if count[g.Workload] == 1 {
			labels = append(labels, g.Workload)
		} else {
			labels = append(labels, g.Title)
		}
	}
	var all []series
	variants := []string{}
	for _, g := range groups {
		for _, v := range g.Variants {
			if !slices.Contains(variants, v) {
				variants = append(variants, v)
			}
		}
	}
	if baseline != nil {
		bg := map[string]*reports.Group{}
		for _, g := range reports.GroupRuns(baseline) {
			bg[g.Key] = g
		}
		for _, v := range variants {
			s := series{label: "baseline " + v, col: -1 - slices.Index(variants, v), runs: map[string][]*results.Run{}}
			for _, g := range groups {
				if b := bg[g.Key]; b != nil {
					s.runs[g.Key] = b.Runs[v]
				}
			}
			all = append(all, s)
		}
	}
	for i, v := range variants {
		s := series{label: v, col: i, runs: map[string][]*results.Run{}}
		for _, g := range groups {
			s.runs[g.Key] = g.Runs[v]
		}
		all = append(all, s)
	}
	keys := make([]string, len(groups))
	for i, g := range groups {
		keys[i] = g.Key
	}
	var cap int64
	for _, r := range set.Runs {
		cap = max(cap, r.HardLimit)
	}
	peak := barFigure("peak-rss", "Peak RSS per workload (median of runs)", "peak RSS (MiB)", labels, keys, all, cap,
		func(r *results.Run) (float64, bool) { return float64(r.PeakRSSBytes) / mib, r.PeakRSSBytes > 0 })
	peak.Alt = "Peak resident memory of each workload and variant; the line is the hard cap."
	oom := barFigure("time-to-oom", "Time until killed at the cap (runs that died; none = no bar)", "seconds", labels, keys, all, 0,
		func(r *results.Run) (float64, bool) {
			if r.TimeToOOMSeconds == nil {
				return 0, false
			}
			return *r.TimeToOOMSeconds, true
		})
	oom.Alt = "How long each variant ran before it was killed out of memory; workloads that never died have no bar."
	useBytes := true
	for _, r := range set.Runs {
		if r.Outcome == results.OK && reports.Written(&r) <= 0 {
			useBytes = false
		}
	}
	thrTitle, thrUnit := "Throughput (finished runs)", "MiB written per second"
	if !useBytes {
		thrTitle, thrUnit = "Speed (finished runs; bytes written not reported)", "runs per second"
	}
	thr := barFigure("throughput", thrTitle, thrUnit, labels, keys, all, 0, func(r *results.Run) (float64, bool) {
		if r.Outcome != results.OK || r.WallSeconds <= 0 {
			return 0, false
		}
		if useBytes {
			return float64(reports.Written(r)) / mib / r.WallSeconds, true
		}
		return 1 / r.WallSeconds, true
	})
	thr.Alt = "How fast each variant finished; runs that were killed are left out."
	return []*Figure{peak, oom, thr}
}

// lighten mixes c with white, for a baseline beside its candidate.
func lighten(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	mix := func(v uint32) uint8 { return uint8((v>>8)/2 + 128) }
	return color.NRGBA{mix(r), mix(g), mix(b), 255}
}

// barFigure draws grouped bars: one group per workload, one bar per series
// (the median of its runs' values), labelled with the value.
func barFigure(name, title, ylabel string, labels, keys []string, all []series, cap int64, val func(*results.Run) (float64, bool)) *Figure {
	f := &Figure{Name: name, Title: title}
	f.draw = func(dc draw.Canvas) {
		whiteBackground(dc)
		p := newPlot(title, "", ylabel)
		l := newLegend()
		width := vg.Points(min(40, 420/float64(len(keys)*max(1, len(all)))))
		top := 0.0
		for i, s := range all {
			vals := make(plotter.Values, len(keys))
			var texts []string
			var pts plotter.XYs
			for k, key := range keys {
				var xs []float64
				for _, r := range s.runs[key] {
					if v, ok := val(r); ok {
						xs = append(xs, v)
					}
				}
				if len(xs) == 0 {
					continue
				}
				slices.Sort(xs)
				vals[k] = stat.Quantile(0.5, stat.Empirical, xs, nil)
				top = max(top, vals[k])
				texts = append(texts, fmt.Sprintf("%.3g", vals[k]))
				pts = append(pts, plotter.XY{X: float64(k), Y: vals[k]})
			}
			bars, err := plotter.NewBarChart(vals, width)
			if err != nil {
				continue
			}
			bars.Offset = width * vg.Length(float64(i)-float64(len(all)-1)/2)
			bars.LineStyle.Width = 0
			if s.col >= 0 {
				bars.Color = colorFor(s.label, s.col)
			} else { // the baseline: the variant's colour, lighter
				v := strings.TrimPrefix(s.label, "baseline ")
				bars.Color = lighten(colorFor(v, -1-s.col))
			}
			p.Add(bars)
			l.Add(s.label, bars)
			if lbl, err := plotter.NewLabels(plotter.XYLabels{XYs: pts, Labels: texts}); err == nil {
				for j := range lbl.TextStyle {
					lbl.TextStyle[j].Font = sans(10)
					lbl.TextStyle[j].XAlign = draw.XCenter
				}
				lbl.Offset = vg.Point{X: bars.Offset, Y: vg.Points(3)}
				p.Add(lbl)
			}
		}
		p.NominalX(labels...)
		p.X.Tick.Label.Font = sans(11)
		p.X.Tick.Label.Rotation = math.Pi / 12
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YTop
		p.X.Min, p.X.Max = -0.5, float64(len(keys))-0.5
		p.Y.Min = 0
		if cap > 0 {
			c, _ := plotter.NewLine(plotter.XYs{{X: -0.5, Y: float64(cap) / mib}, {X: float64(len(keys)) - 0.5, Y: float64(cap) / mib}})
			c.Color = colCap
			c.Width = vg.Points(1.4)
			p.Add(c)
			l.Add("hard cap "+size.Format(cap), c)
			top = max(top, float64(cap)/mib)
		}
		p.Y.Max = max(top*1.12, 1e-9)
		legendColumn(dc, l, p)
	}
	return f
}
