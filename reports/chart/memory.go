package chart

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/internal/size"
	"github.com/bpbench/bpbench/reports"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// MemoryFigures draws one figure per workload and parameters. A folder
// measured with --baseline-bin draws its base and head sides on the same
// axes (see CompareMemoryFigures); any other folder, its variants.
func MemoryFigures(set *results.Set) []*Figure {
	if base, head, ok := splitSides(set); ok {
		return CompareMemoryFigures(base, head)
	}
	return CompareMemoryFigures(nil, set)
}

// CompareMemoryFigures draws, per workload and parameters of head, memory
// against time and against bytes written (when the runs report them),
// and the streams' buffered bytes below each, with:
//
//   - every run as a thin line, ending where the run ended;
//   - the median of the runs still running, only where at least half of
//     them run, broken (never joined by a drop) where a run ends, with the
//     count of runs still running written where it changes;
//   - a cross for every run killed out of memory, where it died;
//   - the heap's median (Go's or V8's, as the runtime is), and the
//     GOMEMLIMIT and hard cap;
//   - base's runs (nil for none) on the same axes, dashed and lighter;
//   - for a long-running run (run --duration), against time, the flatness
//     verdict: the line fitted through each figure it judged (RSS, heap
//     after GC, buffered bytes) over the run's steady window, dash-dotted,
//     with its slope in MiB per minute and whether it grew in the legend.
//
// Memory and buffered bytes are on log axes (powers of 2), so a drain-aware
// variant at a few MiB stays readable beside a naive one at the cap, and a
// base and head that differ by 30% differ by the same height at any size.
func CompareMemoryFigures(base, head *results.Set) []*Figure {
	var bg map[string]*reports.Group
	if base != nil {
		bg = map[string]*reports.Group{}
		for _, g := range reports.GroupRuns(base) {
			bg[g.Key] = g
		}
	}
	var figs []*Figure
	for _, g := range reports.GroupRuns(head) {
		var ss []*memSeries
		for i, v := range g.Variants {
			col := colorFor(v, i)
			if b := bg[g.Key]; b != nil && len(b.Runs[v]) > 0 {
				ss = append(ss, newMemSeries(v, results.SideBase, b.Runs[v], col, true))
			}
			side := ""
			if bg != nil {
				side = results.SideHead
			}
			ss = append(ss, newMemSeries(v, side, g.Runs[v], col, false))
		}
		figs = append(figs, memoryFigure(g, ss))
	}
	return figs
}

// splitSides splits a folder measured with --baseline-bin into its sides.
func splitSides(set *results.Set) (base, head *results.Set, ok bool) {
	base, head = &results.Set{}, &results.Set{}
	for _, r := range set.Runs {
		switch r.Side {
		case results.SideBase:
			base.Runs = append(base.Runs, r)
		case results.SideHead:
			head.Runs = append(head.Runs, r)
		}
	}
	return base, head, len(base.Runs) > 0 && len(head.Runs) > 0
}

// memSeries is one variant of one side: the runs one colour and dash draw.
type memSeries struct {
	variant, side string
	runs          []*results.Run
	col           color.Color
	base          bool   // the baseline: dashed and lighter
	heap          string // "Go heap" or "V8 heap"
}

func newMemSeries(variant, side string, runs []*results.Run, col color.Color, base bool) *memSeries {
	s := &memSeries{variant: variant, side: side, runs: runs, col: col, base: base, heap: "Go heap"}
	if base {
		s.col = lighten(col)
	}
	for _, r := range runs {
		if isNode(r) {
			s.heap = "V8 heap"
		}
	}
	return s
}

func (s *memSeries) name() string { return strings.TrimSpace(s.variant + " " + s.side) }

// isNode reports whether the run is a Node program: a node/… workload, or
// a command whose program is node, itself or as the first word a shell
// runs (run --cmd 'node server.js' is sh -c 'node server.js').
func isNode(r *results.Run) bool {
	if strings.HasPrefix(r.Workload, "node/") {
		return true
	}
	if len(r.Argv) == 0 {
		return false
	}
	prog := func(s string) string { return s[strings.LastIndexAny(s, `/\`)+1:] }
	p := prog(r.Argv[0])
	if (p == "sh" || p == "bash" || p == "dash") && len(r.Argv) > 2 && r.Argv[1] == "-c" {
		if words := strings.Fields(r.Argv[2]); len(words) > 0 {
			p = prog(words[0])
		}
	}
	return p == "node" || p == "node.exe"
}

// Axes of a memory figure: what x a sample has.
var (
	byTime    = func(s results.Sample) float64 { return s.T.Seconds() }
	byWritten = func(s results.Sample) float64 { return float64(s.Written) }
)

// bufFloor is the bottom of the buffered panels' log axis: fewer buffered
// bytes (an empty buffer included) are drawn at it.
const bufFloor = 1 << 10

func memoryFigure(g *reports.Group, ss []*memSeries) *Figure {
	var memlimit, hardcap int64
	haveBuf, haveWritten := false, true
	n := 0
	var alt []string
	fits := make([][]*fitted, len(ss))
	var textW vg.Length // the widest fit's legend text
	for i, s := range ss {
		fits[i] = fitsOf(s)
		for _, f := range fits[i] {
			textW = max(textW, newLegend().TextStyle.Width(s.name()+": "+f.text()))
		}
		n = max(n, len(s.runs))
		oom := 0
		var peak int64
		for _, r := range s.runs {
			memlimit, hardcap = max(memlimit, r.MemLimit), max(hardcap, r.HardLimit)
			peak = max(peak, r.PeakRSSBytes)
			written := false
			for _, x := range r.Series {
				haveBuf = haveBuf || x.Buffered >= 0
				written = written || x.Written > 0
			}
			haveWritten = haveWritten && written
			if r.Outcome == results.OOM {
				oom++
			}
		}
		word := "finished"
		if oom > 0 {
			word = fmt.Sprintf("killed in %d of %d runs", oom, len(s.runs))
		}
		for _, f := range fits[i] {
			word += ", " + f.text()
		}
		alt = append(alt, fmt.Sprintf("%s peaks at %s RSS, %s", s.name(), size.Human(peak), word))
	}
	f := &Figure{Name: "memory-" + fileName(g.Key), Title: g.Workload + ": memory", Alt: strings.Join(alt, "; ") + "."}
	params := strings.TrimSpace(strings.TrimPrefix(g.Title, g.Workload))
	f.draw = func(dc draw.Canvas) {
		whiteBackground(dc)
		l := newLegend()
		xs := []func(results.Sample) float64{byTime}
		if haveWritten {
			xs = append(xs, byWritten)
		}
		grid := [][]*plot.Plot{make([]*plot.Plot, len(xs)), make([]*plot.Plot, len(xs))}
		// The y ranges are shared along each row.
		memLo, memHi := math.Inf(1), float64(max(memlimit, hardcap))
		bufHi := float64(bufFloor)
		for col, x := range xs {
			unit, div := "s", 1.0
			xlabel := "time since start (s)"
			if col == 1 {
				unit, div = fitUnit(maxWritten(ss))
				xlabel = "written (" + unit + ")"
			}
			title := "against time"
			if col == 1 {
				title = "against work done"
			}
			mem := newPlot(title, "", "memory (log scale)")
			mem.Title.TextStyle.Font = sans(14)
			buf := newPlot("", xlabel, "buffered (log scale)")
			grid[0][col], grid[1][col] = mem, buf
			xEnd := 0.0
			for i, s := range ss {
				first := col == 0 // the legend names each thing once
				m := addRuns(mem, s, x, func(v results.Sample) float64 { return float64(v.RSS) }, div, 0, true)
				if m.end > xEnd {
					xEnd = m.end
				}
				memLo, memHi = min(memLo, m.lo), max(memHi, m.hi)
				if first {
					l.Add(s.name()+": RSS median", m.median)
					l.Add(s.name()+": RSS each run", m.run)
				}
				if h := addMedian(mem, s, x, func(v results.Sample) float64 { return float64(v.Heap) }, div, 0, heapStyle(s)); h.median != nil {
					memLo = min(memLo, h.lo)
					if first {
						l.Add(s.name()+": "+s.heap+" median", h.median)
					}
				}
				b := addRuns(buf, s, x, func(v results.Sample) float64 { return float64(v.Buffered) }, div, bufFloor, false)
				bufHi = max(bufHi, b.hi)
				if k := addKills(mem, s, col == 1, div); k != nil {
					xEnd = max(xEnd, k.xMax)
					if first {
						l.Add(fmt.Sprintf("%s: killed ×%d", s.name(), len(k.pts)), k)
					}
				}
				for _, f := range fits[i] {
					if col == 0 { // fitted against time
						f.draw(mem, buf)
						l.Add(s.name()+": "+f.text(), &f.style)
					}
				}
			}
			for _, c := range []struct {
				name   string
				v      int64
				col    color.Color
				dashed bool
			}{{"GOMEMLIMIT", memlimit, colLimit, true}, {"hard cap", hardcap, colCap, false}} {
				if c.v > 0 {
					line := hline(mem, float64(c.v), xEnd*1.03, c.col, c.dashed)
					if col == 0 {
						l.Add(c.name+" "+size.Format(c.v), line)
					}
				}
			}
			for _, p := range []*plot.Plot{mem, buf} {
				p.X.Min, p.X.Max = 0, max(xEnd*1.03, 1e-3)
			}
		}
		if math.IsInf(memLo, 1) {
			memLo = 1 << 20
		}
		for col := range xs {
			log2Axis(&grid[0][col].Y, memLo, memHi*1.08, "")
			log2Axis(&grid[1][col].Y, bufFloor, bufHi*1.08, "≤")
			if !haveBuf {
				grid[1][col].Title.Text = "(buffered bytes: not reported by this command)"
			}
		}
		sub := strings.TrimSpace(fmt.Sprintf("%s   %d runs each; thin: each run; thick: median of the runs still running, drawn while at least half run (k/n where runs end); ×: a kill", params, n))
		legendGrid(header(dc, f.Title, sub), l, grid, textW)
	}
	return f
}

// fitUnit picks the size unit that suits values up to top bytes.
func fitUnit(top float64) (string, float64) {
	switch {
	case top >= 2<<30:
		return "GiB", 1 << 30
	case top >= 2<<20:
		return "MiB", 1 << 20
	case top >= 2<<10:
		return "KiB", 1 << 10
	}
	return "B", 1
}

func maxWritten(ss []*memSeries) float64 {
	m := 0.0
	for _, s := range ss {
		for _, r := range s.runs {
			for _, x := range r.Series {
				m = max(m, float64(x.Written))
			}
		}
	}
	return m
}

// log2Axis makes a a log axis over [lo, hi] bytes with ticks at powers of
// 2 labelled in the unit that fits each (512KiB, 1MiB, 2MiB…); the bottom
// tick is prefixed with floor ("≤") when values below it are drawn at it.
func log2Axis(a *plot.Axis, lo, hi float64, floor string) {
	lo = math.Exp2(math.Floor(math.Log2(max(lo, 1))))
	hi = max(hi, lo*2)
	a.Scale = plot.LogScale{}
	a.Min, a.Max = lo, hi
	e0, e1 := int(math.Log2(lo)), int(math.Ceil(math.Log2(hi)))
	step := 1
	for (e1-e0)/step > 8 {
		step++
	}
	var ticks []plot.Tick
	for e := e0; e <= e1; e++ {
		v := math.Exp2(float64(e))
		if v > hi {
			break
		}
		t := plot.Tick{Value: v}
		if (e-e0)%step == 0 {
			t.Label = size.Format(int64(v))
			if e == e0 {
				t.Label = floor + t.Label
			}
		}
		ticks = append(ticks, t)
	}
	a.Tick.Marker = plot.ConstantTicks(ticks)
}
