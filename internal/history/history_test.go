package history

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bpbench/bpbench/internal/results"
	"golang.org/x/perf/benchfmt"
)

func ptr[T any](v T) *T { return &v }

// resultSet is a result set as bpbench run writes it: the drain and naive
// tight loop, count runs each, at commit, the drain side's peak RSS at
// rssMiB (each run a little apart so no two sets are alike), and the naive
// side killed out of memory in oomNaive of its runs.
func resultSet(commit string, count int, rssMiB float64, oomNaive int) *results.Set {
	set := &results.Set{}
	for rep := range count {
		for vi, variant := range []string{"drain", "naive"} {
			r := results.Run{
				Index: len(set.Runs), Rep: rep, Bench: "TightLoop", Workload: "tight-loop-5m", Variant: variant,
				Name:   "BenchmarkTightLoop/variant=" + variant + "/hwm=16KiB",
				Params: []results.Param{{Key: "hwm", Value: "16KiB"}},
				ID:     fmt.Sprintf("TightLoop_variant=%s-rep%d", variant, rep),
				GOOS:   "linux", GOARCH: "amd64", CPU: "Test CPU", Commit: commit,
				MemLimit: 128 << 20, HardLimit: 160 << 20, IntervalSeconds: 0.005,
				Outcome: results.OK, WallSeconds: 0.5 + 0.01*float64(rep),
			}
			r.Samples = "samples/" + r.ID + ".csv"
			r.Series = []results.Sample{{T: time.Millisecond, RSS: 1 << 20, Heap: -1, Buffered: -1, GoTotal: -1, GCCycles: -1, FalseReturns: -1, Drains: -1, DrainWait: -1, Written: -1}}
			mib := rssMiB * (1 + 0.002*float64(rep-count/2))
			if vi == 1 {
				mib = 150
			}
			r.PeakRSSBytes = int64(mib * (1 << 20))
			r.PeakHeapBytes, r.MaxBufferedBytes = ptr(r.PeakRSSBytes/2), ptr(int64(16<<10))
			if vi == 1 && rep < oomNaive {
				r.Outcome, r.TimeToOOMSeconds, r.ExitCode, r.Signal = results.OOM, ptr(1.5), -1, "SIGKILL"
			}
			set.Runs = append(set.Runs, r)
		}
	}
	return set
}

func openTemp(t *testing.T) (*History, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "history.db")
	h, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h, path
}

func count(t *testing.T, h *History, table string) int {
	t.Helper()
	var n int
	if err := h.db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAddFolderTwice: a result folder written and read back as bpbench
// does is added once; the same folder again is refused and adds nothing;
// another run's folder is added.
func TestAddFolderTwice(t *testing.T) {
	ctx := context.Background()
	h, _ := openTemp(t)
	dir := t.TempDir()
	if err := resultSet("aaa111", 3, 4, 0).WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	set, err := results.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	added, err := h.Add(ctx, set, Meta{Branch: "main", CommitTime: time.Unix(1e9, 0), Source: dir})
	if err != nil {
		t.Fatal(err)
	}
	if added.Commit != "aaa111" || added.Runs != 6 {
		t.Errorf("added %+v, want commit aaa111 and 6 runs", added)
	}
	runs, values := count(t, h, "runs"), count(t, h, "run_values")

	again, err := results.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.Add(ctx, again, Meta{Commit: "other", Branch: "main"})
	var dup *DuplicateError
	if !errors.As(err, &dup) || dup.ID != added.ID || dup.Commit != "aaa111" {
		t.Fatalf("second add of the same folder: %v, want a DuplicateError naming set %d", err, added.ID)
	}
	if !strings.Contains(err.Error(), "already in the history") {
		t.Errorf("error %q does not say why", err)
	}
	if count(t, h, "result_sets") != 1 || count(t, h, "runs") != runs || count(t, h, "run_values") != values {
		t.Error("the refused add changed the history")
	}
	if _, err := h.Add(ctx, resultSet("bbb222", 3, 4, 0), Meta{}); err != nil {
		t.Fatalf("another run's set: %v", err)
	}
	if n := count(t, h, "result_sets"); n != 2 {
		t.Errorf("%d sets, want 2", n)
	}
}

// TestAddStoresEveryRun: every run's figures are stored per unit, not a
// summary: values, outcome and time to OOM; interrupted and baseline runs
// are skipped.
func TestAddStoresEveryRun(t *testing.T) {
	ctx := context.Background()
	h, _ := openTemp(t)
	set := resultSet("aaa111", 5, 4, 2)
	set.Runs[0].Outcome = results.Interrupted
	set.Runs[1].Side = results.SideBase
	added, err := h.Add(ctx, set, Meta{Machine: Machine{Cores: 2, Kernel: "6.1.0", CapMechanism: "cgroup2"}})
	if err != nil {
		t.Fatal(err)
	}
	if added.Runs != 8 || added.Skipped != 2 {
		t.Errorf("added %+v, want 8 runs and 2 skipped", added)
	}
	var oom int
	var at float64
	if err := h.db.QueryRow(`SELECT COUNT(*), MAX(time_to_oom_seconds) FROM runs WHERE outcome = 'oom'`).Scan(&oom, &at); err != nil {
		t.Fatal(err)
	}
	if oom != 1 || at != 1.5 { // the naive side's rep 0 was the baseline's
		t.Errorf("%d oom runs, time to OOM %g; want 1 and 1.5", oom, at)
	}
	series, err := h.Query(ctx, QueryOptions{Benchmark: "TightLoop/variant=naive*"})
	if err != nil {
		t.Fatal(err)
	}
	units := map[string]Series{}
	for _, s := range series {
		units[s.Unit] = s
		if s.Machine.CapMechanism != "cgroup2" || s.Machine.Cores != 2 || s.Machine.MemLimit != 128<<20 || s.Machine.HardLimit != 160<<20 {
			t.Errorf("%s: machine %+v", s.SeriesKey, s.Machine)
		}
	}
	for _, u := range []string{results.UnitSec, results.UnitPeakRSS, results.UnitPeakHeap, results.UnitMaxBuffered, results.UnitOOM, results.UnitFailed, results.UnitTimeToOOM} {
		if _, ok := units[u]; !ok {
			t.Errorf("no %s series", u)
		}
	}
	if p := units[results.UnitOOM].Points[0]; len(p.Values) != 4 || p.Value != 0.25 {
		t.Errorf("oom-runs of the naive side: %v (value %g), want 4 runs, one of them oom", p.Values, p.Value)
	}
	if p := units[results.UnitSec].Points[0]; len(p.Values) != 3 {
		t.Errorf("sec/op has %d values, want the 3 runs that finished", len(p.Values))
	}
}

// TestOpenNewerSchema: a history from a newer bpbench is refused with the
// fix, and the file is byte for byte what it was.
func TestOpenNewerSchema(t *testing.T) {
	ctx := context.Background()
	h, path := openTemp(t)
	if _, err := h.Add(ctx, resultSet("aaa111", 2, 4, 0), Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.Exec(`UPDATE schema_version SET version = ?`, SchemaVersion+1); err != nil {
		t.Fatal(err)
	}
	h.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, path)
	var tooNew *SchemaTooNewError
	if !errors.As(err, &tooNew) || tooNew.Version != SchemaVersion+1 {
		t.Fatalf("Open of a newer schema: %v, want a SchemaTooNewError", err)
	}
	if !strings.Contains(err.Error(), "use the bpbench that wrote it or a newer one") {
		t.Errorf("error %q does not name the fix", err)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("Open changed a history it refused")
	}
	assertOnlyFile(t, path)
}

// TestOpenNotHistory: a file that is not a database, a damaged database
// and another program's database are refused, unchanged.
func TestOpenNotHistory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	foreign := filepath.Join(dir, "foreign.db")
	db, err := sql.Open("sqlite", foreign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE notes (body TEXT)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	damaged := filepath.Join(dir, "damaged.db")
	h, err := Open(ctx, damaged)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Add(ctx, resultSet("aaa111", 2, 4, 0), Meta{}); err != nil {
		t.Fatal(err)
	}
	h.Close()
	data, err := os.ReadFile(damaged)
	if err != nil {
		t.Fatal(err)
	}
	for i := 100; i < len(data); i++ { // keep the header, ruin the rest
		data[i] ^= 0x5a
	}
	if err := os.WriteFile(damaged, data, 0o644); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "results.txt")
	if err := os.WriteFile(text, []byte("BenchmarkX 1 2 ns/op\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, reason string }{
		{text, "not an SQLite database"},
		{empty, "an empty file"},
		{foreign, "another program"},
		{damaged, "damaged"},
		{dir, "a folder"},
	} {
		var before []byte
		if c.path != dir {
			before, _ = os.ReadFile(c.path)
		}
		_, err := Open(ctx, c.path)
		var nh *NotHistoryError
		if !errors.As(err, &nh) || !strings.Contains(err.Error(), c.reason) {
			t.Errorf("Open(%s): %v, want a NotHistoryError saying %q", filepath.Base(c.path), err, c.reason)
			continue
		}
		if c.path != dir {
			after, _ := os.ReadFile(c.path)
			if !bytes.Equal(before, after) {
				t.Errorf("Open(%s) changed the file", filepath.Base(c.path))
			}
			assertOnlyFile(t, c.path)
		}
	}
}

// assertOnlyFile fails if SQLite left a journal beside path.
func assertOnlyFile(t *testing.T, path string) {
	t.Helper()
	for _, suffix := range []string{"-journal", "-wal", "-shm"} {
		if _, err := os.Stat(path + suffix); err == nil {
			t.Errorf("%s%s was left behind", filepath.Base(path), suffix)
		}
	}
}

// TestOpenCreates: a new path becomes a history at SchemaVersion, which
// opens again as it is.
func TestOpenCreates(t *testing.T) {
	h, path := openTemp(t)
	var v int
	if err := h.db.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil || v != SchemaVersion {
		t.Fatalf("new history: version %d, %v", v, err)
	}
	h.Close()
	h2, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	h2.Close()
}

// TestCheckInjectedRegression: two ordinary runs and then one whose drain
// side peaks 25% higher: Check passes on the second and fails on the
// third, naming the benchmark, the unit and the commit.
func TestCheckInjectedRegression(t *testing.T) {
	ctx := context.Background()
	h, _ := openTemp(t)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	add := func(i int, commit string, rss float64, oom int) {
		t.Helper()
		set := resultSet(commit, 5, rss, oom)
		for j := range set.Runs { // runs of different sets differ
			set.Runs[j].WallSeconds += float64(i) * 1e-3
		}
		if _, err := h.Add(ctx, set, Meta{CommitTime: t0.Add(time.Duration(i) * time.Hour), Branch: "main"}); err != nil {
			t.Fatal(err)
		}
	}
	add(0, "c0", 4, 5)
	add(1, "c1", 4, 5)
	res, err := h.Check(ctx, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() || res.Commit != "c1" || res.Series == 0 {
		t.Fatalf("second ordinary run: %+v, reasons %q", res, res.Reasons())
	}
	add(2, "c2", 5, 5)
	res, err = h.Check(ctx, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Failed() || res.Commit != "c2" {
		t.Fatalf("injected regression: %+v", res)
	}
	reasons := strings.Join(res.Reasons(), "\n")
	for _, want := range []string{"TightLoop/variant=drain/hwm=16KiB peak-RSS-B", "4.0MiB → 5.0MiB", "+25.0%", "at c2", "strong regression"} {
		if !strings.Contains(reasons, want) {
			t.Errorf("reasons %q do not say %q", reasons, want)
		}
	}
	if strings.Contains(reasons, "variant=naive") {
		t.Errorf("reasons name the naive side, which did not change: %q", reasons)
	}
}

// TestCheckNewOOM: a drain-aware workload that starts to die out of
// memory fails the check on its OOM rate; another machine's or cap's
// history is not compared.
func TestCheckNewOOMAndMachines(t *testing.T) {
	ctx := context.Background()
	h, _ := openTemp(t)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 6 {
		set := resultSet(fmt.Sprint("c", i), 5, 4, 0)
		for j := range set.Runs {
			set.Runs[j].WallSeconds += float64(i) * 1e-3
			if i == 5 {
				set.Runs[j].HardLimit = 256 << 20 // another cap: its own series
			}
		}
		if _, err := h.Add(ctx, set, Meta{CommitTime: t0.Add(time.Duration(i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := h.Check(ctx, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() || len(res.Notes) != 0 {
		t.Fatalf("a set under another cap was compared with the rest: %q", res.Reasons())
	}
	set := resultSet("c6", 5, 4, 0)
	for j := range set.Runs {
		if set.Runs[j].Variant == "drain" {
			set.Runs[j].Outcome, set.Runs[j].TimeToOOMSeconds = results.OOM, ptr(2.0)
		}
	}
	if _, err := h.Add(ctx, set, Meta{CommitTime: t0.Add(7 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	res, err = h.Check(ctx, CheckOptions{Query: QueryOptions{Units: []string{results.UnitOOM}}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Failed() || !strings.Contains(strings.Join(res.Reasons(), "\n"), "TightLoop/variant=drain/hwm=16KiB oom-runs: 0% of runs → 100% of runs") {
		t.Fatalf("new OOMs: %+v, reasons %q", res, res.Reasons())
	}
	ms, err := h.Machines(ctx)
	if err != nil || len(ms) != 2 {
		t.Errorf("machines %v, %v: want 2 (two caps)", ms, err)
	}
}

func TestQuerySinceAndOrder(t *testing.T) {
	ctx := context.Background()
	h, _ := openTemp(t)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	// Added out of commit order; two sets share a commit time.
	for _, c := range []struct {
		commit string
		at     int
	}{{"c2", 2}, {"c0", 0}, {"c1a", 1}, {"c1b", 1}} {
		set := resultSet(c.commit, 2, 4+float64(c.at), 0)
		if _, err := h.Add(ctx, set, Meta{CommitTime: t0.Add(time.Duration(c.at) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	series, err := h.Query(ctx, QueryOptions{Benchmark: "*drain*", Units: []string{results.UnitPeakRSS}})
	if err != nil || len(series) != 1 {
		t.Fatalf("%d series, %v", len(series), err)
	}
	var got []string
	for _, p := range series[0].Points {
		got = append(got, p.Commit)
	}
	if strings.Join(got, " ") != "c0 c1a c1b c2" {
		t.Errorf("order %v, want commit time then insertion", got)
	}
	series, err = h.Query(ctx, QueryOptions{Benchmark: "*drain*", Units: []string{results.UnitPeakRSS}, Since: t0.Add(time.Hour)})
	if err != nil || len(series) != 1 || len(series[0].Points) != 3 {
		t.Fatalf("since: %v, %v", series, err)
	}
	if s, _ := h.Query(ctx, QueryOptions{Benchmark: "Nothing*"}); len(s) != 0 {
		t.Errorf("a glob that matches nothing gave %d series", len(s))
	}
}

func TestExports(t *testing.T) {
	ctx := context.Background()
	h, _ := openTemp(t)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 {
		if _, err := h.Add(ctx, resultSet(fmt.Sprint("c", i), 2, 4+float64(i), 1), Meta{CommitTime: t0.Add(time.Duration(i) * time.Hour), Branch: "main"}); err != nil {
			t.Fatal(err)
		}
	}
	series, err := h.Query(ctx, QueryOptions{Units: []string{results.UnitPeakRSS, results.UnitOOM}})
	if err != nil {
		t.Fatal(err)
	}
	var csv bytes.Buffer
	if err := WriteOtavaCSV(&csv, series); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if len(lines) != 4 || lines[0] != "time,commit,branch,TightLoop/variant=drain/hwm=16KiB:oom-runs,TightLoop/variant=drain/hwm=16KiB:peak-RSS-B,TightLoop/variant=naive/hwm=16KiB:oom-runs,TightLoop/variant=naive/hwm=16KiB:peak-RSS-B" {
		t.Fatalf("otava csv:\n%s", csv.String())
	}
	if want := "2026-03-01 01:00:00 +0000,c1,main,0,5237637,0.5,157286400"; lines[2] != want {
		t.Errorf("row %q, want %q", lines[2], want)
	}

	var bench bytes.Buffer
	if err := h.WriteBenchfmt(ctx, &bench, QueryOptions{}); err != nil {
		t.Fatal(err)
	}
	text := bench.String()
	r := benchfmt.NewReader(&bench, "export")
	n, commits := 0, map[string]int{}
	for r.Scan() {
		res, ok := r.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		n++
		commits[res.GetConfig("commit")]++
		if res.GetConfig("branch") != "main" || res.GetConfig("memlimit") != "128MiB" {
			t.Errorf("result config %v", res.Config)
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 12 || commits["c0"] != 4 || commits["c2"] != 4 {
		t.Errorf("%d results by commit %v, want 12, 4 per commit", n, commits)
	}
	if !strings.Contains(text, "Unit time-to-oom-sec better=higher") {
		t.Errorf("no direction for time-to-oom-sec:\n%s", text)
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		pattern, name string
		want          bool
	}{
		{"*", "TightLoop/variant=drain", true},
		{"TightLoop*", "TightLoop/variant=drain/hwm=16KiB", true},
		{"*drain*", "TightLoop/variant=drain/hwm=16KiB", true},
		{"*naive", "TightLoop/variant=drain", false},
		{"Tight?oop/*", "TightLoop/x", true},
		{"TightLoop", "TightLoop/x", false},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
	} {
		if got := Glob(c.pattern, c.name); got != c.want {
			t.Errorf("Glob(%q, %q) = %v", c.pattern, c.name, got)
		}
	}
}
