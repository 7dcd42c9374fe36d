package page

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/reports"
	"github.com/bpbench/bpbench/reports/internal/reportstest"
)

// load writes set to a folder and loads it back as label.
func load(t testing.TB, set *results.Set, label string) *reports.Input {
	t.Helper()
	in, err := reports.Load(reportstest.Dir(t, set, label))
	if err != nil {
		t.Fatal(err)
	}
	in.Label = label
	return in
}

var svgElem = regexp.MustCompile(`(?s)<svg .*?</svg>`)

func TestReportGolden(t *testing.T) {
	in := load(t, reportstest.Fixture(4, "", nil), "fixture")
	r, err := Build(in, Options{})
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
	reportstest.Golden(t, "report.html", svgElem.ReplaceAll(html.Bytes(), []byte("<svg/>")))
	reportstest.Golden(t, "report.md", md.Bytes())
	if !strings.Contains(md.String(), "- pipeline  hwm=64KiB: drain peaks at 10.4MiB, flat; naive peaks at 193.0MiB and is killed at the cap in 4 of 4 runs after 515ms.") {
		t.Errorf("report.md does not say at a glance what happened:\n%s", md.String())
	}
}

func TestReportVerdictFirst(t *testing.T) {
	base := load(t, reportstest.Fixture(6, "", nil), "old")
	head := load(t, reportstest.Fixture(6, "", reportstest.Regressed), "new")
	r, err := Build(head, Options{Baseline: base})
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
	if _, err := Build(&reports.Input{Label: "x.txt", Results: head.Results}, Options{}); !errors.As(err, new(*NoRunsError)) {
		t.Errorf("a report of a results file (no runs): %v; want a NoRunsError", err)
	}
}

// Write puts the two pages and the charts in the folder, and nothing else.
func TestWrite(t *testing.T) {
	dir := reportstest.Dir(t, reportstest.Fixture(2, "", nil), "out")
	in, err := reports.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := filepath.Glob(filepath.Join(dir, "*"))
	files, err := Write(dir, in, Options{Format: "png"})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 7 || files[5] != filepath.Join(dir, HTMLFile) || files[6] != filepath.Join(dir, MarkdownFile) {
		t.Errorf("Write wrote %v; want 5 charts, %s and %s", files, HTMLFile, MarkdownFile)
	}
	after, _ := filepath.Glob(filepath.Join(dir, "*"))
	plots, _ := filepath.Glob(filepath.Join(dir, "plots", "*"))
	if len(after) != len(before)+3 || len(plots) != 5 {
		t.Errorf("the folder holds %v and plots/ %v; want the pages and plots/ added, 5 charts in it", after, plots)
	}
}

// BenchmarkReport builds the report of a folder the size of the default
// suite (12 cells × 5 runs × 2000 samples) and renders every chart.
func BenchmarkReport(b *testing.B) {
	set := &results.Set{}
	for k := 0; k < 3; k++ {
		for _, r := range reportstest.Fixture(5, "", nil).Runs {
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
		r, err := Build(in, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := r.WriteHTML(&bytes.Buffer{}); err != nil {
			b.Fatal(err)
		}
	}
}
