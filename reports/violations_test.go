package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/reports/internal/reportstest"
)

// drainWrites makes LineWriter's drain runs write after false at line 120.
func drainWrites(r *results.Run) {
	if r.Bench == "LineWriter" && r.Variant == "drain" {
		*r.WritesAfterFalse, *r.BytesAfterFalse = 12, 12<<10
		r.Violations = []results.Violation{{Kind: results.WriteAfterFalse, Site: "/src/app/workloads/lines.go:120", Function: "app/workloads.drainLines", Count: 12, Bytes: 12 << 10}}
	}
}

// verdictText is the verdict in every format.
func verdictText(t *testing.T, v *Verdict) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range []string{FormatText, FormatMarkdown, FormatJSON} {
		var buf bytes.Buffer
		if err := v.Write(&buf, f); err != nil {
			t.Fatal(err)
		}
		out[f] = buf.String()
	}
	return out
}

func backpressureFindings(v *Verdict) []Finding {
	var out []Finding
	for _, f := range v.Findings {
		if f.Kind == "backpressure" {
			out = append(out, f)
		}
	}
	return out
}

// A drain-aware run that writes after write() returned false fails the
// gate, naming the line, even when the base did the same.
func TestGateFailsDrainRunThatWritesAfterFalse(t *testing.T) {
	base := load(t, reportstest.Fixture(6, "", reportstest.Ignoring), "old")
	head := load(t, reportstest.Fixture(6, "", reportstest.Then(reportstest.Ignoring, drainWrites)), "new")
	v, err := Gate(base, head, GateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fs := backpressureFindings(v)
	if !v.Regressed || len(fs) != 1 || fs[0].Bench != "LineWriter/variant=drain/hwm=64KiB" || fs[0].Unit != results.UnitWritesAfterFalse {
		t.Fatalf("findings %+v; want one backpressure finding for LineWriter/variant=drain", v.Findings)
	}
	const want = "lines.go:120: 12 writes after write() returned false (12.0KiB) in 6 of 6 runs (median per run; a new call site); a drain-aware run must make none (the base made none)"
	if fs[0].Message != want {
		t.Errorf("message\n %q\nwant\n %q", fs[0].Message, want)
	}
	if len(fs[0].Sites) != 1 || fs[0].Sites[0] != "/src/app/workloads/lines.go:120" {
		t.Errorf("sites %q; want the recorded call site", fs[0].Sites)
	}
	for f, text := range verdictText(t, v) {
		if !strings.Contains(text, "lines.go:120: 12 writes after write() returned false") {
			t.Errorf("the %s verdict does not name the line:\n%s", f, text)
		}
	}

	// Any at all: the same writes in the base do not excuse them.
	v, err = Gate(head, head, GateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if fs := backpressureFindings(v); !v.Regressed || len(fs) != 1 || !strings.HasPrefix(fs[0].Message, "lines.go:120: 12 writes") {
		t.Errorf("head against itself: %+v; want the drain run's writes after false to fail", v.Findings)
	}
}

// A naive run is expected to ignore backpressure; doing so more often than
// the base does is a regression, without statistics.
func TestGateFailsIncreaseInNaiveVariant(t *testing.T) {
	more := func(r *results.Run) {
		if r.Bench == "Pipeline" && r.Variant == "naive" {
			*r.WritesAfterFalse++
			r.Violations[0].Count++
			r.Violations = append(r.Violations, results.Violation{Kind: results.ExtraDrainListener, Site: "/src/app/other/pipe.go:7", Count: 1})
			*r.ExtraDrainListeners = 1
		}
	}
	base := load(t, reportstest.Fixture(6, "", reportstest.Ignoring), "old")
	head := load(t, reportstest.Fixture(6, "", reportstest.Then(reportstest.Ignoring, more)), "new")
	v, err := Gate(base, head, GateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fs := backpressureFindings(v)
	if !v.Regressed || len(fs) != 2 {
		t.Fatalf("findings %+v; want two backpressure findings", v.Findings)
	}
	for i, want := range []string{
		"writes after write() returned false rose from 5,000 to 5,001 per run (median): workloads/pipe.go:41: 5,001 writes after write() returned false (1000.0KiB) in 6 of 6 runs (median per run)",
		"drain listeners added while one was already attached rose from 0 to 1 per run (median): other/pipe.go:7: 1 drain listener added while one was already attached in 6 of 6 runs (median per run; a new call site)",
	} {
		if fs[i].Bench != "Pipeline/variant=naive/hwm=64KiB" || fs[i].Message != want {
			t.Errorf("finding %d: %s: %q\nwant %q", i, fs[i].Bench, fs[i].Message, want)
		}
	}
	md := verdictText(t, v)[FormatMarkdown]
	if !strings.Contains(md, "| Pipeline/variant=naive/hwm=64KiB | backpressure | writes after write() returned false rose from 5,000 to 5,001") {
		t.Errorf("markdown verdict:\n%s", md)
	}
}

// Equal counts pass: the naive variants' writes after false are what they
// are for.
func TestGatePassesEqualViolations(t *testing.T) {
	base := load(t, reportstest.Fixture(6, "", reportstest.Ignoring), "old")
	head := load(t, reportstest.Fixture(6, "", reportstest.Ignoring), "new")
	v, err := Gate(base, head, GateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Regressed {
		t.Errorf("equal counts regressed: %+v", v.Findings)
	}
	// A base without the counts (an older bpbench) is not judged against.
	old := load(t, reportstest.Fixture(6, "", nil), "older")
	if v, err = Gate(old, head, GateOptions{}); err != nil || v.Regressed {
		t.Fatalf("against a base without counts: %v %+v", err, v)
	}
	if !strings.Contains(strings.Join(v.Notes, "\n"), "reported on one side only") {
		t.Errorf("notes %q; want one saying the counts were not judged", v.Notes)
	}
	if _, err := Gate(base, head, GateOptions{Thresholds: map[string]float64{results.UnitWritesAfterFalse: 0.1}}); !errors.Is(err, ErrBadOption) {
		t.Errorf("a threshold for writes-after-false: %v; want ErrBadOption", err)
	}
}

// Results files carry the counts but not the call sites.
func TestGateViolationsOfResultsFiles(t *testing.T) {
	file := func(tw reportstest.Tweak, label string) *Input {
		var buf bytes.Buffer
		if err := reportstest.Fixture(4, "", tw).WriteBench(&buf); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), label+".txt")
		os.WriteFile(p, buf.Bytes(), 0o644)
		in, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	v, err := Gate(file(reportstest.Ignoring, "old"), file(reportstest.Then(reportstest.Ignoring, drainWrites), "new"), GateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if fs := backpressureFindings(v); len(fs) != 1 || !strings.HasPrefix(fs[0].Message, "call site not recorded: 12 writes after write() returned false in 4 of 4 runs") {
		t.Errorf("findings %+v", v.Findings)
	}
}

func TestSiteNames(t *testing.T) {
	n := siteNames{}
	for _, s := range []string{"/a/x/lines.go:94", "/a/y/lines.go:3", "/a/y/lines.go:4", "file:///home/u/flood.js:12", `C:\src\main.go:7`} {
		n[s] = sitePath(s)
	}
	for site, want := range map[string]string{
		"/a/x/lines.go:94":           "x/lines.go:94",
		"/a/y/lines.go:4":            "y/lines.go:4",
		"file:///home/u/flood.js:12": "flood.js:12",
		`C:\src\main.go:7`:           "main.go:7",
		"":                           "call site not recorded",
	} {
		if got := n.name(site); got != want {
			t.Errorf("name(%q) = %q, want %q", site, got, want)
		}
	}
	if FormatCount(183412) != "183,412" || FormatCount(-1000) != "-1,000" || FormatCount(999) != "999" {
		t.Errorf("thousands: %s %s %s", FormatCount(183412), FormatCount(-1000), FormatCount(999))
	}
}

// compare shows the counts as whole calls, and 0 against 0 as no change.
func TestCompareShowsViolations(t *testing.T) {
	in := load(t, reportstest.Fixture(6, "", reportstest.Ignoring), "old")
	c, err := CompareOne(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var text, js bytes.Buffer
	c.WriteText(&text)
	c.WriteJSON(&js)
	rows := map[string]string{}
	unit := ""
	for _, l := range strings.Split(text.String(), "\n") {
		if f := strings.Fields(l); len(f) > 0 && !strings.HasPrefix(l, " ") {
			if strings.Contains(l, "(lower is better)") {
				unit = f[0]
			}
			rows[unit+" "+f[0]] = strings.Join(f[1:], " ")
		}
	}
	for k, want := range map[string]string{
		"writes-after-false LineWriter/hwm=64KiB":    "0 183,412 +183,412 p=0.002 n=6",
		"writes-after-false Pipeline/hwm=64KiB":      "0 5,000 +5,000 p=0.002 n=6",
		"extra-drain-listeners LineWriter/hwm=64KiB": "0 0 ~ p=1.000 n=6",
	} {
		if rows[k] != want {
			t.Errorf("%s: %q, want %q\n%s", k, rows[k], want, text.String())
		}
	}
	if strings.Contains(js.String(), "NaN") || !json.Valid(js.Bytes()) {
		t.Errorf("JSON comparison is not valid JSON:\n%s", js.String())
	}
}

// A naive program's count moves from run to run with the race between
// producer and sink: a head whose runs overlap the base's has not risen,
// even when its median is higher; one whose every run is above every base
// run has, and so has any count where the base made none.
func TestRoseNeedsRunsThatDoNotOverlap(t *testing.T) {
	tally := func(counts ...float64) *kindTally { return &kindTally{counts: counts} }
	for _, tc := range []struct {
		base, head *kindTally
		want       bool
	}{
		{tally(100, 300, 200), tally(250, 260, 240), false}, // median up, runs overlap: noise
		{tally(100, 110, 120), tally(121, 130, 125), true},  // every head run above every base run
		{tally(0, 0, 0), tally(0, 1, 0), true},              // none before, some now
		{tally(5, 5), tally(5, 5), false},
		{tally(), tally(3), false}, // the base did not report: not judged here
	} {
		if got := rose(tc.base, tc.head); got != tc.want {
			t.Errorf("rose(%v, %v) = %v; want %v", tc.base.counts, tc.head.counts, got, tc.want)
		}
	}
}

// The gate's Markdown (what --summary appends to a job summary) escapes
// what a user controls: a benchmark name from go test -bench or a crafted
// runs.json can neither open a heading nor carry raw HTML.
func TestVerdictMarkdownEscapesNames(t *testing.T) {
	inj := "X<script>alert(1)</script><img src=x onerror=alert(2)>\n# ALL CLEAR: PASS |"
	v := &Verdict{Base: "a", Head: "b", Regressed: true,
		Findings: []Finding{{Bench: inj, Kind: "metric", Message: inj}},
		OnlyHead: []string{inj}, Notes: []string{inj}}
	var b strings.Builder
	if err := v.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, bad := range []string{"<script>", "<img", "\n# ALL CLEAR", "\n- # ALL"} {
		if strings.Contains(md, bad) {
			t.Errorf("the Markdown verdict carries %q raw:\n%s", bad, md)
		}
	}
}

// peak-cgroup-B (page cache included) is shown but not judged unless a
// threshold names it: a small program's page cache moves it by 70% between
// two folders.
func TestPeakCgroupIsNotJudgedByDefault(t *testing.T) {
	if _, ok := (GateOptions{}).threshold(results.UnitPeakCgroup); ok {
		t.Error("peak-cgroup-B is judged by default")
	}
	o := GateOptions{Thresholds: map[string]float64{results.UnitPeakCgroup: 0.2}}
	if thr, ok := o.threshold(results.UnitPeakCgroup); !ok || thr != 0.2 {
		t.Errorf("with --threshold peak-cgroup-B=20%%: %v, %v", thr, ok)
	}
}
