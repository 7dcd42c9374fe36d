package chart

import (
	"bytes"
	"errors"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/reports"
	"github.com/bpbench/bpbench/reports/internal/reportstest"
	"gonum.org/v1/plot/plotter"
)

// dying makes the pipeline's naive runs die one after another (at 0.3s,
// 0.45s, …), their series ending where they die, the last kill after the
// last sample.
func dying(r *results.Run) {
	if r.Bench != "Pipeline" || r.Variant != "naive" {
		return
	}
	death := 0.3 + 0.15*float64(r.Rep)
	r.TimeToOOMSeconds = reportstest.Ptr(death + 0.01)
	for i, s := range r.Series {
		if s.T.Seconds() > death {
			r.Series = r.Series[:i]
			break
		}
	}
}

// baseHead is a folder measured with --baseline-bin whose head regressed.
func baseHead(reps int) *results.Set {
	set := reportstest.Fixture(reps, results.SideBase, nil)
	set.Runs = append(set.Runs, reportstest.Fixture(reps, results.SideHead, reportstest.Regressed).Runs...)
	return set
}

func TestMemoryFigureGolden(t *testing.T) {
	figs := MemoryFigures(reportstest.Fixture(4, "", dying))
	if len(figs) != 2 {
		t.Fatalf("%d memory figures; want one per workload (2)", len(figs))
	}
	f := figs[1] // Pipeline: naive runs die one after another
	if f.Name != "memory-Pipeline_hwm=64KiB" || !strings.Contains(f.Alt, "naive peaks at 193.0MiB RSS, killed in 4 of 4 runs") {
		t.Errorf("figure %q alt %q", f.Name, f.Alt)
	}
	svg, err := f.SVG()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"GOMEMLIMIT 128MiB", "hard cap 192MiB", "naive: killed ×4", "drain: RSS median", "drain: RSS each run", "drain: Go heap median",
		"buffered (log scale)", "memory (log scale)", "time since start (s)", "written (MiB)", "against work done", "3/4", "≤1KiB", "64KiB", "128MiB"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("memory chart lacks %q", want)
		}
	}
	reportstest.Golden(t, "memory-pipeline.svg", svg)
	// Rendering twice gives the same bytes: goldens are stable.
	again, _ := f.SVG()
	if !bytes.Equal(svg, again) {
		t.Error("SVG rendering is not deterministic")
	}
}

// A folder with base and head draws both on the same axes, base dashed
// and named in the legend.
func TestMemoryFigureBaseHeadGolden(t *testing.T) {
	figs := MemoryFigures(baseHead(3))
	if len(figs) != 2 {
		t.Fatalf("%d memory figures; want one per workload (2), each with both sides", len(figs))
	}
	svg, err := figs[0].SVG()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"drain base: RSS median", "drain head: RSS median", "naive base: RSS each run", "naive head: Go heap median"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("base/head chart lacks %q", want)
		}
	}
	if !strings.Contains(figs[0].Alt, "drain base peaks at") || !strings.Contains(figs[0].Alt, "drain head peaks at") {
		t.Errorf("alt text %q does not name both sides", figs[0].Alt)
	}
	reportstest.Golden(t, "memory-basehead.svg", svg)
	// The same with the base given apart (bpbench report --baseline).
	base, head, _ := splitSides(baseHead(3))
	apart, _ := CompareMemoryFigures(base, head)[0].SVG()
	if !bytes.Equal(apart, svg) {
		t.Error("CompareMemoryFigures(base, head) draws differently from the folder with both sides")
	}
}

var crossPath = regexp.MustCompile(`<path d="M[^"]*L[^"]*M[^"]*L[^"]*" style="[^"]*stroke-width:2\.75"`)

// Every run killed out of memory has its cross in each memory panel,
// however its death lines up with the samples.
func TestEveryKillIsMarked(t *testing.T) {
	late := func(r *results.Run) { // killed after its last sample, past the axis's end
		dying(r)
		if r.TimeToOOMSeconds != nil {
			*r.TimeToOOMSeconds += 2
		}
	}
	for name, set := range map[string]*results.Set{
		"all die together":      reportstest.Fixture(5, "", nil),
		"one by one":            reportstest.Fixture(5, "", dying),
		"after the last sample": reportstest.Fixture(3, "", late),
		"base and head":         baseHead(5),
	} {
		for _, f := range MemoryFigures(set) {
			kills := 0
			for _, r := range set.Runs {
				if r.Outcome == results.OOM && "memory-"+fileName(r.Bench+"/hwm=64KiB") == f.Name {
					kills++
				}
			}
			svg, err := f.SVG()
			if err != nil {
				t.Fatal(err)
			}
			const panels = 2 // against time and against bytes written
			if got := len(crossPath.FindAll(svg, -1)); got != panels*kills {
				t.Errorf("%s, %s: %d crosses drawn; want %d (%d kills in the data, in each of %d panels)", name, f.Name, got, panels*kills, kills, panels)
			}
		}
	}
}

// Node's heap is V8's, not Go's.
func TestNodeHeapName(t *testing.T) {
	set := reportstest.Fixture(2, "", func(r *results.Run) {
		r.Workload, r.Argv = "node/ignore-backpressure", []string{"/usr/bin/node", "x.js"}
	})
	svg, _ := MemoryFigures(set)[0].SVG()
	if !bytes.Contains(svg, []byte("V8 heap median")) || bytes.Contains(svg, []byte("Go heap")) {
		t.Error("a Node chart does not call its heap V8's")
	}
	if !isNode(&results.Run{Argv: []string{"node", "a.js"}}) || isNode(&results.Run{Argv: []string{"/bin/nodes"}}) ||
		!isNode(&results.Run{Argv: []string{"/usr/bin/sh", "-c", "node --max-old-space-size=64 server.js"}}) || isNode(&results.Run{Argv: []string{"/bin/sh", "-c", "./server node"}}) {
		t.Error("isNode")
	}
}

// Ticks are in the unit that fits: 16KiB of buffered bytes is labelled in
// KiB, not 0.0156MiB.
func TestLogTicks(t *testing.T) {
	p := newPlot("", "", "")
	log2Axis(&p.Y, bufFloor, 16<<10, "≤")
	var labels []string
	for _, tk := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got := strings.Join(labels, " "); got != "≤1KiB 2KiB 4KiB 8KiB 16KiB" {
		t.Errorf("ticks %q", got)
	}
	log2Axis(&p.Y, 1<<20, 200<<20, "")
	for _, tk := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
		if strings.Contains(tk.Label, ".") {
			t.Errorf("tick %q is a fraction of a unit", tk.Label)
		}
	}
}

func TestFiguresRenderPNGForASlide(t *testing.T) {
	set := reportstest.Fixture(3, "", nil)
	figs := append(MemoryFigures(set), SummaryFigures(set, reportstest.Fixture(3, "", nil))...)
	for _, f := range figs {
		var buf bytes.Buffer
		if err := f.Render(&buf, PNG); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		img, err := png.Decode(&buf)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if b := img.Bounds(); b.Dx() != 1152 || b.Dy() != 648 {
			t.Errorf("%s is %dx%d; want 1152x648 (16:9 at 96 dpi)", f.Name, b.Dx(), b.Dy())
		}
		if f.Alt == "" || f.Title == "" {
			t.Errorf("%s has no title or alt text", f.Name)
		}
	}
	if err := figs[0].Render(&bytes.Buffer{}, "gif"); err == nil {
		t.Error("gif accepted")
	}
}

func TestSummaryFiguresShowBaselineAndCap(t *testing.T) {
	figs := SummaryFigures(reportstest.Fixture(3, "", nil), reportstest.Fixture(3, "", nil))
	names := []string{}
	for _, f := range figs {
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != "peak-rss,time-to-oom,throughput" {
		t.Fatalf("summary figures %v", names)
	}
	svg, _ := figs[0].SVG()
	for _, want := range []string{"baseline drain", "baseline naive", "hard cap 192MiB", "linewriter", "pipeline"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("peak RSS chart lacks %q", want)
		}
	}
	svg, _ = figs[2].SVG()
	if !bytes.Contains(svg, []byte("MiB written per second")) {
		t.Error("throughput is not in MiB/s although the runs report bytes written")
	}
}

// The median takes the runs still running, only while at least half run,
// and breaks where one ends instead of drawing a drop.
func TestBuildCurve(t *testing.T) {
	mk := func(vals ...float64) []pt {
		var out []pt
		for i, v := range vals {
			out = append(out, pt{float64(i + 1), v})
		}
		return out
	}
	c := buildCurve([][]pt{mk(10, 20, 30, 40), mk(20, 40), mk(30, 60, 90, 120)}, 3)
	if len(c.segs) != 2 || c.running[0] != 3 || c.running[1] != 2 {
		t.Fatalf("segments running %v; want 3 then 2 (the second run ends at x=2)", c.running)
	}
	at := func(seg plotter.XYs, x float64) float64 {
		for _, p := range seg {
			if math.Abs(p.X-x) < 1e-9 {
				return p.Y
			}
		}
		t.Fatalf("no point at x=%g", x)
		return 0
	}
	if m := at(c.segs[0], 2); m != 40 {
		t.Errorf("x=2: median %v; want 40 of 20,40,60", m)
	}
	if m := at(c.segs[1], 4); m != 80 {
		t.Errorf("x=4: median %v; want 80 of 40,120", m)
	}
	if c.segs[0][len(c.segs[0])-1].X != 2 || c.segs[1][0].X <= 2 {
		t.Errorf("the segments touch: %v … %v", c.segs[0][len(c.segs[0])-1], c.segs[1][0])
	}
	// Of four runs, one left: no median once fewer than half run.
	c = buildCurve([][]pt{mk(1, 1), mk(1, 1), mk(1, 1), mk(1, 1, 1, 1)}, 4)
	for _, seg := range c.segs {
		if seg[len(seg)-1].X > 2 {
			t.Errorf("a median at x=%v, where one run of four runs", seg[len(seg)-1].X)
		}
	}
}

// The tune chart of a sweep that fits the budget.
func TestTuneGolden(t *testing.T) {
	tn, err := reports.Tune(reportstest.TuneFixture(6), reports.TuneOptions{Budget: 16 << 20, Margin: 0.10})
	if err != nil {
		t.Fatal(err)
	}
	svg, err := Tune(tn).SVG()
	if err != nil {
		t.Fatal(err)
	}
	reportstest.Golden(t, "tune.svg", svg)
}

// WriteFiles writes every chart whole, replaces a symbolic link instead of
// writing through it, and leaves no temporary file.
func TestWriteFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "plots")
	figs := MemoryFigures(reportstest.Fixture(2, "", nil))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, figs[0].Name+"."+SVG)); err != nil {
		t.Fatal(err)
	}
	files, err := WriteFiles(dir, figs, SVG)
	if err != nil || len(files) != len(figs) {
		t.Fatalf("WriteFiles = %v, %v", files, err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("WriteFiles wrote through a symbolic link: %q", b)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		if !e.Type().IsRegular() {
			t.Errorf("%s is not a regular file", e.Name())
		}
	}
	if len(names) != len(figs) {
		t.Errorf("plots/ holds %v; want the %d charts and nothing else", names, len(figs))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil || !bytes.HasPrefix(b, []byte("<?xml")) {
			t.Errorf("%s: %v, %.20q", f, err, b)
		}
	}
	if _, err := WriteFiles(dir, figs, "gif"); !errors.As(err, new(*FormatError)) {
		t.Errorf("gif: %v; want a FormatError", err)
	}
}

// longRunning makes the line writer's runs a server measured with run
// --duration 30s: ready at 0.5s, stopped at 30.5s, sampled every 250ms;
// drain holds its memory flat, naive buffers 1MiB a second more.
func longRunning(r *results.Run) {
	r.DurationSeconds, r.ReadySeconds, r.StoppedSeconds = 30, reportstest.Ptr(0.5), reportstest.Ptr(30.5)
	r.Outcome, r.TimeToOOMSeconds = results.OK, nil
	r.Series = r.Series[:0]
	for i := 0; i <= 124; i++ {
		s := results.NoSample()
		s.T = time.Duration(i) * 250 * time.Millisecond
		wig := int64((i*13+r.Rep*5)%7) * (96 << 10)
		s.RSS, s.Heap, s.Buffered = 40<<20+wig, 6<<20+wig/2, int64((i*31)%64)<<10
		if r.Variant == "naive" {
			s.Buffered = int64(i) << 18
			s.RSS += s.Buffered
		}
		s.Written = int64(i) << 20
		r.Series = append(r.Series, s)
	}
	r.PeakRSSBytes = r.Series[len(r.Series)-1].RSS
}

// fitLine matches the path of a fitted line (stroke-width 2, dash-dotted
// 9 3 2 3) in an SVG.
var fitLine = regexp.MustCompile(`<path d="M[^"]*"[^>]*stroke-width:2;stroke-dasharray:9,3,2,3`)

// A long-running run's memory figure draws the flatness verdict: the line
// fitted through each figure judged, over the steady window, with its
// slope in MiB per minute in the legend; a run without --duration has
// none.
func TestMemoryFigureDrawsFlatnessVerdict(t *testing.T) {
	figs := MemoryFigures(reportstest.Fixture(2, "", longRunning))
	f := figs[0] // LineWriter
	svg, err := f.SVG()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"naive: buffered fit median +60.0 MiB/min, grew 2/2",
		"naive: RSS fit median +60.0 MiB/min, grew 2/2",
		"drain: RSS fit median +0.0 MiB/min, flat",
		"drain: buffered fit median",
	} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("long-running memory chart lacks %q", want)
		}
		if !strings.Contains(f.Alt, strings.TrimPrefix(strings.TrimPrefix(want, "naive: "), "drain: ")) {
			t.Errorf("alt text %q lacks %q", f.Alt, want)
		}
	}
	// 2 variants × 2 runs × (buffered, heap after GC, RSS), plus one
	// legend thumbnail per variant and figure.
	if got := len(fitLine.FindAll(svg, -1)); got != 2*2*3+2*3 {
		t.Errorf("%d fitted lines drawn; want %d", got, 2*2*3+2*3)
	}
	reportstest.Golden(t, "memory-duration.svg", svg)

	for _, f := range MemoryFigures(reportstest.Fixture(2, "", nil)) {
		svg, _ := f.SVG()
		if n := len(fitLine.FindAll(svg, -1)); n > 0 || bytes.Contains(svg, []byte(" fit ")) {
			t.Errorf("%s: %d fitted lines in a figure of runs without --duration", f.Name, n)
		}
	}
}
