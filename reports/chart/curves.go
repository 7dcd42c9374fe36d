package chart

import (
	"cmp"
	"fmt"
	"image/color"
	"slices"
	"sort"

	"github.com/bpbench/bpbench/internal/results"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// legendColumn draws the plots in the left part of dc, one above the
// other, and their legend in a column on the right, where it covers no
// data.
func legendColumn(dc draw.Canvas, l plot.Legend, plots ...*plot.Plot) {
	grid := make([][]*plot.Plot, len(plots))
	for i, p := range plots {
		grid[i] = []*plot.Plot{p}
	}
	legendGrid(dc, l, grid, 0)
}

// legendGrid draws grid (rows of plots, aligned) in the left part of dc
// and the legend in a column on the right: 3.2 inches wide, or wider when
// a legend entry's text is wider than textW.
func legendGrid(dc draw.Canvas, l plot.Legend, grid [][]*plot.Plot, textW vg.Length) {
	legendW := max(3.2*vg.Inch, textW+0.7*vg.Inch) // the thumbnail, its gap and the offset
	left := draw.Crop(dc, 0, -legendW, 0, 0)
	right := draw.Crop(dc, dc.Max.X-dc.Min.X-legendW, 0, 0, -0.9*vg.Inch)
	cs := plot.Align(grid, draw.Tiles{Rows: len(grid), Cols: len(grid[0]), PadX: 4 * vg.Millimeter, PadY: 3 * vg.Millimeter, PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter}, left)
	for i, row := range grid {
		for j, p := range row {
			p.Draw(cs[i][j])
		}
	}
	l.Top, l.Left = true, true
	l.XOffs = 4 * vg.Millimeter
	l.Draw(right)
}

// header draws a figure's title and a subtitle across the top of dc and
// returns the rest of dc.
func header(dc draw.Canvas, title, sub string) draw.Canvas {
	top := dc.Max.Y - 3*vg.Millimeter
	for _, t := range []struct {
		text string
		size float64
	}{{title, 17}, {sub, 11}} {
		st := draw.TextStyle{Color: color.Black, Font: sans(t.size), Handler: plot.DefaultTextHandler, YAlign: draw.YTop}
		dc.FillText(st, vg.Point{X: dc.Min.X + 4*vg.Millimeter, Y: top}, t.text)
		top -= st.Height(t.text) + vg.Millimeter
	}
	return draw.Crop(dc, 0, 0, 0, top-dc.Max.Y)
}

// pt is one point of a run's trace.
type pt struct{ x, y float64 }

// trace is a run's points in x order: x and y of each sample where both
// were reported (not negative), y raised to floor.
func trace(r *results.Run, x, y func(results.Sample) float64, div, floor float64) []pt {
	var out []pt
	for _, s := range r.Series {
		xv, yv := x(s), y(s)
		if xv < 0 || yv < 0 {
			continue
		}
		out = append(out, pt{xv / div, max(yv, floor)})
	}
	slices.SortStableFunc(out, func(a, b pt) int { return cmp.Compare(a.x, b.x) })
	return out
}

// curve is the median of several runs' traces: segments over which the
// number of runs still running is constant and at least half the runs.
type curve struct {
	segs    []plotter.XYs
	running []int // runs running over each segment
	n       int   // runs in all
}

// buildCurve resamples each trace (a step function) onto a common grid and
// takes, at each x, the median of the traces that have begun and not yet
// ended. Where fewer than half of n run there is no median; where the
// number running changes a new segment begins, so that a run ending never
// draws a drop.
func buildCurve(traces [][]pt, n int) *curve {
	lo, hi := 0.0, 0.0
	first := true
	for _, t := range traces {
		if len(t) == 0 {
			continue
		}
		if first {
			lo, hi, first = t[0].x, t[len(t)-1].x, false
		}
		lo, hi = min(lo, t[0].x), max(hi, t[len(t)-1].x)
	}
	if first || hi <= lo {
		return nil
	}
	// The grid, plus each trace's last x, so that a segment ends where
	// its run ended.
	const steps = 240
	var grid []float64
	for i := 0; i <= steps; i++ {
		grid = append(grid, lo+(hi-lo)*float64(i)/steps)
	}
	for _, t := range traces {
		if len(t) > 0 {
			grid = append(grid, t[len(t)-1].x)
		}
	}
	slices.Sort(grid)
	grid = slices.Compact(grid)
	c := &curve{n: n}
	var seg plotter.XYs
	running := -1
	flush := func() {
		if len(seg) > 1 {
			c.segs = append(c.segs, seg)
			c.running = append(c.running, running)
		}
		seg = nil
	}
	vals := make([]float64, 0, len(traces))
	for _, x := range grid {
		vals = vals[:0]
		for _, t := range traces {
			if len(t) == 0 || x < t[0].x || x > t[len(t)-1].x {
				continue
			}
			j := sort.Search(len(t), func(i int) bool { return t[i].x > x }) - 1
			vals = append(vals, t[j].y)
		}
		if len(vals) == 0 || 2*len(vals) < n {
			flush()
			running = -1
			continue
		}
		if len(vals) != running {
			flush()
			running = len(vals)
		}
		seg = append(seg, plotter.XY{X: x, Y: medianOf(vals)})
	}
	flush()
	return c
}

// medianOf is the median of v (the mean of the middle two for an even
// count); it sorts v.
func medianOf(v []float64) float64 {
	slices.Sort(v)
	m := len(v) / 2
	if len(v)%2 == 0 {
		return (v[m-1] + v[m]) / 2
	}
	return v[m]
}

// drawn is what addRuns and addMedian drew: a line of each style for the
// legend, and the extent of the data.
type drawn struct {
	median, run *plotter.Line
	lo, hi, end float64 // smallest and largest y, largest x
}

// Line styles of a memory figure. The baseline is dashed; the heap dotted.
func medianStyle(s *memSeries) draw.LineStyle {
	st := draw.LineStyle{Color: s.col, Width: vg.Points(2.4)}
	if s.base {
		st.Width, st.Dashes = vg.Points(2), []vg.Length{vg.Points(7), vg.Points(3)}
	}
	return st
}

func runStyle(s *memSeries) draw.LineStyle {
	r, g, b, _ := s.col.RGBA()
	st := draw.LineStyle{Color: color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 150}, Width: vg.Points(0.7)}
	if s.base {
		st.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
	}
	return st
}

func heapStyle(s *memSeries) draw.LineStyle {
	return draw.LineStyle{Color: s.col, Width: vg.Points(1.4), Dashes: []vg.Length{vg.Points(1.5), vg.Points(2.5)}}
}

// addRuns draws each of s's runs as a thin line and their median (see
// buildCurve); with labels, the count of runs running where it changes.
func addRuns(p *plot.Plot, s *memSeries, x, y func(results.Sample) float64, div, floor float64, labels bool) drawn {
	d := drawn{lo: -1}
	var traces [][]pt
	for _, r := range s.runs {
		t := trace(r, x, y, div, floor)
		traces = append(traces, t)
		if len(t) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(t))
		for i, q := range t {
			xys[i] = plotter.XY{X: q.x, Y: q.y}
			d.hi = max(d.hi, q.y)
			if d.lo < 0 || q.y < d.lo {
				d.lo = q.y
			}
		}
		d.end = max(d.end, t[len(t)-1].x)
		if len(xys) == 1 {
			xys = append(xys, xys[0])
		}
		line := &plotter.Line{XYs: xys, LineStyle: runStyle(s)}
		p.Add(line)
		d.run = line
	}
	if d.run == nil {
		d.run = &plotter.Line{LineStyle: runStyle(s)}
	}
	d.median = &plotter.Line{LineStyle: medianStyle(s)}
	c := buildCurve(traces, len(s.runs))
	if c == nil {
		return d
	}
	span := 0.0
	for _, seg := range c.segs {
		span = max(span, seg[len(seg)-1].X)
	}
	lastLabel := -1.0
	for i, seg := range c.segs {
		p.Add(&plotter.Line{XYs: seg, LineStyle: medianStyle(s)})
		if !labels || i == 0 || c.running[i] >= c.running[i-1] {
			continue // label where runs end, not where they start
		}
		if lastLabel >= 0 && seg[0].X-lastLabel < 0.06*span && i != len(c.segs)-1 {
			continue
		}
		lastLabel = seg[0].X
		if lbl, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{seg[0]}, Labels: []string{fmt.Sprintf("%d/%d", c.running[i], c.n)}}); err == nil {
			lbl.TextStyle[0].Font = sans(10)
			lbl.TextStyle[0].Color = s.col
			lbl.Offset = vg.Point{X: vg.Points(2), Y: vg.Points(4)}
			p.Add(lbl)
		}
	}
	if d.lo < 0 {
		d.lo = 0
	}
	return d
}

// addMedian draws only the median of s's runs, in style.
func addMedian(p *plot.Plot, s *memSeries, x, y func(results.Sample) float64, div, floor float64, style draw.LineStyle) drawn {
	d := drawn{lo: -1}
	var traces [][]pt
	for _, r := range s.runs {
		traces = append(traces, trace(r, x, y, div, floor))
	}
	c := buildCurve(traces, len(s.runs))
	if c == nil {
		return d
	}
	for _, seg := range c.segs {
		p.Add(&plotter.Line{XYs: seg, LineStyle: style})
		for _, q := range seg {
			if d.lo < 0 || q.Y < d.lo {
				d.lo = q.Y
			}
		}
	}
	if len(c.segs) > 0 {
		d.median = &plotter.Line{LineStyle: style}
	}
	return d
}

// killMarks is a cross for each run killed out of memory, where it died.
// A cross is always drawn, at the plot's edge if the point lies outside
// its range, so that no kill can go missing.
type killMarks struct {
	pts  plotter.XYs
	col  color.Color
	xMax float64
}

// Cross sizes; killWidth marks a kill's cross in an SVG (tests count them).
const (
	killRadius = vg.Length(7)
	killWidth  = vg.Length(2.75)
	haloWidth  = vg.Length(5)
)

// addKills adds s's kills to p: at the time of death, or with written, at
// the bytes written by then (x divided by div); at the run's peak RSS.
func addKills(p *plot.Plot, s *memSeries, written bool, div float64) *killMarks {
	k := &killMarks{col: s.col}
	for _, r := range s.runs {
		if r.Outcome != results.OOM {
			continue
		}
		x, y := -1.0, float64(r.PeakRSSBytes)
		for _, smp := range r.Series {
			if written && smp.Written >= 0 {
				x = max(x, float64(smp.Written)/div)
			}
			if !written {
				x = max(x, smp.T.Seconds())
			}
			if r.PeakRSSBytes <= 0 && smp.RSS > 0 {
				y = float64(smp.RSS)
			}
		}
		if !written && r.TimeToOOMSeconds != nil {
			x = *r.TimeToOOMSeconds
		}
		k.pts = append(k.pts, plotter.XY{X: max(x, 0), Y: max(y, 1)})
		k.xMax = max(k.xMax, x)
	}
	if len(k.pts) == 0 {
		return nil
	}
	p.Add(k)
	return k
}

// Plot implements plot.Plotter.
func (k *killMarks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, q := range k.pts {
		at := vg.Point{X: clampLen(trX(q.X), c.Min.X, c.Max.X), Y: clampLen(trY(q.Y), c.Min.Y, c.Max.Y)}
		cross(&c, at, killRadius, haloWidth, color.White)
		cross(&c, at, killRadius, killWidth, k.col)
	}
}

// Thumbnail implements plot.Thumbnailer, for the legend.
func (k *killMarks) Thumbnail(c *draw.Canvas) {
	at := vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: (c.Min.Y + c.Max.Y) / 2}
	cross(c, at, killRadius*0.8, vg.Points(2), k.col)
}

func cross(c *draw.Canvas, at vg.Point, r, w vg.Length, col color.Color) {
	var path vg.Path
	path.Move(vg.Point{X: at.X - r, Y: at.Y - r})
	path.Line(vg.Point{X: at.X + r, Y: at.Y + r})
	path.Move(vg.Point{X: at.X - r, Y: at.Y + r})
	path.Line(vg.Point{X: at.X + r, Y: at.Y - r})
	c.SetLineStyle(draw.LineStyle{Color: col, Width: w})
	c.Stroke(path)
}

func clampLen(v, lo, hi vg.Length) vg.Length { return min(max(v, lo), hi) }
