package chart

import (
	"fmt"
	"math"

	"github.com/bpbench/bpbench/internal/size"
	"github.com/bpbench/bpbench/reports"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Tune draws a highWaterMark sweep: throughput and peak RSS against
// highWaterMark (log2 axis), the budget and the margin, the Pareto front
// and the pick.
func Tune(t *reports.Tuning) *Figure {
	f := &Figure{Name: "tune-" + fileName(t.Workload), Title: fmt.Sprintf("%s: highWaterMark trade-off", t.Workload)}
	f.Alt = t.Recommendation
	f.draw = func(dc draw.Canvas) {
		whiteBackground(dc)
		top := newPlot(f.Title, "", "throughput ("+t.Unit()+")")
		bot := newPlot("", "highWaterMark (log2 scale)", "peak RSS (MiB)")
		l := newLegend()
		var thr, rss, hi, pareto plotter.XYs
		var ticks []plot.Tick
		for _, p := range t.Points {
			x := math.Log2(float64(p.HWM))
			ticks = append(ticks, plot.Tick{Value: x, Label: p.Label})
			if p.OK > 0 {
				thr = append(thr, plotter.XY{X: x, Y: p.Throughput.Median})
			}
			rss = append(rss, plotter.XY{X: x, Y: p.PeakRSS.Median / mib})
			hi = append(hi, plotter.XY{X: x, Y: p.PeakRSS.Max / mib})
			if p.Pareto {
				pareto = append(pareto, plotter.XY{X: x, Y: p.PeakRSS.Median / mib})
			}
		}
		if ln, pts, err := plotter.NewLinePoints(thr); err == nil {
			ln.Color, ln.Width, pts.Color, pts.Shape, pts.Radius = colDrain, vg.Points(2), colDrain, draw.CircleGlyph{}, vg.Points(4)
			top.Add(ln, pts)
			l.Add("throughput (median)", ln, pts)
		}
		if ln, pts, err := plotter.NewLinePoints(rss); err == nil {
			ln.Color, ln.Width, pts.Color, pts.Shape, pts.Radius = colNaive, vg.Points(2), colNaive, draw.CircleGlyph{}, vg.Points(4)
			bot.Add(ln, pts)
			l.Add("peak RSS (median)", ln, pts)
		}
		if ln, err := plotter.NewLine(hi); err == nil {
			ln.Color, ln.Width, ln.Dashes = colNaive, vg.Points(1.2), []vg.Length{vg.Points(4), vg.Points(3)}
			bot.Add(ln)
			l.Add("peak RSS (largest run)", ln)
		}
		if sc, err := plotter.NewScatter(pareto); err == nil && len(pareto) > 0 {
			sc.GlyphStyle = draw.GlyphStyle{Color: colOther, Radius: vg.Points(11), Shape: draw.RingGlyph{}}
			bot.Add(sc)
			l.Add("Pareto front", sc)
		}
		x0, x1 := ticks[0].Value-0.5, ticks[len(ticks)-1].Value+0.5
		budget, _ := plotter.NewLine(plotter.XYs{{X: x0, Y: float64(t.Budget) / mib}, {X: x1, Y: float64(t.Budget) / mib}})
		budget.Color, budget.Width = colCap, vg.Points(1.6)
		limit, _ := plotter.NewLine(plotter.XYs{{X: x0, Y: float64(t.Limit) / mib}, {X: x1, Y: float64(t.Limit) / mib}})
		limit.Color, limit.Width, limit.Dashes = colLimit, vg.Points(1.2), []vg.Length{vg.Points(8), vg.Points(4)}
		bot.Add(budget, limit)
		l.Add("budget "+size.Format(t.Budget), budget)
		l.Add(fmt.Sprintf("budget less %.0f%% margin", t.Margin*100), limit)
		if t.Pick >= 0 {
			p := t.Points[t.Pick]
			x := math.Log2(float64(p.HWM))
			for _, pl := range []struct {
				p *plot.Plot
				y float64
			}{{top, p.Throughput.Median}, {bot, p.PeakRSS.Median / mib}} {
				sc, _ := plotter.NewScatter(plotter.XYs{{X: x, Y: pl.y}})
				sc.GlyphStyle = draw.GlyphStyle{Color: colCap, Radius: vg.Points(6), Shape: draw.BoxGlyph{}}
				pl.p.Add(sc)
				if pl.p == top {
					l.Add("pick: "+p.Label, sc)
				}
			}
		}
		for _, p := range []*plot.Plot{top, bot} {
			p.X.Tick.Marker = plot.ConstantTicks(ticks)
			p.X.Min, p.X.Max = x0, x1
			p.Y.Min = 0
		}
		bot.Y.Max = max(bot.Y.Max, float64(t.Budget)/mib*1.1)
		legendColumn(dc, l, top, bot)
	}
	return f
}
