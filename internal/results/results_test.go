package results

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"
)

func ptr[T any](v T) *T { return &v }

// sampleResults is a result set with every kind of run and sample.
func sampleResults() *Set {
	base := Run{GOOS: "linux", GOARCH: "amd64", CPU: "Test CPU", Commit: "abc123", MemLimit: 128 << 20, HardLimit: 256 << 20, IntervalSeconds: 0.005, Argv: []string{"/bin/bpbench", "workload", "x"}}
	mk := func(i int, bench, variant string, out Outcome, params ...Param) Run {
		r := base
		r.Index, r.Rep, r.Bench, r.Variant, r.Outcome, r.Params = i, i/2, bench, variant, out, params
		r.Workload = strings.ToLower(bench)
		name := bench
		if variant != "" {
			name += "/variant=" + variant
		}
		for _, p := range params {
			name += "/" + p.Key + "=" + p.Value
		}
		r.Name = "Benchmark" + name
		r.ID = strings.ReplaceAll(name, "/", "_") + "-rep" + string(rune('0'+r.Rep))
		r.Samples = "samples/" + r.ID + ".csv"
		r.WallSeconds, r.PeakRSSBytes, r.ExitCode = 0.25+float64(i), int64(10+i)<<20, 0
		return r
	}
	hwm := Param{"hwm", "64KiB"}
	drain := mk(0, "TightLoop", "drain", OK, hwm, Param{"lines", "5000000"})
	drain.PeakHeapBytes, drain.MaxBufferedBytes = ptr(int64(3<<20)), ptr(int64(65536))
	drain.WritesAfterFalse, drain.BytesAfterFalse, drain.ExtraDrainListeners = ptr(int64(0)), ptr(int64(0)), ptr(int64(0))
	drain.Machine = &Machine{Cores: 2, MemoryBytes: 8 << 30, Kernel: "Linux 6.1.0", GoVersion: "go1.24.2", LoadAverage: []float64{0.5, 0.25, 0.1}}
	drain.Series = []Sample{
		{T: 5 * time.Millisecond, RSS: 8 << 20, Heap: -1, Buffered: -1, GoTotal: -1, GCCycles: -1, FalseReturns: -1, Drains: -1, DrainWait: -1},
		{T: 10 * time.Millisecond, RSS: 9 << 20, Heap: 3 << 20, Buffered: 1024, GoTotal: 7 << 20, GCCycles: 2, FalseReturns: 5, Drains: 5, DrainWait: 1234567 * time.Nanosecond},
		{T: 12 * time.Millisecond, RSS: -1, Heap: 2 << 20, Buffered: 0, GoTotal: 7 << 20, GCCycles: 3, FalseReturns: 6, Drains: 6, DrainWait: 2 * time.Millisecond},
	}
	naive := mk(1, "TightLoop", "naive", OOM, hwm, Param{"lines", "5000000"})
	naive.PeakHeapBytes, naive.MaxBufferedBytes = ptr(int64(200<<20)), ptr(int64(190<<20))
	naive.TimeToOOMSeconds, naive.ExitCode, naive.Signal = ptr(1.5), -1, "SIGKILL"
	naive.StderrTail, naive.Note = "some\nstderr ✓\n", "RSS crossed"
	naive.WritesAfterFalse, naive.BytesAfterFalse, naive.ExtraDrainListeners = ptr(int64(183412)), ptr(int64(37330000)), ptr(int64(0))
	naive.PushesAfterFalse, naive.BytesPushedAfterFalse = ptr(int64(7)), ptr(int64(7168))
	naive.Violations = []Violation{
		{Kind: WriteAfterFalse, Site: "/src/bpbench/workloads/lines.go:94", Function: "github.com/bpbench/bpbench/workloads.naiveLines", Count: 183412, Bytes: 37330000},
		{Kind: PushAfterFalse, Site: "file:///home/u/flood.js:12", Count: 7, Bytes: 7168},
	}
	naive.Series = []Sample{{T: time.Second, RSS: 257 << 20, Heap: 200 << 20, Buffered: 190 << 20, GoTotal: 250 << 20, GCCycles: 40, FalseReturns: 99, Drains: 0, DrainWait: 0}}
	cmd := mk(2, "Cmd", "", Crash)
	cmd.ExitCode = 3
	cmd.Series = []Sample{{T: time.Millisecond, RSS: 1 << 20, Heap: -1, Buffered: -1, GoTotal: -1, GCCycles: -1, FalseReturns: -1, Drains: -1, DrainWait: -1}}
	stopped := mk(3, "TightLoop", "drain", Interrupted, hwm, Param{"lines", "5000000"})
	stopped.Series = []Sample{}
	return &Set{Runs: []Run{drain, naive, cmd, stopped}}
}

func TestWriteDirReadDirRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	want := sampleResults()
	if err := want.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	got, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Runs {
		if len(want.Runs[i].Series) == 0 {
			want.Runs[i].Series = nil
		}
		if len(want.Runs[i].Params) == 0 {
			want.Runs[i].Params = nil
		}
	}
	if !reflect.DeepEqual(got, want) {
		for i := range want.Runs {
			if !reflect.DeepEqual(got.Runs[i], want.Runs[i]) {
				t.Errorf("run %d:\n got %+v\nwant %+v", i, got.Runs[i], want.Runs[i])
			}
		}
	}

	// runs.json: the documented fields, params as an ordered object.
	data, _ := os.ReadFile(filepath.Join(dir, RunsFile))
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"workload", "variant", "bench", "params", "rep", "outcome", "wall_seconds", "peak_rss_bytes", "peak_heap_bytes",
		"max_buffered_bytes", "time_to_oom_seconds", "samples", "exit_code", "signal", "stderr_tail", "argv"} {
		if _, ok := raw[1][k]; !ok {
			t.Errorf("runs.json oom run lacks %q", k)
		}
	}
	var params bytes.Buffer
	json.Compact(&params, raw[0]["params"])
	if p := params.String(); p != `{"hwm":"64KiB","lines":"5000000","memlimit":"128MiB","hard_limit":"256MiB"}` {
		t.Errorf("params %s", p)
	}
	var m bytes.Buffer
	json.Compact(&m, raw[0]["machine"])
	if m.String() != `{"cores":2,"memory_bytes":8589934592,"kernel":"Linux 6.1.0","go_version":"go1.24.2","load_average":[0.5,0.25,0.1]}` {
		t.Errorf("machine %s; want the recorded facts and nothing unrecorded", m.String())
	}
	if _, ok := raw[1]["machine"]; ok {
		t.Error("machine on a run that recorded none")
	}
	// Backpressure violations: the counts where reported (0 included),
	// with their call sites; nothing for a run that reported none.
	for k, want := range map[string]string{"writes_after_false": "183412", "bytes_after_false": "37330000", "pushes_after_false": "7",
		"bytes_pushed_after_false": "7168", "extra_drain_listeners": "0"} {
		if got := string(raw[1][k]); got != want {
			t.Errorf("runs.json naive run %s = %s, want %s", k, got, want)
		}
	}
	var sites bytes.Buffer
	json.Compact(&sites, raw[1]["violations"])
	if s := sites.String(); !strings.HasPrefix(s, `[{"kind":"write-after-false","site":"/src/bpbench/workloads/lines.go:94","function":"github.com/bpbench/bpbench/workloads.naiveLines","count":183412,"bytes":37330000}`) {
		t.Errorf("runs.json violations %s", s)
	}
	if string(raw[0]["writes_after_false"]) != "0" {
		t.Errorf("drain run writes_after_false %s; want 0 (reported, none)", raw[0]["writes_after_false"])
	}
	for _, k := range []string{"writes_after_false", "bytes_after_false", "pushes_after_false", "extra_drain_listeners", "violations"} {
		if _, ok := raw[2][k]; ok {
			t.Errorf("runs.json has %q for a run that did not report it", k)
		}
	}
	if _, ok := raw[0]["time_to_oom_seconds"]; ok {
		t.Error("time_to_oom_seconds on an ok run")
	}
	if string(raw[2]["peak_heap_bytes"]) != "null" {
		t.Errorf("external command peak heap %s; want null", raw[2]["peak_heap_bytes"])
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "samples", "TightLoop_variant=drain_hwm=64KiB_lines=5000000-rep0.csv"))
	if !strings.HasPrefix(string(csv), SamplesHeader+"\n0.005000000,8388608,,,,,,,,0\n") {
		t.Errorf("samples CSV:\n%s", csv)
	}

	// Writing a smaller set replaces the files and drops stale samples;
	// no temporary file is left behind.
	small := &Set{Runs: want.Runs[:1]}
	if err := small.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	var names []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			names = append(names, rel)
		}
		return nil
	})
	if !slices.Equal(names, []string{ManifestFile, "results.txt", "runs.json", "samples/TightLoop_variant=drain_hwm=64KiB_lines=5000000-rep0.csv"}) {
		t.Errorf("folder holds %q", names)
	}
	if got, err := ReadDir(dir); err != nil || len(got.Runs) != 1 {
		t.Errorf("reread: %v, %v", got, err)
	}
}

func TestWriteDirRefusesUnwritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	err := sampleResults().WriteDir(filepath.Join(file, "out"))
	if err == nil || !strings.Contains(err.Error(), "cannot create output folder") {
		t.Errorf("err = %v", err)
	}
	if _, err := ReadDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "bpbench output folder") {
		t.Errorf("ReadDir of an empty folder: %v", err)
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// results.txt is what benchfmt (and so benchstat) reads.
func TestResultsTxtIsBenchfmt(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleResults().WriteBench(&buf); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "results.txt")
	if *update {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(golden, buf.Bytes(), 0o644)
	}
	if want, err := os.ReadFile(golden); err != nil || !bytes.Equal(want, buf.Bytes()) {
		t.Errorf("results.txt differs from %s (go test ./internal/results -update rewrites it; %v):\n%s", golden, err, buf.String())
	}
	r := benchfmt.NewReader(&buf, "results.txt")
	var names []string
	var values []map[string]float64
	for r.Scan() {
		switch rec := r.Result(); rec := rec.(type) {
		case *benchfmt.SyntaxError:
			t.Errorf("syntax error: %v", rec)
		case *benchfmt.Result:
			names = append(names, string(rec.Name.Full()))
			for k, want := range map[string]string{"goos": "linux", "goarch": "amd64", "cpu": "Test CPU", "memlimit": "128MiB", "hardlimit": "256MiB", "commit": "abc123"} {
				if got := rec.GetConfig(k); got != want {
					t.Errorf("%s: config %s = %q, want %q", rec.Name, k, got, want)
				}
			}
			v := map[string]float64{}
			for _, val := range rec.Values {
				v[val.Unit] = val.Value
			}
			values = append(values, v)
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"TightLoop/variant=drain/hwm=64KiB/lines=5000000", "TightLoop/variant=naive/hwm=64KiB/lines=5000000", "Cmd"}
	if !slices.Equal(names, wantNames) {
		t.Fatalf("names %v; want %v (interrupted run left out)", names, wantNames)
	}
	if v := values[0]; v["sec/op"] != 0.25 || v["peak-RSS-B"] != 10<<20 || v["peak-heap-B"] != 3<<20 || v["max-buffered-B"] != 65536 || v["oom-runs"] != 0 || v["failed-runs"] != 0 {
		t.Errorf("drain values %v", v)
	}
	if v := values[1]; v["oom-runs"] != 1 || v["failed-runs"] != 0 || v["time-to-oom-sec"] != 1.5 || v["sec/op"] != 0 {
		t.Errorf("oom values %v", v)
	}
	for i, want := range []map[string]float64{
		{"writes-after-false": 0, "extra-drain-listeners": 0},
		{"writes-after-false": 183412, "pushes-after-false": 7, "extra-drain-listeners": 0},
	} {
		for u, n := range want {
			if got, ok := values[i][u]; !ok || got != n {
				t.Errorf("%s: %s = %v (present %v); want %v", names[i], u, got, ok, n)
			}
		}
	}
	if _, ok := values[0]["pushes-after-false"]; ok {
		t.Error("pushes-after-false written for a run that did not report it")
	}
	if v := values[2]; v["failed-runs"] != 1 || len(v) != 3 {
		t.Errorf("external crash values %v; want no heap or buffered", v)
	}
	for _, u := range lowerIsBetter {
		if r.Units().GetBetter(u) != -1 {
			t.Errorf("unit %s lacks better=lower", u)
		}
	}
}

func TestMergeRejects(t *testing.T) {
	write := func(res *Set) string {
		dir := t.TempDir()
		if err := res.WriteDir(dir); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	all := sampleResults().Runs
	a := write(&Set{Runs: all[:2]})
	b := write(&Set{Runs: all[2:]})
	merged, err := Merge([]string{b, a}, MergeOptions{})
	if err != nil || len(merged.Runs) != 4 || merged.Runs[0].Index != 0 || merged.Runs[3].Index != 3 {
		t.Fatalf("merge: %v %v", merged, err)
	}
	if _, err := Merge([]string{a, a}, MergeOptions{}); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("duplicate shard: %v", err)
	}
	other := slices.Clone(all[2:])
	other[0].HardLimit = 512 << 20
	if _, err := Merge([]string{a, write(&Set{Runs: other})}, MergeOptions{}); err == nil || !strings.Contains(err.Error(), "hard limit") {
		t.Errorf("disagreeing limits: %v", err)
	}
	other = slices.Clone(all[2:])
	other[0].Commit = "def456"
	if _, err := Merge([]string{a, write(&Set{Runs: other})}, MergeOptions{}); err == nil || !strings.Contains(err.Error(), "commit") {
		t.Errorf("disagreeing commits: %v", err)
	}
	if _, err := Merge(nil, MergeOptions{}); err == nil {
		t.Error("merge of nothing")
	}
}

func TestLockDir(t *testing.T) {
	dir := t.TempDir()
	unlock, err := LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LockDir(dir); err == nil || !strings.Contains(err.Error(), "is writing to") || !strings.Contains(err.Error(), "pid") {
		t.Errorf("second lock: %v; want an error naming the other process", err)
	}
	unlock()
	unlock2, err := LockDir(dir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	unlock2()
}

// A new result set removes the report of the old one, registered with
// WriteReport: it would describe runs that are no longer in the folder.
func TestWriteDirRemovesStaleReport(t *testing.T) {
	dir := t.TempDir()
	if err := sampleResults().WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if err := WriteReport(dir, File{"report.html", []byte("old")}, File{"plots/x.svg", []byte("old")}); err != nil {
		t.Fatal(err)
	}
	if err := sampleResults().WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"report.html", "plots/x.svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s of the earlier runs is still there", f)
		}
	}
}

func TestHasRuns(t *testing.T) {
	dir := t.TempDir()
	if HasRuns(dir) {
		t.Error("an empty folder has runs")
	}
	os.WriteFile(filepath.Join(dir, RunsFile), []byte("[]"), 0o644)
	if HasRuns(dir) {
		t.Error("runs.json with no runs has runs")
	}
	dir = t.TempDir()
	if err := sampleResults().WriteDir(dir); err != nil || !HasRuns(dir) {
		t.Errorf("a written folder: %v", err)
	}
}

// A run capped by a cgroup says so in its configuration (cap:) and carries
// the cgroup's own peak as its own unit; a watchdog run has no such unit.
func TestResultsTxtCarriesTheCap(t *testing.T) {
	peak := int64(80 << 20)
	r := Run{Name: "BenchmarkX/variant=drain", Outcome: OK, WallSeconds: 0.1, PeakRSSBytes: 1 << 20,
		Machine: &Machine{CapMechanism: "cgroup1"}, CgroupPeakBytes: &peak}
	res := r.BenchResult()
	var capCfg string
	for _, c := range res.Config {
		if c.Key == "cap" {
			capCfg = string(c.Value)
		}
	}
	if capCfg != "cgroup1" {
		t.Errorf("cap config %q; want cgroup1", capCfg)
	}
	if v, ok := res.Value(UnitPeakCgroup); !ok || v != float64(peak) {
		t.Errorf("%s = %v, %v; want %d", UnitPeakCgroup, v, ok, peak)
	}
	r.Machine.CapMechanism, r.CgroupPeakBytes = "watchdog", nil
	if _, ok := r.BenchResult().Value(UnitPeakCgroup); ok {
		t.Errorf("a watchdog run reports %s", UnitPeakCgroup)
	}
}

// A runs.json written before bpbench recorded backpressure violations
// reads back without them, and its results.txt has no such unit.
func TestReadDirWithoutViolations(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, SamplesDir), 0o755)
	os.WriteFile(filepath.Join(dir, SamplesDir, "a.csv"), []byte(SamplesHeader+"\n0.005000000,8388608,,,,,,,,\n"), 0o644)
	os.WriteFile(filepath.Join(dir, RunsFile), []byte(`[{"index":0,"id":"a","name":"BenchmarkTightLoop/variant=naive","bench":"TightLoop","workload":"tight-loop",
"variant":"naive","params":{"memlimit":"128MiB"},"rep":0,"outcome":"ok","wall_seconds":1,"peak_rss_bytes":8388608,"peak_heap_bytes":1024,
"max_buffered_bytes":null,"samples":"samples/a.csv","exit_code":0,"argv":["x"],"goos":"linux","goarch":"amd64","commit":"c","interval_seconds":0.005}]`), 0o644)
	set, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := set.Runs[0]
	if r.WritesAfterFalse != nil || r.BytesAfterFalse != nil || r.PushesAfterFalse != nil || r.ExtraDrainListeners != nil || r.Violations != nil {
		t.Errorf("an old run reads with violations: %+v", r)
	}
	for _, v := range r.BenchResult().Values {
		if IsViolation(v.Unit) {
			t.Errorf("an old run has %s in results.txt", v.Unit)
		}
	}
}

// A run for a --duration has no sec/op: its wall time is the window it was
// given, not the program's speed.
func TestDurationRunHasNoSecOp(t *testing.T) {
	r := Run{Name: "BenchmarkCmd/name=server", Outcome: OK, WallSeconds: 30.2, PeakRSSBytes: 1 << 20, DurationSeconds: 30}
	if _, ok := r.BenchResult().Value(UnitSec); ok {
		t.Error("a duration run reports sec/op")
	}
	r.DurationSeconds = 0
	if _, ok := r.BenchResult().Value(UnitSec); !ok {
		t.Error("a run without a duration lost its sec/op")
	}
}
