package chart

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"strings"

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
		f.draw(draw.New(printable{c}))
		_, err := c.WriteTo(w)
		return err
	case PNG:
		c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(FigWidth, FigHeight), vgimg.UseDPI(pngDPI))}
		f.draw(draw.New(printable{c}))
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

// hline draws a horizontal reference line at y bytes across [0, x1].
func hline(p *plot.Plot, y, x1 float64, col color.Color, dashed bool) *plotter.Line {
	l := capLine(col, dashed)
	l.XYs = plotter.XYs{{X: 0, Y: y}, {X: x1, Y: y}}
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
