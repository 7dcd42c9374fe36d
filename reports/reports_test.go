package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/reports/internal/reportstest"
)

// load writes set to a folder and loads it back as label.
func load(t testing.TB, set *results.Set, label string) *Input {
	t.Helper()
	in, err := Load(reportstest.Dir(t, set, label))
	if err != nil {
		t.Fatal(err)
	}
	in.Label = label
	return in
}

func TestCompareGolden(t *testing.T) {
	base := load(t, reportstest.Fixture(6, "", nil), "old")
	head := load(t, reportstest.Fixture(6, "", reportstest.Regressed), "new")
	one, err := CompareOne(base, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if one.By != "variant" || strings.Join(one.Columns, ",") != "drain,naive" {
		t.Errorf("one folder compares %s %v; want drain vs naive", one.By, one.Columns)
	}
	two, err := CompareInputs(base, head, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*Comparison{"compare-variants": one, "compare-old-new": two} {
		for _, f := range []string{FormatText, FormatMarkdown} {
			var buf bytes.Buffer
			if err := c.Write(&buf, f); err != nil {
				t.Fatal(err)
			}
			reportstest.Golden(t, name+"."+map[string]string{FormatText: "txt", FormatMarkdown: "md"}[f], buf.Bytes())
		}
	}
	// CSV and JSON are for programs: they parse, and carry every cell.
	var buf bytes.Buffer
	if err := two.Write(&buf, FormatCSV); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) < 2 || recs[0][0] != "unit" {
		t.Fatalf("csv: %v %v", recs, err)
	}
	buf.Reset()
	if err := two.Write(&buf, FormatJSON); err != nil {
		t.Fatal(err)
	}
	var js struct {
		Columns []string
		Tables  []struct {
			Unit string
			Rows []struct {
				Deltas []struct {
					Significant bool
				}
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &js); err != nil || len(js.Tables) == 0 {
		t.Fatalf("json: %v\n%s", err, buf.String())
	}
	// The peak RSS of LineWriter/drain rose 30% over 6+6 runs: significant.
	for _, tb := range two.Tables {
		if tb.Unit == results.UnitPeakRSS {
			d := tb.Rows[0].Deltas[0]
			if !d.Significant || d.Pct < 25 || d.Pct > 35 {
				t.Errorf("peak RSS delta %+v; want about +30%%, significant", d)
			}
		}
	}
}

func TestGateFindsEachKindOfRegression(t *testing.T) {
	base := load(t, reportstest.Fixture(6, "", nil), "old")
	head := load(t, reportstest.Fixture(6, "", reportstest.Regressed), "new")

	v, err := Gate(base, head, GateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !v.Regressed {
		t.Fatal("gate passed a regressed head")
	}
	kinds := map[string]bool{}
	for _, f := range v.Findings {
		kinds[f.Kind+" "+f.Bench] = true
	}
	for _, want := range []string{
		"metric LineWriter/variant=drain/hwm=64KiB",
		"growth LineWriter/variant=drain/hwm=64KiB",
		"bound LineWriter/variant=drain/hwm=64KiB",
		"outcome Pipeline/variant=drain/hwm=64KiB",
	} {
		if !kinds[want] {
			t.Errorf("no %q finding; findings: %+v", want, v.Findings)
		}
	}
	for _, f := range []string{FormatText, FormatMarkdown} {
		var buf bytes.Buffer
		if err := v.Write(&buf, f); err != nil {
			t.Fatal(err)
		}
		reportstest.Golden(t, "gate-regressed."+map[string]string{FormatText: "txt", FormatMarkdown: "md"}[f], buf.Bytes())
	}
}

func TestGatePassesSameAndListsOneSided(t *testing.T) {
	base := load(t, reportstest.Fixture(6, "", nil), "old")
	head := load(t, reportstest.Fixture(6, "", nil), "new")
	// A benchmark only in head, one only in base.
	head.Results[0].Name = []byte("NewBench/variant=drain")
	v, err := Gate(base, head, GateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Regressed {
		t.Errorf("same data regressed: %+v", v.Findings)
	}
	if len(v.OnlyHead) != 1 || v.OnlyHead[0] != "NewBench/variant=drain" {
		t.Errorf("only in head: %v", v.OnlyHead)
	}
	var buf bytes.Buffer
	v.WriteText(&buf)
	if !strings.Contains(buf.String(), "Only in the candidate (new, nothing to compare with):\n  NewBench/variant=drain") {
		t.Errorf("one-sided benchmark not listed:\n%s", buf.String())
	}
}

func TestGateTooFewRunsJudgesByThreshold(t *testing.T) {
	base := load(t, reportstest.Fixture(3, "", nil), "old")
	head := load(t, reportstest.Fixture(3, "", reportstest.Regressed), "new")
	v, err := Gate(base, head, GateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var metric *Finding
	for i, f := range v.Findings {
		if f.Kind == "metric" && f.Unit == results.UnitPeakRSS {
			metric = &v.Findings[i]
		}
	}
	if metric == nil || !strings.Contains(metric.Message, "too few runs for a significance test, judged by the threshold alone") {
		t.Errorf("peak RSS finding %+v", metric)
	}
	if !strings.Contains(strings.Join(v.Notes, "\n"), "n=3+3 runs are too few for the Mann-Whitney U test") {
		t.Errorf("notes %q", v.Notes)
	}
	// A higher threshold lets the 30% through.
	var opts GateOptions
	if err := opts.ParseThreshold("peak-RSS-B=40%"); err != nil {
		t.Fatal(err)
	}
	v, _ = Gate(base, head, opts)
	for _, f := range v.Findings {
		if f.Unit == results.UnitPeakRSS {
			t.Errorf("peak RSS failed above a 40%% threshold: %s", f.Message)
		}
	}
	for _, bad := range []string{"peak-RSS-B", "peak-RSS-B=ten%", "=10%", "peak-RSS-B=10"} {
		if err := opts.ParseThreshold(bad); err == nil {
			t.Errorf("ParseThreshold(%q) accepted", bad)
		}
	}
}

func TestGateSidesOfOneFolder(t *testing.T) {
	set := reportstest.Fixture(6, results.SideBase, nil)
	head := reportstest.Fixture(6, results.SideHead, reportstest.Regressed)
	set.Runs = append(set.Runs, head.Runs...)
	for i := range set.Runs {
		set.Runs[i].Index = i
	}
	in := load(t, set, "both")
	b, h, ok := in.Split()
	if !ok || len(b.Set.Runs) != 24 || len(h.Set.Runs) != 24 {
		t.Fatalf("split: %v", ok)
	}
	v, err := Gate(b, h, GateOptions{})
	if err != nil || !v.Regressed {
		t.Fatalf("gate of sides: %v %v", v, err)
	}
	c, _ := CompareOne(in, Options{})
	if c.By != "side" || strings.Join(c.Columns, ",") != "base,head" {
		t.Errorf("compare of a folder with sides: %s %v", c.By, c.Columns)
	}
}

func TestLoadRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(data), 0o644)
		return p
	}
	good := filepath.Join(dir, "good")
	if err := reportstest.Fixture(2, "", nil).WriteDir(good); err != nil {
		t.Fatal(err)
	}
	nosamples := filepath.Join(dir, "nosamples")
	reportstest.Fixture(2, "", nil).WriteDir(nosamples)
	os.RemoveAll(filepath.Join(nosamples, "samples"))
	truncated := filepath.Join(dir, "truncated")
	set := reportstest.Fixture(2, "", nil)
	set.WriteDir(truncated)
	csvPath := filepath.Join(truncated, set.Runs[0].Samples)
	data, _ := os.ReadFile(csvPath)
	os.WriteFile(csvPath, data[:len(data)-20], 0o644)
	os.MkdirAll(filepath.Join(dir, "empty"), 0o755)
	for name, c := range map[string]struct {
		path, want string
		kind       error // nil: a cause of its own (the file system, results)
	}{
		"garbage":     {write("garbage.txt", "hello\nworld\n"), "has no benchmark results", ErrNotResults},
		"bad line":    {write("bad.txt", "BenchmarkX 1 2 ns/op extra\n"), "not Go benchmark format", ErrNotResults},
		"missing":     {filepath.Join(dir, "nope"), "cannot read", fs.ErrNotExist},
		"empty dir":   {filepath.Join(dir, "empty"), "not a bpbench output folder", nil},
		"no runs":     {filepath.Dir(write("noruns/runs.json", "[]")), "no runs", results.ErrNoRuns},
		"bad json":    {filepath.Dir(write("badjson/runs.json", "[{")), "not valid runs JSON", nil},
		"no samples":  {nosamples, "is missing (named by run", nil},
		"truncated":   {truncated, "damaged or truncated", nil},
		"bad outcome": {filepath.Dir(write("badout/runs.json", `[{"id":"a","name":"BenchmarkA","outcome":"great","samples":"samples/a.csv"}]`)), `unknown outcome "great"`, nil},
	} {
		_, err := Load(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Load(%s) = %v; want an error containing %q", name, c.path, err, c.want)
		}
		if c.kind != nil && !errors.Is(err, c.kind) {
			t.Errorf("%s: Load(%s) = %v; want an error that is %v", name, c.path, err, c.kind)
		}
	}
	in, err := Load(good)
	if err != nil {
		t.Fatalf("good folder: %v", err)
	}
	other, err := Load(write("units.txt", "BenchmarkLineWriter/variant=drain/hwm=64KiB 1 5 widgets/op\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CompareInputs(in, other, Options{}); !errors.Is(err, ErrIncomparable) || !strings.Contains(err.Error(), "mismatched units cannot be compared") {
		t.Errorf("mismatched units: %v", err)
	}
}

// BenchmarkGate decides on a folder of 10 cells × 10 runs with samples
// (target: well under 1s).
func BenchmarkGate(b *testing.B) {
	mk := func(tw reportstest.Tweak) *results.Set {
		set := &results.Set{}
		for k := range 5 {
			s := reportstest.Fixture(10, "", tw)
			for _, r := range s.Runs {
				r.Name = strings.Replace(r.Name, "/hwm", fmt.Sprintf("/k=%d/hwm", k), 1)
				r.ID = fmt.Sprintf("%s-k%d", r.ID, k)
				set.Runs = append(set.Runs, r)
			}
		}
		return set
	}
	base, head := load(b, mk(nil), "old"), load(b, mk(reportstest.Regressed), "new")
	b.ResetTimer()
	for b.Loop() {
		if _, err := Gate(base, head, GateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompare100k reads and compares 100,000 benchmark lines
// (target: well under 1s).
func BenchmarkCompare100k(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("goos: linux\ngoarch: amd64\n")
	for i := range 100000 {
		fmt.Fprintf(&buf, "BenchmarkW%d/variant=%s 1 %d sec/op %d peak-RSS-B\n", i%50, []string{"drain", "naive"}[i%2], 1000+i%97, 10<<20+i%1013)
	}
	path := filepath.Join(b.TempDir(), "results.txt")
	os.WriteFile(path, buf.Bytes(), 0o644)
	b.ResetTimer()
	for b.Loop() {
		in, err := Load(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := CompareOne(in, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// One drain-aware run in six that grows is noise (A/A calibration saw it
// once in 20 gate runs); a leak grows in most runs.
func TestGateOneGrowingRunIsNoise(t *testing.T) {
	grow := func(r *results.Run) {
		if r.Variant == "drain" && r.Bench == "LineWriter" && r.Rep == 0 {
			for i := range r.Series {
				r.Series[i].RSS += int64(i) << 20 / 4
				r.Series[i].Heap += int64(i) << 20 / 4
			}
		}
	}
	v, err := Gate(load(t, reportstest.Fixture(6, "", nil), "old"), load(t, reportstest.Fixture(6, "", grow), "new"), GateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range v.Findings {
		if f.Kind == "growth" {
			t.Errorf("one growing run failed the gate: %s", f.Message)
		}
	}
	if !strings.Contains(strings.Join(v.Notes, "\n"), "memory is not flat in 1 of 6 drain-aware runs, decided by heap after GC") {
		t.Errorf("the growing run is not noted: %q", v.Notes)
	}
}

// The summary bpbench run prints.
func TestSummaryGolden(t *testing.T) {
	set := reportstest.Fixture(3, "", nil)
	set.Runs = append(set.Runs, results.Run{ID: "x", Name: "BenchmarkCmd/cmd=abc", Bench: "Cmd", Workload: "cmd", Outcome: results.Crash, WallSeconds: 0.002, PeakRSSBytes: 1 << 20,
		Params: []results.Param{{Key: "cmd", Value: "abc"}}}, results.Run{ID: "y", Name: "BenchmarkCmd/cmd=abc", Bench: "Cmd", Workload: "cmd", Outcome: results.Interrupted,
		Params: []results.Param{{Key: "cmd", Value: "abc"}}})
	// A server run for a 6 s window: alive and within the cap to the end, ok,
	// and no wall time, which would only measure the window.
	for i := range 2 {
		set.Runs = append(set.Runs, results.Run{ID: fmt.Sprintf("s%d", i), Name: "BenchmarkServer/cmd=srv", Bench: "Server", Workload: "srv", Outcome: results.OK,
			WallSeconds: 6.4, DurationSeconds: 6, PeakRSSBytes: 30 << 20, Params: []results.Param{{Key: "cmd", Value: "srv"}}})
	}
	var buf bytes.Buffer
	Summary(&buf, set)
	reportstest.Golden(t, "summary.txt", buf.Bytes())
}

// Review findings: more runs dying is worse even when the worst outcome was
// already there; a metric over its threshold with too few runs on one side
// is judged by the threshold; a candidate that stops reporting a figure
// fails; a --baseline-bin folder counts by its head side.
func TestGateReviewFindings(t *testing.T) {
	oneOOM := func(r *results.Run) {
		if r.Variant == "drain" && r.Bench == "Pipeline" && r.Rep == 0 {
			r.Outcome, r.TimeToOOMSeconds = results.OOM, reportstest.Ptr(0.5)
		}
	}
	allOOM := func(r *results.Run) {
		if r.Variant == "drain" && r.Bench == "Pipeline" {
			r.Outcome, r.TimeToOOMSeconds = results.OOM, reportstest.Ptr(0.5)
		}
	}
	v, _ := Gate(load(t, reportstest.Fixture(5, "", oneOOM), "old"), load(t, reportstest.Fixture(5, "", allOOM), "new"), GateOptions{})
	if !v.Regressed || !strings.Contains(v.Findings[0].Message, "5 of 5 runs oom (base: 1 of 5 runs oom, 4 of 5 runs ok)") {
		t.Errorf("1 of 5 oom -> 5 of 5: %+v", v.Findings)
	}

	// 6 base runs, 2 candidate runs: a U test at 6+2 can never reach 0.05.
	v, _ = Gate(load(t, reportstest.Fixture(6, "", nil), "old"), load(t, reportstest.Fixture(2, "", reportstest.Regressed), "new"), GateOptions{})
	found := false
	for _, f := range v.Findings {
		found = found || (f.Unit == results.UnitPeakRSS && strings.Contains(f.Message, "too few runs for a significance test"))
	}
	if !found {
		t.Errorf("6+2 runs, +30%% peak RSS: %+v", v.Findings)
	}

	// The candidate's probe stopped reporting heap and buffered bytes.
	silent := func(r *results.Run) { r.PeakHeapBytes, r.MaxBufferedBytes, r.BufferBoundBytes = nil, nil, nil }
	v, _ = Gate(load(t, reportstest.Fixture(5, "", nil), "old"), load(t, reportstest.Fixture(5, "", silent), "new"), GateOptions{})
	if !v.Regressed || !strings.Contains(v.Findings[0].Message, "no longer does") {
		t.Errorf("a silent probe passed: %+v", v.Findings)
	}

	// A folder with sides counts by its head side.
	both := reportstest.Fixture(5, results.SideBase, reportstest.Regressed)
	both.Runs = append(both.Runs, reportstest.Fixture(5, results.SideHead, nil).Runs...)
	for i := range both.Runs {
		both.Runs[i].Index = i
	}
	c, err := CompareInputs(load(t, reportstest.Fixture(5, "", nil), "old"), load(t, both, "both"), Options{})
	if err != nil || c.Tables[0].Rows[0].Cells[1].N() != 5 {
		t.Errorf("a --baseline-bin folder mixed its sides: %v", err)
	}

	var opts GateOptions
	opts.ParseThreshold("peak-rss-b=5%")
	if _, err := Gate(load(t, reportstest.Fixture(3, "", nil), "old"), load(t, reportstest.Fixture(3, "", nil), "new"), opts); !errors.Is(err, ErrBadOption) || !strings.Contains(err.Error(), "no such unit") {
		t.Errorf("a misspelt unit: %v", err)
	}
}

func TestLoadOnlyInterrupted(t *testing.T) {
	set := reportstest.Fixture(1, "", func(r *results.Run) { r.Outcome = results.Interrupted })
	dir := t.TempDir()
	set.WriteDir(dir)
	if _, err := Load(dir); !errors.Is(err, ErrNothingMeasured) || !strings.Contains(err.Error(), "holds only interrupted runs") {
		t.Errorf("a folder of interrupted runs: %v", err)
	}
}

// Runs too short to judge are no evidence of growth: one growing run among
// five, four of them too short for a fit, is noise, not a leak (seen in an
// A/A test run: one run's start-up counted as growth).
func TestGateShortRunsAreNoEvidence(t *testing.T) {
	shape := func(r *results.Run) {
		if r.Variant != "drain" || r.Bench != "LineWriter" {
			return
		}
		if r.Rep > 0 {
			r.Series = r.Series[:6] // too few samples after warm-up
			return
		}
		for i := range r.Series {
			r.Series[i].RSS += int64(i) << 20 / 4
		}
	}
	v, err := Gate(load(t, reportstest.Fixture(5, "", nil), "old"), load(t, reportstest.Fixture(5, "", shape), "new"), GateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range v.Findings {
		if f.Kind == "growth" {
			t.Errorf("one growing run and four too short failed the gate: %s", f.Message)
		}
	}
}

// Help text reads the thresholds from here; each call is a fresh map.
func TestDefaultThresholds(t *testing.T) {
	if got, want := DefaultThresholdsText(), "sec/op 20%, peak-RSS-B 10%, peak-heap-B 25%, max-buffered-B 25%, others 10%"; got != want {
		t.Errorf("DefaultThresholdsText() = %q; want %q", got, want)
	}
	m := DefaultThresholds()
	m[results.UnitPeakRSS] = 0.9
	if DefaultThresholds()[results.UnitPeakRSS] != 0.10 {
		t.Error("changing DefaultThresholds' map changed the defaults")
	}
}

// The change at a glance names both sides of each workload.
func TestFindingsChange(t *testing.T) {
	got := strings.Join(FindingsChange(reportstest.Fixture(3, "", nil), reportstest.Fixture(3, "", reportstest.Regressed)), "\n")
	for _, want := range []string{
		"linewriter  hwm=64KiB: drain peak RSS (max) 10.4MiB → 13.5MiB (+30%); naive peak RSS (max) 70.4MiB → 70.4MiB (±0%).",
		"pipeline  hwm=64KiB: drain peak RSS (max) 10.4MiB → 10.4MiB (±0%), killed in 0 of 3 → 2 of 3 runs;",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("FindingsChange lacks %q:\n%s", want, got)
		}
	}
}
