package chart

import (
	"fmt"
	"image/color"
	"strings"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/internal/size"
	"github.com/bpbench/bpbench/reports"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// MemoryFigures draws, per workload and parameters, RSS and Go heap against
// time for each variant (median of the runs with a min-max band), the
// GOMEMLIMIT and hard-cap lines, a cross where a run was killed, and the
// streams' buffered bytes in a panel below on the same time axis.
func MemoryFigures(set *results.Set) []*Figure {
	var figs []*Figure
	for _, g := range reports.GroupRuns(set) {
		figs = append(figs, memoryFigure(g))
	}
	return figs
}

func memoryFigure(g *reports.Group) *Figure {
	var memlimit, hardcap int64
	end, top := 0.0, 0.0
	haveBuf := false
	var alt []string
	for _, v := range g.Variants {
		oom := 0
		for _, r := range g.Runs[v] {
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
			word = fmt.Sprintf("killed in %d of %d runs", oom, len(g.Runs[v]))
		}
		alt = append(alt, fmt.Sprintf("%s peaks at %s RSS, %s", v, size.Human(g.PeakRSS(v)), word))
	}
	n := 0
	for _, v := range g.Variants {
		n = max(n, len(g.Runs[v]))
	}
	f := &Figure{Name: "memory-" + fileName(g.Key), Title: g.Workload + ": memory over time", Alt: strings.Join(alt, "; ") + "."}
	subtitle := strings.TrimSpace(strings.TrimPrefix(g.Title, g.Workload) + fmt.Sprintf("   median of %d runs, band min–max", n))
	f.draw = func(dc draw.Canvas) {
		whiteBackground(dc)
		mem := newPlot(f.Title, "", "memory (MiB)")
		buf := newPlot(subtitle, "time since start (s)", "buffered (MiB)")
		buf.Title.TextStyle.Font = sans(12)
		l := newLegend()
		for i, v := range g.Variants {
			col := colorFor(v, i)
			runs := g.Runs[v]
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
