package page

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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
	if n := strings.Count(h, `<figure class="chart" id="memory-`); n != 2 {
		t.Errorf("report.html has %d memory figures; want 2", n)
	}
	if n := strings.Count(h, `<svg role="img"`); n != 5 {
		t.Errorf("report.html inlines %d charts; want 5 (2 memory, 3 summary)", n)
	}
	for _, bad := range []string{"http://", "https://", "<script", "<link", "<img"} {
		if strings.Contains(svgElem.ReplaceAllString(h, ""), bad) {
			t.Errorf("report.html has %q: it must work offline as one file", bad)
		}
	}
	reportstest.Golden(t, "report.html", svgElem.ReplaceAll(html.Bytes(), []byte("<svg/>")))
	reportstest.Golden(t, "report.md", md.Bytes())
	if !strings.Contains(md.String(), "- pipeline  hwm=64KiB: drain peaks at 10.4MiB, flat on buffered bytes and heap after GC (too short to judge RSS); naive peaks at 193.0MiB and is killed at the cap in 4 of 4 runs after 515ms.") {
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
	// Both sides in the memory charts and at a glance, with the change.
	for _, want := range []string{"drain base: RSS median", "drain head: RSS median", "<h3>Change, head against base</h3>", "<h3>base</h3>", "<h3>head</h3>",
		"drain peak RSS (max) 10.4MiB → 13.5MiB (&#43;30%)", `aria-label="fail"`} {
		if !strings.Contains(h, want) {
			t.Errorf("the base/head report lacks %q", want)
		}
	}
	// Icons that need no emoji font.
	for _, emoji := range []string{"✅", "❌"} {
		if strings.Contains(h, emoji) {
			t.Errorf("report.html uses %s, which Chromium without an emoji font draws as a box", emoji)
		}
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
	after = slices.DeleteFunc(after, func(p string) bool { return filepath.Base(p) == results.LockFile })
	before = slices.DeleteFunc(before, func(p string) bool { return filepath.Base(p) == results.LockFile })
	plots, _ := filepath.Glob(filepath.Join(dir, "plots", "*"))
	if len(after) != len(before)+3 || len(plots) != 5 {
		t.Errorf("the folder holds %v and plots/ %v; want the pages and plots/ added, 5 charts in it", after, plots)
	}
}

// Write never writes through a plots/ that is a symbolic link, nor over a
// report.md of the user's: the folder is refused and nothing is written.
func TestWriteRefusesWhatIsNotOwned(t *testing.T) {
	for _, tc := range []struct {
		name  string
		plant func(t *testing.T, dir, elsewhere string)
	}{
		{"symlinked plots", func(t *testing.T, dir, elsewhere string) {
			if err := os.Symlink(elsewhere, filepath.Join(dir, "plots")); err != nil {
				t.Fatal(err)
			}
		}},
		{"the user's report.md", func(t *testing.T, dir, _ string) {
			if err := os.WriteFile(filepath.Join(dir, MarkdownFile), []byte("mine"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := reportstest.Dir(t, reportstest.Fixture(2, "", nil), "out")
			in, err := reports.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			elsewhere := t.TempDir()
			tc.plant(t, dir, elsewhere)
			if _, err := Write(dir, in, Options{Format: "svg"}); err == nil {
				t.Fatal("Write wrote into a folder that is not all bpbench's")
			}
			if left, _ := os.ReadDir(elsewhere); len(left) != 0 {
				t.Errorf("wrote %d files through the symbolic link", len(left))
			}
			if _, err := os.Stat(filepath.Join(dir, HTMLFile)); err == nil {
				t.Errorf("wrote %s beside a refused file", HTMLFile)
			}
			if b, err := os.ReadFile(filepath.Join(dir, MarkdownFile)); err == nil && string(b) != "mine" {
				t.Errorf("overwrote the user's %s", MarkdownFile)
			}
		})
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

// A folder measured with --baseline-bin shows both sides, as a baseline
// folder does.
func TestReportSidesOfOneFolder(t *testing.T) {
	set := reportstest.Fixture(3, results.SideBase, nil)
	set.Runs = append(set.Runs, reportstest.Fixture(3, results.SideHead, reportstest.Regressed).Runs...)
	for i := range set.Runs {
		set.Runs[i].Index = i
	}
	r, err := Build(load(t, set, "pr"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Sides) != 2 || len(r.Change) != 2 || r.Verdict == nil {
		t.Fatalf("sides %v, change %v, verdict %v; want both sides, the change and the gate's verdict", r.Sides, r.Change, r.Verdict)
	}
	var md bytes.Buffer
	r.WriteMarkdown(&md)
	for _, want := range []string{"Change, head against base:", "\nbase:\n", "\nhead:\n"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
}

// The machine section shows what the runs recorded, and only that.
func TestMachineSection(t *testing.T) {
	set := reportstest.Fixture(1, "", func(r *results.Run) {
		r.Machine = &results.Machine{Cores: 2, MemoryBytes: 8 << 30, Kernel: "Linux 6.1.0", GoVersion: "go1.24.2", LoadAverage: []float64{0.5, 0.25, 0.125}}
	})
	_, m := settings(set)
	got := fmt.Sprint(m)
	for _, want := range []string{"[cores 2]", "[memory 8.0GiB]", "[kernel Linux 6.1.0]", "[Go go1.24.2]", "[load average at start 0.50, 0.25, 0.12 (1, 5, 15 min)]"} {
		if !strings.Contains(got, want) {
			t.Errorf("machine %s lacks %s", got, want)
		}
	}
	for _, never := range []string{"Node", "cap mechanism", "watchdog"} {
		if strings.Contains(got, never) {
			t.Errorf("machine %s shows %s, which no run recorded", got, never)
		}
	}
	set.Runs[0].Machine.CapMechanism, set.Runs[0].Machine.NodeVersion = "watchdog", "v20.1.0"
	if _, m = settings(set); !strings.Contains(fmt.Sprint(m), "[cap mechanism watchdog (RSS)]") || !strings.Contains(fmt.Sprint(m), "[Node v20.1.0]") {
		t.Errorf("machine %v", m)
	}
	if _, m = settings(reportstest.Fixture(1, "", nil)); !strings.Contains(fmt.Sprint(m), "not recorded") {
		t.Errorf("a folder without machine facts: %v; want them named as not recorded", m)
	}
}
