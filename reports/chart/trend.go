package chart

import (
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bpbench/bpbench/internal/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// TrendSeries is one series of a history, as Trend draws it: one
// benchmark's unit on one machine, a point per commit in commit order, and
// the change points found in it.
type TrendSeries struct {
	Benchmark string // full name without "Benchmark", parameters included
	Unit      string // e.g. "peak-RSS-B"
	Machine   string // shown in the title when not ""
	// Fraction marks a unit whose values are fractions of runs (oom-runs,
	// failed-runs): drawn as percentages.
	Fraction bool
	Points   []TrendPoint
	Changes  []TrendChange
}

// TrendPoint is one commit of a series.
type TrendPoint struct {
	Commit string
	Time   time.Time
	Value  float64   // the commit's median (for a fraction unit, the fraction)
	Runs   []float64 // every run's value, drawn as points; nil for none
}

// TrendChange is a change point: the series differs from Points[Index] on.
type TrendChange struct {
	Index      int
	Change     string // as the listing writes it, e.g. "+5.2%"
	Strong     bool
	Regression bool
}

// TrendPageFile is the page WriteTrendPage writes beside the charts.
const TrendPageFile = "index.html"

// trendScale is how a unit's values are drawn: a divisor and the axis
// label.
func trendScale(s *TrendSeries) (float64, string) {
	switch {
	case s.Fraction:
		return 0.01, s.Unit + " (% of runs)"
	case strings.HasSuffix(s.Unit, "-B"):
		return mib, s.Unit + " (MiB)"
	}
	return 1, s.Unit
}

// commitLabel is a commit as a tick label.
func commitLabel(c string) string {
	if len(c) > 7 {
		return c[:7]
	}
	return c
}

// Trend draws a series over commits: the median per commit as a line, each
// run as a point, and every change point as a vertical line before the
// commit that opens it, labelled with that commit and the change
// (regressions in vermillion, improvements in green, weak ones dashed).
func Trend(s TrendSeries) *Figure {
	title := s.Benchmark + ": " + s.Unit
	if s.Machine != "" {
		title += " @" + s.Machine
	}
	name := "trend-" + fileName(s.Unit+"-"+s.Benchmark)
	if s.Machine != "" {
		name += "-" + fileName(s.Machine)
	}
	f := &Figure{Name: name, Title: title, Alt: trendAlt(&s)}
	f.draw = func(dc draw.Canvas) {
		whiteBackground(dc)
		div, ylabel := trendScale(&s)
		p := newPlot(title, "commit (oldest to newest)", ylabel)
		l := newLegend()
		var med, runs plotter.XYs
		lo, hi := math.Inf(1), math.Inf(-1)
		for i, pt := range s.Points {
			med = append(med, plotter.XY{X: float64(i), Y: pt.Value / div})
			lo, hi = min(lo, pt.Value/div), max(hi, pt.Value/div)
			for _, v := range pt.Runs {
				runs = append(runs, plotter.XY{X: float64(i), Y: v / div})
				lo, hi = min(lo, v/div), max(hi, v/div)
			}
		}
		if len(med) == 0 {
			lo, hi = 0, 1
		}
		pad := (hi - lo) * 0.08
		if pad == 0 {
			pad = math.Max(math.Abs(hi)*0.05, 0.5)
		}
		ymin, ymax := lo-pad, hi+2.5*pad // room above for the change labels
		if lo >= 0 {
			ymin = math.Max(ymin, 0)
		}
		if sc, err := plotter.NewScatter(runs); err == nil && len(runs) > 0 {
			sc.GlyphStyle = draw.GlyphStyle{Color: colBase, Radius: vg.Points(2.2), Shape: draw.CircleGlyph{}}
			p.Add(sc)
			l.Add("runs", sc)
		}
		if ln, pts, err := plotter.NewLinePoints(med); err == nil && len(med) > 0 {
			ln.Color, ln.Width, pts.Color, pts.Shape, pts.Radius = colDrain, vg.Points(2), colDrain, draw.CircleGlyph{}, vg.Points(3)
			p.Add(ln, pts)
			l.Add("median per commit", ln, pts)
		}
		var labels plotter.XYLabels
		legend := map[string]bool{}
		for _, c := range s.Changes {
			if c.Index <= 0 || c.Index >= len(s.Points) {
				continue
			}
			x := float64(c.Index) - 0.5
			col, kind := color.Color(colOther), "improvement"
			if c.Regression {
				col, kind = colNaive, "regression"
			}
			ln, _ := plotter.NewLine(plotter.XYs{{X: x, Y: ymin}, {X: x, Y: ymax}})
			ln.Color, ln.Width = col, vg.Points(1.6)
			strength := "strong"
			if !c.Strong {
				ln.Dashes, strength = []vg.Length{vg.Points(6), vg.Points(3)}, "weak"
			}
			p.Add(ln)
			if key := strength + " " + kind; !legend[key] {
				legend[key] = true
				l.Add("change point: "+key, ln)
			}
			labels.XYs = append(labels.XYs, plotter.XY{X: x, Y: ymax})
			labels.Labels = append(labels.Labels, " "+commitLabel(s.Points[c.Index].Commit)+" "+c.Change)
		}
		if len(labels.XYs) > 0 {
			if lb, err := plotter.NewLabels(labels); err == nil {
				for i := range lb.TextStyle {
					lb.TextStyle[i].Font = sans(11)
					lb.TextStyle[i].YAlign = draw.YTop
				}
				p.Add(lb)
			}
		}
		p.X.Min, p.X.Max = -0.5, math.Max(float64(len(s.Points))-0.5, 0.5)
		p.Y.Min, p.Y.Max = ymin, ymax
		p.X.Tick.Marker = plot.ConstantTicks(commitTicks(&s))
		legendColumn(dc, l, p)
	}
	return f
}

// commitTicks labels about ten commits, evenly spread, and every commit
// that opens a change point.
func commitTicks(s *TrendSeries) []plot.Tick {
	n := len(s.Points)
	marked := map[int]bool{}
	for _, c := range s.Changes {
		if c.Index > 0 && c.Index < n {
			marked[c.Index] = true
		}
	}
	step := max(1, (n+9)/10)
	var ticks []plot.Tick
	for i := range n {
		switch {
		case marked[i]:
			ticks = append(ticks, plot.Tick{Value: float64(i), Label: commitLabel(s.Points[i].Commit)})
		case i%step == 0 && !marked[i+1] && !marked[i-1]:
			ticks = append(ticks, plot.Tick{Value: float64(i), Label: commitLabel(s.Points[i].Commit)})
		default:
			ticks = append(ticks, plot.Tick{Value: float64(i)})
		}
	}
	return ticks
}

// trendAlt says in one sentence what a trend chart shows.
func trendAlt(s *TrendSeries) string {
	if len(s.Points) == 0 {
		return fmt.Sprintf("%s %s: no commits", s.Benchmark, s.Unit)
	}
	div, _ := trendScale(s)
	first, last := s.Points[0].Value/div, s.Points[len(s.Points)-1].Value/div
	unit := ""
	switch {
	case s.Fraction:
		unit = "%"
	case div == mib:
		unit = "MiB"
	}
	alt := fmt.Sprintf("%s %s over %d commits, median per commit from %.4g%s to %.4g%s", s.Benchmark, s.Unit, len(s.Points), first, unit, last, unit)
	var cs []string
	for _, c := range s.Changes {
		if c.Index > 0 && c.Index < len(s.Points) {
			kind := "improvement"
			if c.Regression {
				kind = "regression"
			}
			cs = append(cs, fmt.Sprintf("%s %s at %s", c.Change, kind, commitLabel(s.Points[c.Index].Commit)))
		}
	}
	if len(cs) == 0 {
		return alt + "; no change point"
	}
	return alt + "; change points: " + strings.Join(cs, ", ")
}

var trendPage = template.Must(template.New("trend").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body { font-family: sans-serif; margin: 2em auto; max-width: 1200px; }
img { width: 100%; height: auto; border: 1px solid #ddd; }
figure { margin: 1em 0 2em; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>Median per commit (line), every run (grey points) and the change points found (vertical lines: vermillion a regression, green an improvement; dashed when weak).</p>
{{range .Sections}}<h2>{{.Unit}}</h2>
{{range .Figures}}<figure><img src="{{.File}}" alt="{{.Alt}}"><figcaption>{{.Title}}</figcaption></figure>
{{end}}{{end}}</body>
</html>
`))

// WriteTrendPage draws a trend chart per series into dir (as WriteFiles
// does, in format svg or png) and a page, dir/index.html, that shows them
// grouped by unit. It returns the files written, the page last.
func WriteTrendPage(dir, title string, series []TrendSeries, format string) ([]string, error) {
	sorted := slices.Clone(series)
	slices.SortStableFunc(sorted, func(a, b TrendSeries) int { return cmp.Compare(a.Unit, b.Unit) })
	figs := make([]*Figure, len(sorted))
	for i, s := range sorted {
		figs[i] = Trend(s)
	}
	files, err := WriteFiles(dir, figs, format)
	if err != nil {
		return files, err
	}
	type fig struct{ File, Alt, Title string }
	type section struct {
		Unit    string
		Figures []fig
	}
	var data struct {
		Title    string
		Sections []section
	}
	data.Title = title
	for i, s := range sorted {
		if n := len(data.Sections); n == 0 || data.Sections[n-1].Unit != s.Unit {
			data.Sections = append(data.Sections, section{Unit: s.Unit})
		}
		sec := &data.Sections[len(data.Sections)-1]
		sec.Figures = append(sec.Figures, fig{File: filepath.Base(files[i]), Alt: figs[i].Alt, Title: figs[i].Title})
	}
	var buf bytes.Buffer
	if err := trendPage.Execute(&buf, data); err != nil {
		return files, err
	}
	page := filepath.Join(dir, TrendPageFile)
	if err := atomicfile.Write(page, buf.Bytes()); err != nil {
		return files, err
	}
	return append(files, page), nil
}
