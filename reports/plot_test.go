package reports

import (
	"bytes"
	"fmt"
	"image/png"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bpbench/bpbench/internal/results"
)

func TestMemoryFigureGolden(t *testing.T) {
	figs := MemoryFigures(fixture(4, "", nil))
	if len(figs) != 2 {
		t.Fatalf("%d memory figures; want one per workload (2)", len(figs))
	}
	f := figs[1] // Pipeline: naive killed at the cap
	if f.Name != "memory-Pipeline_hwm=64KiB" || !strings.Contains(f.Alt, "naive peaks at 193.0MiB RSS, killed in 4 of 4 runs") {
		t.Errorf("figure %q alt %q", f.Name, f.Alt)
	}
	svg, err := f.SVG()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"GOMEMLIMIT 128MiB", "hard cap 192MiB", "naive: killed at cap ×4", "drain: RSS (band min–max)", "buffered (MiB)", "time since start (s)", "memory (MiB)"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("memory chart lacks %q", want)
		}
	}
	golden(t, "memory-pipeline.svg", svg)
	// Rendering twice gives the same bytes: goldens are stable.
	again, _ := f.SVG()
	if !bytes.Equal(svg, again) {
		t.Error("SVG rendering is not deterministic")
	}
}

func TestFiguresRenderPNGForASlide(t *testing.T) {
	set := fixture(3, "", nil)
	figs := append(MemoryFigures(set), SummaryFigures(set, fixture(3, "", nil))...)
	for _, f := range figs {
		var buf bytes.Buffer
		if err := f.Render(&buf, ChartPNG); err != nil {
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
	figs := SummaryFigures(fixture(3, "", nil), fixture(3, "", nil))
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

// The median curve with its band: each instant takes the runs still running.
func TestBuildCurve(t *testing.T) {
	mk := func(vals ...int64) *results.Run {
		r := &results.Run{}
		for i, v := range vals {
			s := results.NoSample
			s.T, s.RSS = time.Duration(i+1)*time.Second, v
			r.Series = append(r.Series, s)
		}
		return r
	}
	c := buildCurve([]*results.Run{mk(10, 20, 30), mk(20, 40), mk(30, 60, 90)}, func(s results.Sample) int64 { return s.RSS })
	at := func(x float64) (med, lo, hi float64) {
		for i, tt := range c.t {
			if math.Abs(tt-x) < 1e-9 {
				return c.med[i], c.lo[i], c.hi[i]
			}
		}
		t.Fatalf("no point at t=%g", x)
		return
	}
	if med, lo, hi := at(2); med != 40 || lo != 20 || hi != 60 {
		t.Errorf("t=2: %v %v %v; want median 40 of 20,40,60", med, lo, hi)
	}
	if med, lo, hi := at(3); med != 30 || lo != 30 || hi != 90 {
		t.Errorf("t=3: %v %v %v; the second run has ended", med, lo, hi)
	}
}

var svgElem = regexp.MustCompile(`(?s)<svg .*?</svg>`)

func TestReportGolden(t *testing.T) {
	in := load(t, fixture(4, "", nil), "fixture")
	r, err := BuildReport(in, ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var html, md bytes.Buffer
	if err := r.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	h := html.String()
	if n := strings.Count(h, "<svg "); n != 5 {
		t.Errorf("report.html inlines %d charts; want 5 (2 memory, 3 summary)", n)
	}
	for _, bad := range []string{"http://", "https://", "<script", "<link", "<img"} {
		if strings.Contains(svgElem.ReplaceAllString(h, ""), bad) {
			t.Errorf("report.html has %q: it must work offline as one file", bad)
		}
	}
	golden(t, "report.html", svgElem.ReplaceAll(html.Bytes(), []byte("<svg/>")))
	golden(t, "report.md", md.Bytes())
	if !strings.Contains(md.String(), "- pipeline  hwm=64KiB: drain peaks at 10.4MiB, flat; naive peaks at 193.0MiB and is killed at the cap in 4 of 4 runs after 515ms.") {
		t.Errorf("report.md does not say at a glance what happened:\n%s", md.String())
	}
}

func TestReportVerdictFirst(t *testing.T) {
	base := load(t, fixture(6, "", nil), "old")
	head := load(t, fixture(6, "", regressed), "new")
	r, err := BuildReport(head, ReportOptions{Baseline: base})
	if err != nil {
		t.Fatal(err)
	}
	var html bytes.Buffer
	r.WriteHTML(&html)
	h := html.String()
	v, s := strings.Index(h, "REGRESSION: 5 findings"), strings.Index(h, "<h2>Summary")
	if v < 0 || s < 0 || v > s {
		t.Errorf("the verdict (at %d) does not come before the summary (at %d)", v, s)
	}
	if !strings.Contains(h, "baseline drain") {
		t.Error("the peak RSS chart has no baseline bars")
	}
	if _, err := BuildReport(&Input{Label: "x.txt", Results: head.Results}, ReportOptions{}); err == nil {
		t.Error("a report of a results file (no runs) was accepted")
	}
}

// tuneFixture is a sweep: a bigger highWaterMark is faster (up to a point)
// and uses more memory; drain waits fall as it grows.
func tuneFixture(reps int) *results.Set {
	set := &results.Set{}
	for i, h := range []string{"1KiB", "4KiB", "16KiB", "64KiB", "256KiB", "1MiB"} {
		for rep := 0; rep < reps; rep++ {
			r := results.Run{Index: len(set.Runs), ID: fmt.Sprintf("h%d-%d", i, rep), Name: "BenchmarkW/variant=drain/hwm=" + h,
				Bench: "W", Workload: "w", Variant: "drain", Outcome: results.OK, Params: []results.Param{{Key: "hwm", Value: h}}}
			jitter := float64(rep%3) / 100
			r.WallSeconds = (1 + jitter) * []float64{4, 2, 1.2, 1, 0.95, 0.95}[i]
			r.PeakRSSBytes = int64((1 + jitter) * float64(8<<20+int64(1)<<(10+2*i)*3))
			s := results.NoSample
			s.T, s.Written, s.Drains = time.Second, 100<<20, int64(100<<20)>>(10+2*i)
			r.Series = []results.Sample{s}
			set.Runs = append(set.Runs, r)
		}
	}
	return set
}

func TestTuneRecommendsWithinBudget(t *testing.T) {
	tn, err := Tune(tuneFixture(6), TuneOptions{Budget: 16 << 20, Margin: 0.10})
	if err != nil {
		t.Fatal(err)
	}
	if tn.Pick < 0 || tn.Points[tn.Pick].Label != "256KiB" {
		t.Fatalf("pick %d; want 256KiB (the fastest; 1MiB is no faster and bigger)\n%s", tn.Pick, tn.Recommendation)
	}
	if !tn.ByBytes || math.Abs(tn.Points[0].PausesPerMiB-1024) > 1e-9 {
		t.Errorf("pauses per MiB %v, by bytes %v", tn.Points[0].PausesPerMiB, tn.ByBytes)
	}
	var buf bytes.Buffer
	tn.WriteText(&buf)
	golden(t, "tune.txt", buf.Bytes())
	svg, err := tn.Figure().SVG()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "tune.svg", svg)

	// Nothing fits: say so, and what budget would.
	tn, _ = Tune(tuneFixture(6), TuneOptions{Budget: 9 << 20, Margin: 0.10})
	if tn.Pick >= 0 || !strings.Contains(tn.Recommendation, "No highWaterMark fits the 9MiB budget less a 10% margin") || tn.NeedBudget <= 9<<20 || tn.Impossible {
		t.Errorf("no fit: pick %d, %q, need %d", tn.Pick, tn.Recommendation, tn.NeedBudget)
	}
	// A budget below every footprint is impossible.
	tn, _ = Tune(tuneFixture(6), TuneOptions{Budget: 1 << 20, Margin: 0.10})
	if !tn.Impossible {
		t.Error("a 1MiB budget is not reported impossible")
	}
	// The budget holds every run's peak, not the median's interval: one run
	// in six over the budget disqualifies a point.
	set := tuneFixture(6)
	for i := range set.Runs {
		if set.Runs[i].Param("hwm") == "256KiB" && set.Runs[i].Rep == 0 {
			set.Runs[i].PeakRSSBytes = 20 << 20
		}
	}
	tn, _ = Tune(set, TuneOptions{Budget: 16 << 20, Margin: 0.10})
	if tn.Pick < 0 || tn.Points[tn.Pick].Label == "256KiB" || !strings.Contains(tn.Recommendation, "the largest of 6 runs") {
		t.Errorf("a point with one run over the budget was picked: %s", tn.Recommendation)
	}
	// A margin of 0 is no margin.
	tn, _ = Tune(tuneFixture(6), TuneOptions{Budget: 16 << 20})
	if tn.Limit != 16<<20 || !strings.Contains(tn.Recommendation, "less a 0% margin") {
		t.Errorf("margin 0: limit %d, %s", tn.Limit, tn.Recommendation)
	}
	if _, err := Tune(tuneFixture(1), TuneOptions{Budget: 16 << 20, Margin: 1}); err == nil {
		t.Error("a margin of 100% was accepted")
	}
}

// BenchmarkReport builds the report of a folder the size of the default
// suite (12 cells × 5 runs × 2000 samples) and renders every chart.
func BenchmarkReport(b *testing.B) {
	set := &results.Set{}
	for k := 0; k < 3; k++ {
		for _, r := range fixture(5, "", nil).Runs {
			r.Name = strings.Replace(r.Name, "/hwm", fmt.Sprintf("/k=%d/hwm", k), 1)
			r.Params = append([]results.Param{{Key: "k", Value: fmt.Sprint(k)}}, r.Params...)
			r.ID += fmt.Sprint(k)
			var series []results.Sample
			for i := 0; i < 2000; i++ {
				s := r.Series[i%len(r.Series)]
				s.T = time.Duration(i) * 5 * time.Millisecond
				series = append(series, s)
			}
			r.Series = series
			set.Runs = append(set.Runs, r)
		}
	}
	in := load(b, set, "big")
	b.ResetTimer()
	for b.Loop() {
		r, err := BuildReport(in, ReportOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if err := r.WriteHTML(&bytes.Buffer{}); err != nil {
			b.Fatal(err)
		}
	}
}

// tune names a smaller point as fast as the pick only when the U test could
// tell a difference at these counts: with 6+6 runs it can, with 3+3 not.
func TestTuneWithinNoise(t *testing.T) {
	same := func(reps int) *results.Set {
		set := tuneFixture(reps)
		for i := range set.Runs { // 64KiB as fast as 256KiB, a hair slower at the median
			if r := &set.Runs[i]; r.Param("hwm") == "64KiB" {
				r.WallSeconds = 0.95 * (1 + float64((r.Rep+1)%3)/100) * 1.001
			}
		}
		return set
	}
	tn, _ := Tune(same(6), TuneOptions{Budget: 16 << 20, Margin: 0.10})
	if !strings.Contains(tn.Recommendation, "64KiB buffers less and is not significantly slower") {
		t.Errorf("6 runs: %s", tn.Recommendation)
	}
	tn, _ = Tune(same(3), TuneOptions{Budget: 16 << 20, Margin: 0.10})
	if strings.Contains(tn.Recommendation, "not significantly slower") {
		t.Errorf("3 runs cannot show it: %s", tn.Recommendation)
	}
}
