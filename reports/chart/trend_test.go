package chart

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bpbench/bpbench/reports/internal/reportstest"
)

// trendFixture is 24 commits of a peak RSS that steps up 8% at commit 12
// (a strong regression) and down 3% at commit 18 (a weak improvement),
// three runs a commit.
func trendFixture() TrendSeries {
	s := TrendSeries{Benchmark: "TightLoop5M/variant=drain/hwm=64KiB", Unit: "peak-RSS-B"}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 24 {
		level := 14.0
		switch {
		case i >= 18:
			level = 14 * 1.08 * 0.97
		case i >= 12:
			level = 14 * 1.08
		}
		var runs []float64
		for r := range 3 {
			runs = append(runs, level*mib*(1+0.004*float64((i*3+r*5)%7-3)))
		}
		s.Points = append(s.Points, TrendPoint{Commit: fmt.Sprintf("c%02df00dbeef", i), Time: t0.Add(time.Duration(i) * time.Hour), Value: runs[1], Runs: runs})
	}
	s.Changes = []TrendChange{{Index: 12, Change: "+8.0%", Strong: true, Regression: true}, {Index: 18, Change: "-3.0%"}}
	return s
}

func TestTrendGolden(t *testing.T) {
	f := Trend(trendFixture())
	if f.Name != "trend-peak-RSS-B-TightLoop5M_variant=drain_hwm=64KiB" {
		t.Errorf("name %q", f.Name)
	}
	if want := "TightLoop5M/variant=drain/hwm=64KiB peak-RSS-B over 24 commits, median per commit from 14.11MiB to 14.73MiB; change points: +8.0% regression at c12f00d, -3.0% improvement at c18f00d"; f.Alt != want {
		t.Errorf("alt\n%s\nwant\n%s", f.Alt, want)
	}
	svg, err := f.SVG()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"c12f00d +8.0%", "c18f00d -3.0%", "change point: strong regression", "change point: weak improvement", "median per commit", "runs", "peak-RSS-B (MiB)", "commit (oldest to newest)"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("trend chart lacks %q", want)
		}
	}
	reportstest.Golden(t, "trend.svg", svg)
	if again, _ := f.SVG(); !bytes.Equal(svg, again) {
		t.Error("SVG rendering is not deterministic")
	}
}

func TestTrendEdgeCases(t *testing.T) {
	// One commit, no runs, a fraction unit, a change point out of range:
	// each draws without panicking.
	for _, s := range []TrendSeries{
		{Benchmark: "A", Unit: "sec/op"},
		{Benchmark: "A", Unit: "sec/op", Points: []TrendPoint{{Commit: "c1", Value: 1}}},
		{Benchmark: "A", Unit: "oom-runs", Fraction: true, Points: []TrendPoint{{Commit: "c1"}, {Commit: "c2", Value: 1}}, Changes: []TrendChange{{Index: 1, Change: "from 0", Strong: true, Regression: true}, {Index: 7}}},
	} {
		if _, err := Trend(s).SVG(); err != nil {
			t.Errorf("%s %s: %v", s.Benchmark, s.Unit, err)
		}
	}
}

func TestWriteTrendPage(t *testing.T) {
	dir := t.TempDir()
	rss := trendFixture()
	sec := trendFixture()
	sec.Unit, sec.Changes = "sec/op", nil
	for i := range sec.Points {
		sec.Points[i].Value, sec.Points[i].Runs = 0.5, []float64{0.5}
	}
	evil := trendFixture()
	evil.Benchmark = `X/name=<script>alert(1)</script>`
	files, err := WriteTrendPage(dir, "trends & more", []TrendSeries{sec, rss, evil}, SVG)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 4 || filepath.Base(files[3]) != TrendPageFile {
		t.Fatalf("files %v", files)
	}
	page, err := os.ReadFile(filepath.Join(dir, TrendPageFile))
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	// Grouped by unit, in unit order; user text escaped.
	if i, j := strings.Index(html, "<h2>peak-RSS-B</h2>"), strings.Index(html, "<h2>sec/op</h2>"); i < 0 || j < i {
		t.Errorf("sections out of order or missing:\n%s", html)
	}
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;") || !strings.Contains(html, "trends &amp; more") {
		t.Errorf("page does not escape user text:\n%s", html)
	}
	if !strings.Contains(html, `src="trend-sec_op-TightLoop5M_variant=drain_hwm=64KiB.svg"`) {
		t.Errorf("page does not show the sec/op chart:\n%s", html)
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
}
