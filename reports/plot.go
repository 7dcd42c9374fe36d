package reports

import (
	"bytes"
	"cmp"
	"fmt"
	"image/color"
	"io"
	"slices"
	"strings"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/internal/size"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Chart formats.
const (
	ChartSVG = "svg"
	ChartPNG = "png"
)

// Figure size: 16:9, for a slide; PNGs are rendered at 96 dpi (1152×648).
const (
	FigWidth  = 12 * vg.Inch
	FigHeight = 6.75 * vg.Inch
	pngDPI    = 96
)

// Figure is one chart, drawn on demand.
type Figure struct {
	Name  string // file name stem, safe for a file system
	Title string
	Alt   string // what the chart shows, in one sentence
	draw  func(dc draw.Canvas)
}

// Render draws the figure in format (svg or png).
func (f *Figure) Render(w io.Writer, format string) error {
	switch format {
	case ChartSVG:
		c := vgsvg.NewWith(vgsvg.UseWH(FigWidth, FigHeight))
		f.draw(draw.New(c))
		_, err := c.WriteTo(w)
		return err
	case ChartPNG:
		c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(FigWidth, FigHeight), vgimg.UseDPI(pngDPI))}
		f.draw(draw.New(c))
		_, err := c.WriteTo(w)
		return err
	}
	return fmt.Errorf("--format %q: choose svg or png", format)
}

// SVG returns the figure as an SVG document.
func (f *Figure) SVG() ([]byte, error) {
	var buf bytes.Buffer
	err := f.Render(&buf, ChartSVG)
	return buf.Bytes(), err
}

// Colours: one per variant or side, readable by the colour-blind
// (Okabe-Ito), and greys for the caps.
var (
	colDrain    = color.NRGBA{0, 114, 178, 255}   // blue
	colNaive    = color.NRGBA{213, 94, 0, 255}    // vermillion
	colBase     = color.NRGBA{153, 153, 153, 255} // grey
	colOther    = color.NRGBA{0, 158, 115, 255}   // green
	colLimit    = color.NRGBA{90, 90, 90, 255}
	colCap      = color.NRGBA{0, 0, 0, 255}
	seriesColor = map[string]color.Color{"drain": colDrain, "naive": colNaive, "base": colBase, "head": colDrain}
)

func colorFor(name string, i int) color.Color {
	if c, ok := seriesColor[name]; ok {
		return c
	}
	return []color.Color{colDrain, colNaive, colOther, colBase}[i%4]
}

const mib = 1 << 20

// sans is the charts' typeface: Liberation Sans, which gonum embeds.
func sans(size float64) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: vg.Points(size)}
}

// newPlot is a plot styled for a slide.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = sans(17)
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sans(14)
		a.Tick.Label.Font = sans(12)
	}
	p.Legend.TextStyle.Font = sans(12)
	p.Add(plotter.NewGrid())
	return p
}

func newLegend() plot.Legend {
	l := plot.NewLegend()
	l.TextStyle.Font = sans(12)
	return l
}

// whiteBackground paints the canvas white (a PNG starts transparent, which
// viewers show black).
func whiteBackground(dc draw.Canvas) {
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
}

// legendColumn draws the plots in the left part of dc and their legend in
// a column on the right, where it covers no data.
func legendColumn(dc draw.Canvas, l plot.Legend, plots ...*plot.Plot) {
	const legendW = 3.2 * vg.Inch
	left := draw.Crop(dc, 0, -legendW, 0, 0)
	right := draw.Crop(dc, dc.Max.X-dc.Min.X-legendW, 0, 0, -0.9*vg.Inch)
	grid := make([][]*plot.Plot, len(plots))
	for i, p := range plots {
		grid[i] = []*plot.Plot{p}
	}
	cs := plot.Align(grid, draw.Tiles{Rows: len(plots), Cols: 1, PadX: vg.Millimeter, PadY: 3 * vg.Millimeter, PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter}, left)
	for i, p := range plots {
		p.Draw(cs[i][0])
	}
	l.Top, l.Left = true, true
	l.XOffs = 4 * vg.Millimeter
	l.Draw(right)
}

// curve is the median of several runs' time series with its min-max band.
type curve struct {
	t, med, lo, hi []float64
}

// buildCurve resamples each run's series (a step function) onto a common
// time grid and takes, at each instant, the median, minimum and maximum of
// the runs still running. pick returns a sample's value, or -1 for none.
func buildCurve(runs []*results.Run, pick func(results.Sample) int64) *curve {
	type pt struct {
		t float64
		v float64
	}
	var series [][]pt
	end := 0.0
	for _, r := range runs {
		var s []pt
		for _, x := range r.Series {
			if v := pick(x); v >= 0 {
				s = append(s, pt{x.T.Seconds(), float64(v)})
			}
		}
		if len(s) == 0 {
			continue
		}
		slices.SortStableFunc(s, func(a, b pt) int { return cmpFloat(a.t, b.t) })
		series = append(series, s)
		end = max(end, s[len(s)-1].t)
	}
	if len(series) == 0 || end == 0 {
		return nil
	}
	const n = 240
	c := &curve{}
	vals := make([]float64, 0, len(series))
	for i := 0; i <= n; i++ {
		t := end * float64(i) / n
		vals = vals[:0]
		for _, s := range series {
			if t < s[0].t || t > s[len(s)-1].t {
				continue
			}
			j, _ := slices.BinarySearchFunc(s, t, func(p pt, t float64) int { return cmpFloat(p.t, t) })
			if j == len(s) || s[j].t > t {
				j--
			}
			vals = append(vals, s[j].v)
		}
		if len(vals) == 0 {
			continue
		}
		slices.Sort(vals)
		c.t = append(c.t, t)
		c.med = append(c.med, stat.Quantile(0.5, stat.Empirical, vals, nil))
		c.lo = append(c.lo, floats.Min(vals))
		c.hi = append(c.hi, floats.Max(vals))
	}
	return c
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// xys scales a curve's values to MiB.
func xys(t, v []float64) plotter.XYs {
	out := make(plotter.XYs, len(t))
	for i := range t {
		out[i] = plotter.XY{X: t[i], Y: v[i] / mib}
	}
	return out
}

// addCurve draws c (median line, min-max band) in col; dashed for a
// secondary series. It returns the line for the legend.
func addCurve(p *plot.Plot, c *curve, col color.Color, dashed bool) *plotter.Line {
	if c == nil {
		return nil
	}
	if len(c.t) > 1 && !dashed {
		band := make(plotter.XYs, 0, 2*len(c.t))
		band = append(band, xys(c.t, c.lo)...)
		hi := xys(c.t, c.hi)
		for i := len(hi) - 1; i >= 0; i-- {
			band = append(band, hi[i])
		}
		if poly, err := plotter.NewPolygon(band); err == nil {
			r, g, b, _ := col.RGBA()
			poly.Color = color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 60}
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
	}
	line, err := plotter.NewLine(xys(c.t, c.med))
	if err != nil {
		return nil
	}
	line.Color = col
	line.Width = vg.Points(2.2)
	if dashed {
		line.Width = vg.Points(1.6)
		line.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
	}
	p.Add(line)
	return line
}

// hline draws a horizontal reference line at y bytes across [0, x1].
func hline(p *plot.Plot, y, x1 float64, col color.Color, dashed bool) *plotter.Line {
	l := capLine(col, dashed)
	l.XYs = plotter.XYs{{X: 0, Y: y / mib}, {X: x1, Y: y / mib}}
	p.Add(l)
	return l
}

// capLine is the style of a reference line (for a legend entry alone).
func capLine(col color.Color, dashed bool) *plotter.Line {
	l := &plotter.Line{}
	l.Color = col
	l.Width = vg.Points(1.4)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(8), vg.Points(4)}
	}
	return l
}

// group is the runs of one benchmark and its parameters (both variants).
type group struct {
	key, title, workload string
	runs                 map[string][]*results.Run // by variant
	order                []string
}

// groupRuns groups measured runs by benchmark and parameters; a folder
// with base and head sides is grouped by its head side only.
func groupRuns(set *results.Set) []*group {
	hasHead := false
	for _, r := range set.Runs {
		hasHead = hasHead || r.Side == results.SideHead
	}
	var out []*group
	byKey := map[string]*group{}
	for i := range set.Runs {
		r := &set.Runs[i]
		if !r.Measured() || (hasHead && r.Side != results.SideHead) {
			continue
		}
		var ps []string
		for _, p := range r.Params {
			ps = append(ps, p.Key+"="+p.Value)
		}
		key := strings.Join(append([]string{r.Bench}, ps...), "/")
		g := byKey[key]
		if g == nil {
			g = &group{key: key, workload: cmp.Or(r.Workload, r.Bench), title: strings.TrimSpace(r.Workload + "  " + strings.Join(ps, " ")), runs: map[string][]*results.Run{}}
			byKey[key] = g
			out = append(out, g)
		}
		v := r.Variant
		if v == "" {
			v = "run"
		}
		if g.runs[v] == nil {
			g.order = append(g.order, v)
		}
		g.runs[v] = append(g.runs[v], r)
	}
	return out
}

// MemoryFigures draws, per workload and parameters, RSS and Go heap against
// time for each variant (median of the runs with a min-max band), the
// GOMEMLIMIT and hard-cap lines, a cross where a run was killed, and the
// streams' buffered bytes in a panel below on the same time axis.
func MemoryFigures(set *results.Set) []*Figure {
	var figs []*Figure
	for _, g := range groupRuns(set) {
		figs = append(figs, memoryFigure(g))
	}
	return figs
}

func memoryFigure(g *group) *Figure {
	var memlimit, hardcap int64
	end, top := 0.0, 0.0
	haveBuf := false
	var alt []string
	for _, v := range g.order {
		oom := 0
		for _, r := range g.runs[v] {
			memlimit, hardcap = max(memlimit, r.MemLimit), max(hardcap, r.HardLimit)
			if len(r.Series) > 0 {
				end = max(end, r.Series[len(r.Series)-1].T.Seconds())
			}
			top = max(top, float64(r.PeakRSSBytes))
			for _, s := range r.Series {
				haveBuf = haveBuf || s.Buffered >= 0
			}
			if r.Outcome == results.OOM {
				oom++
			}
		}
		word := "finished"
		if oom > 0 {
			word = fmt.Sprintf("killed in %d of %d runs", oom, len(g.runs[v]))
		}
		alt = append(alt, fmt.Sprintf("%s peaks at %s RSS, %s", v, size.Human(maxPeak(g.runs[v])), word))
	}
	n := 0
	for _, v := range g.order {
		n = max(n, len(g.runs[v]))
	}
	f := &Figure{Name: "memory-" + fileName(g.key), Title: g.workload + ": memory over time", Alt: strings.Join(alt, "; ") + "."}
	subtitle := strings.TrimSpace(strings.TrimPrefix(g.title, g.workload) + fmt.Sprintf("   median of %d runs, band min–max", n))
	f.draw = func(dc draw.Canvas) {
		whiteBackground(dc)
		mem := newPlot(f.Title, "", "memory (MiB)")
		buf := newPlot(subtitle, "time since start (s)", "buffered (MiB)")
		buf.Title.TextStyle.Font = sans(12)
		l := newLegend()
		for i, v := range g.order {
			col := colorFor(v, i)
			runs := g.runs[v]
			if line := addCurve(mem, buildCurve(runs, func(s results.Sample) int64 { return s.RSS }), col, false); line != nil {
				l.Add(v+": RSS (band min–max)", line)
			}
			if line := addCurve(mem, buildCurve(runs, func(s results.Sample) int64 { return s.Heap }), col, true); line != nil {
				l.Add(v+": Go heap", line)
			}
			if line := addCurve(buf, buildCurve(runs, func(s results.Sample) int64 { return s.Buffered }), col, false); line != nil {
				l.Add(v+": buffered (below)", line)
			}
			var kills plotter.XYs
			for _, r := range runs {
				if r.Outcome == results.OOM && r.TimeToOOMSeconds != nil {
					kills = append(kills, plotter.XY{X: *r.TimeToOOMSeconds, Y: float64(r.PeakRSSBytes) / mib})
				}
			}
			if len(kills) > 0 {
				sc, _ := plotter.NewScatter(kills)
				sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(9), Shape: draw.CrossGlyph{}}
				mem.Add(sc)
				thick, _ := plotter.NewScatter(kills)
				thick.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(7), Shape: draw.CrossGlyph{}}
				mem.Add(thick)
				l.Add(fmt.Sprintf("%s: killed at cap ×%d", v, len(kills)), sc)
			}
		}
		// The caps are drawn when the data comes near them; far below,
		// they would flatten every curve, so the legend names them instead.
		near := top >= 0.4*float64(memlimit)
		for _, c := range []struct {
			name   string
			v      int64
			col    color.Color
			dashed bool
		}{{"GOMEMLIMIT", memlimit, colLimit, true}, {"hard cap", hardcap, colCap, false}} {
			switch {
			case c.v <= 0:
			case near:
				l.Add(c.name+" "+size.Format(c.v), hline(mem, float64(c.v), end, c.col, c.dashed))
			default:
				l.Add(fmt.Sprintf("%s %s (far above)", c.name, size.Format(c.v)), capLine(c.col, c.dashed))
			}
		}
		mem.Y.Min, mem.X.Min, buf.Y.Min, buf.X.Min = 0, 0, 0, 0
		mem.Y.Max = top / mib * 1.08
		if near {
			mem.Y.Max = max(mem.Y.Max, float64(hardcap)/mib*1.08)
		}
		mem.X.Max, buf.X.Max = max(end, 1e-3), max(end, 1e-3)
		if !haveBuf {
			buf.Title.Text = subtitle + "   (buffered bytes: not reported by this command)"
			buf.Y.Max = 1
		}
		buf.Y.Max = max(buf.Y.Max, 1e-3)
		legendColumn(dc, l, mem, buf)
	}
	return f
}

func maxPeak(runs []*results.Run) int64 {
	var m int64
	for _, r := range runs {
		m = max(m, r.PeakRSSBytes)
	}
	return m
}

// fileName makes a benchmark key safe as a file name.
func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.', r == '=':
			return r
		}
		return '_'
	}, s)
}
