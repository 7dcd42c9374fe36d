package chart

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"slices"
	"strings"

	"github.com/bpbench/bpbench/internal/results"
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

// Chart formats, as --format names them and as file name extensions.
const (
	SVG = "svg"
	PNG = "png"
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
	case SVG:
		c := vgsvg.NewWith(vgsvg.UseWH(FigWidth, FigHeight))
		f.draw(draw.New(c))
		_, err := c.WriteTo(w)
		return err
	case PNG:
		c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(FigWidth, FigHeight), vgimg.UseDPI(pngDPI))}
		f.draw(draw.New(c))
		_, err := c.WriteTo(w)
		return err
	}
	return &FormatError{Format: format}
}

// FormatError is Render's error for a format other than svg and png.
type FormatError struct{ Format string }

func (e *FormatError) Error() string { return fmt.Sprintf("--format %q: choose svg or png", e.Format) }

// SVG returns the figure as an SVG document.
func (f *Figure) SVG() ([]byte, error) {
	var buf bytes.Buffer
	err := f.Render(&buf, SVG)
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
