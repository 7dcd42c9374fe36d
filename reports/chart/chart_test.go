package chart

import (
	"bytes"
	"errors"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/reports"
	"github.com/bpbench/bpbench/reports/internal/reportstest"
)

func TestMemoryFigureGolden(t *testing.T) {
	figs := MemoryFigures(reportstest.Fixture(4, "", nil))
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
	reportstest.Golden(t, "memory-pipeline.svg", svg)
	// Rendering twice gives the same bytes: goldens are stable.
	again, _ := f.SVG()
	if !bytes.Equal(svg, again) {
		t.Error("SVG rendering is not deterministic")
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
