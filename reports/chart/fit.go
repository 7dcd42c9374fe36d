package chart

import (
	"fmt"
	"image/color"
	"math"

	"github.com/bpbench/bpbench/reports"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// fitPoints is how many points draw a fitted line: straight in bytes, it
// is a curve on a log axis.
const fitPoints = 48

// fitted is one figure of the flatness verdict over a series' long-running
// runs: the line fitted through it in each run.
type fitted struct {
	figure string        // reports.FigBuffered, FigHeap or FigRSS
	lines  []plotter.XYs // one per run, over its steady window, against time
	slopes []float64     // bytes per second, one per run
	grew   int           // runs in which the figure grew
	style  plotter.Line  // the series' colour, dash-dotted
}

// fitsOf is, for each of s's long-running runs (run --duration), the line
// the flatness verdict (reports.Growth.FitGrowth) fitted through each
// figure it judged, over the run's steady window: in the verdict's order,
// buffered bytes, heap after GC, RSS. Other runs have none.
func fitsOf(s *memSeries) []*fitted {
	g := reports.DefaultGrowth()
	by := map[string]*fitted{}
	for _, r := range s.runs {
		if r.DurationSeconds <= 0 {
			continue
		}
		rg, ok := g.FitGrowth(r)
		if !ok {
			continue
		}
		from, to := rg.Start.Seconds(), (rg.Start + rg.Window).Seconds()
		for _, t := range rg.Trends {
			floor := 1.0
			if t.Figure == reports.FigBuffered {
				floor = bufFloor
			}
			xys := make(plotter.XYs, fitPoints)
			for i := range xys {
				x := from + (to-from)*float64(i)/(fitPoints-1)
				xys[i] = plotter.XY{X: x, Y: math.Max(t.Intercept+t.Slope*x, floor)}
			}
			f := by[t.Figure]
			if f == nil {
				f = &fitted{figure: t.Figure}
				f.style.Color, f.style.Width = darken(s.col), vg.Points(2)
				f.style.Dashes = []vg.Length{vg.Points(9), vg.Points(3), vg.Points(2), vg.Points(3)}
				by[t.Figure] = f
			}
			f.lines = append(f.lines, xys)
			f.slopes = append(f.slopes, t.Slope)
			if t.Grew {
				f.grew++
			}
		}
	}
	var out []*fitted
	for _, fig := range []string{reports.FigBuffered, reports.FigHeap, reports.FigRSS} {
		if f := by[fig]; f != nil {
			out = append(out, f)
		}
	}
	return out
}

// draw adds f's lines to mem (RSS, heap after GC) or buf (buffered bytes).
func (f *fitted) draw(mem, buf *plot.Plot) {
	p := mem
	if f.figure == reports.FigBuffered {
		p = buf
	}
	for _, xys := range f.lines {
		l := f.style
		l.XYs = xys
		p.Add(&l)
	}
}

// text is f as the legend and the alt text say it: the fitted slope in MiB
// per minute (the median of the runs' with several) and whether the figure
// grew, e.g. "buffered fit +191.6 MiB/min, grew 2/2".
func (f *fitted) text() string {
	name := f.figure
	if name == reports.FigBuffered {
		name = "buffered"
	}
	slope := perMinute(f.slopes[0])
	if len(f.slopes) > 1 {
		slope = "median " + perMinute(medianOf(append([]float64(nil), f.slopes...)))
	}
	verdict := "flat"
	switch {
	case f.grew > 0 && len(f.slopes) > 1:
		verdict = fmt.Sprintf("grew %d/%d", f.grew, len(f.slopes))
	case f.grew > 0:
		verdict = "grew"
	}
	return fmt.Sprintf("%s fit %s, %s", name, slope, verdict)
}

// perMinute is a slope in bytes per second as MiB per minute, to a tenth,
// signed; a slope that rounds to zero is "+0.0", never "-0.0".
func perMinute(bytesPerSecond float64) string {
	v := math.Round(reports.PerMinute(bytesPerSecond)*10) / 10
	if v == 0 {
		v = 0 // -0 prints as "-0.0"
	}
	return fmt.Sprintf("%+.1f MiB/min", v)
}

// darken mixes c half with black: a fitted line stands out on its data.
func darken(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	mix := func(v uint32) uint8 { return uint8(v >> 9) }
	return color.NRGBA{mix(r), mix(g), mix(b), 255}
}
