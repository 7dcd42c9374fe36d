package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"
)

func TestPlanInterleavesAndShards(t *testing.T) {
	got := func(ps []planned) (s []int) {
		for _, p := range ps {
			s = append(s, p.cell*10+p.rep)
		}
		return s
	}
	// Cell c, rep r as c*10+r: rep 0 of every cell, then rep 1, ...
	if all := got(plan(3, 2, Shard{})); !slices.Equal(all, []int{0, 10, 20, 1, 11, 21}) {
		t.Errorf("plan = %v", all)
	}
	var union []int
	for i := range 3 {
		for _, p := range plan(3, 2, Shard{I: i, N: 3}) {
			if p.index%3 != i {
				t.Errorf("shard %d/3 has run %d", i, p.index)
			}
			union = append(union, p.index)
		}
	}
	slices.Sort(union)
	if !slices.Equal(union, []int{0, 1, 2, 3, 4, 5}) {
		t.Errorf("shards cover %v", union)
	}
	if sh, err := ParseShard("1/3"); err != nil || sh != (Shard{1, 3}) {
		t.Errorf("ParseShard(1/3) = %v, %v", sh, err)
	}
	for _, bad := range []string{"3/3", "-1/2", "1", "a/b", "0/0"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) succeeded", bad)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	ok := Cell{Bench: "X", Argv: []string{"sh"}}
	for name, cfg := range map[string]Config{
		"no cells":       {},
		"negative count": {Cells: []Cell{ok}, Count: -1},
		"bad shard":      {Cells: []Cell{ok}, Shard: Shard{2, 2}},
		"duplicate":      {Cells: []Cell{ok, ok}},
		"no argv":        {Cells: []Cell{{Bench: "X"}}},
		"space in bench": {Cells: []Cell{{Bench: "A B", Argv: []string{"sh"}}}},
		"slash in param": {Cells: []Cell{{Bench: "X", Argv: []string{"sh"}, Params: []Param{{"sink", "/dev/null"}}}}},
		"reserved param": {Cells: []Cell{{Bench: "X", Argv: []string{"sh"}, Params: []Param{{"memlimit", "1"}}}}},
		"missing cmd":    {Cells: []Cell{{Bench: "X", Argv: []string{"./no/such/bpbench-cmd"}}}},
		"negative limit": {Cells: []Cell{ok}, MemLimit: -1},
	} {
		if _, err := normalize(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	cfg, err := normalize(Config{Cells: []Cell{ok}, MemLimit: 100})
	if err != nil || cfg.Count != 1 || cfg.HardLimit != 150 || cfg.Interval != DefaultInterval || !filepath.IsAbs(cfg.Cells[0].Argv[0]) {
		t.Errorf("defaults: %+v, %v", cfg, err)
	}
}

func TestProbeLineRoundTrip(t *testing.T) {
	for _, line := range []string{
		`s heap=1 total=2 gc=3 buf=4 peakbuf=5 writes=6 false=7 drains=8 drainwait=9`,
		`f heap=1 total=2 gc=3 buf=4 peakbuf=5 writes=6 false=7 drains=8 drainwait=9 hwm=4096 err="write x: no space \"left\" err=1"`,
	} {
		pl, ok := parseProbeLine(line)
		if !ok || pl.heap != 1 || pl.total != 2 || pl.gc != 3 || pl.buf != 4 || pl.peakBuf != 5 || pl.writes != 6 || pl.falses != 7 || pl.drains != 8 || pl.drain != 9 {
			t.Errorf("parse %q = %+v", line, pl)
		}
		if pl.final != (line[0] == 'f') {
			t.Errorf("final = %v for %q", pl.final, line)
		}
	}
	pl, _ := parseProbeLine(`f hwm=4096 err="write x: no space \"left\" err=1"`)
	if pl.hwm != 4096 || pl.err != `write x: no space "left" err=1` || pl.heap != -1 {
		t.Errorf("final line: %+v", pl)
	}
	if _, ok := parseProbeLine("garbage"); ok {
		t.Error("garbage parsed")
	}
	var ps probeState
	ps.feed([]byte("s heap=10 buf=5 peakbuf=7\nnoise\ns hea"))
	ps.feed([]byte("p=30 buf=1 peakbuf=9\n" + strings.Repeat("z", 70<<10) + "\n"))
	ps.readAll(strings.NewReader("f heap=20 hwm=99"))
	if ps.lines != 3 || ps.peakHeap != 30 || ps.maxBuf != 9 || ps.final == nil || ps.final.hwm != 99 {
		t.Errorf("probe state: %d lines, peak heap %d, max buffered %d, final %+v", ps.lines, ps.peakHeap, ps.maxBuf, ps.final)
	}
}

func TestStartProbeWithoutHarnessIsNoop(t *testing.T) {
	t.Setenv(envProbeFD, "")
	os.Unsetenv(envProbeFD)
	stop := StartProbe(context.Background(), nil)
	stop(nil)
	stop(errors.New("twice"))
}

func TestStderrTail(t *testing.T) {
	var w tailWriter
	w.Write([]byte(strings.Repeat("x", 10000) + "fatal error: runtime: out "))
	if w.oom {
		t.Fatal("oom before the message is complete")
	}
	w.Write([]byte("of memory\n" + strings.Repeat("goroutine dump\n", 1000)))
	if !w.oom {
		t.Error("message split across writes not seen")
	}
	if tail := w.tail(); len(tail) != stderrTail || !strings.HasSuffix(tail, "goroutine dump\n") {
		t.Errorf("tail has %d bytes", len(tail))
	}
}

func ptr[T any](v T) *T { return &v }

// sampleResults is a result set with every kind of run and sample.
func sampleResults() *Results {
	base := RunResult{GOOS: "linux", GOARCH: "amd64", CPU: "Test CPU", Commit: "abc123", MemLimit: 128 << 20, HardLimit: 256 << 20, IntervalSeconds: 0.005, Argv: []string{"/bin/bpbench", "workload", "x"}}
	mk := func(i int, bench, variant string, out Outcome, params ...Param) RunResult {
		r := base
		r.Index, r.Rep, r.Bench, r.Variant, r.Outcome, r.Params = i, i/2, bench, variant, out, params
		r.Workload = strings.ToLower(bench)
		c := Cell{Bench: bench, Variant: variant, Params: params}
		r.Name = "Benchmark" + c.Name()
		r.ID = fileSafe(c.Name()) + "-rep" + string(rune('0'+r.Rep))
		r.Samples = "samples/" + r.ID + ".csv"
		r.WallSeconds, r.PeakRSSBytes, r.ExitCode = 0.25+float64(i), int64(10+i)<<20, 0
		return r
	}
	hwm := Param{"hwm", "64KiB"}
	drain := mk(0, "TightLoop", "drain", OK, hwm, Param{"lines", "5000000"})
	drain.PeakHeapBytes, drain.MaxBufferedBytes = ptr(int64(3<<20)), ptr(int64(65536))
	drain.Series = []Sample{
		{T: 5 * time.Millisecond, RSS: 8 << 20, Heap: -1, Buffered: -1, GoTotal: -1, GCCycles: -1, FalseReturns: -1, Drains: -1, DrainWait: -1},
		{T: 10 * time.Millisecond, RSS: 9 << 20, Heap: 3 << 20, Buffered: 1024, GoTotal: 7 << 20, GCCycles: 2, FalseReturns: 5, Drains: 5, DrainWait: 1234567 * time.Nanosecond},
		{T: 12 * time.Millisecond, RSS: -1, Heap: 2 << 20, Buffered: 0, GoTotal: 7 << 20, GCCycles: 3, FalseReturns: 6, Drains: 6, DrainWait: 2 * time.Millisecond},
	}
	naive := mk(1, "TightLoop", "naive", OOM, hwm, Param{"lines", "5000000"})
	naive.PeakHeapBytes, naive.MaxBufferedBytes = ptr(int64(200<<20)), ptr(int64(190<<20))
	naive.TimeToOOMSeconds, naive.ExitCode, naive.Signal = ptr(1.5), -1, "SIGKILL"
	naive.StderrTail, naive.Note = "some\nstderr ✓\n", "RSS crossed"
	naive.Series = []Sample{{T: time.Second, RSS: 257 << 20, Heap: 200 << 20, Buffered: 190 << 20, GoTotal: 250 << 20, GCCycles: 40, FalseReturns: 99, Drains: 0, DrainWait: 0}}
	cmd := mk(2, "Cmd", "", Crash)
	cmd.ExitCode = 3
	cmd.Series = []Sample{{T: time.Millisecond, RSS: 1 << 20, Heap: -1, Buffered: -1, GoTotal: -1, GCCycles: -1, FalseReturns: -1, Drains: -1, DrainWait: -1}}
	stopped := mk(3, "TightLoop", "drain", Interrupted, hwm, Param{"lines", "5000000"})
	stopped.Series = []Sample{}
	return &Results{Runs: []RunResult{drain, naive, cmd, stopped}}
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
	if _, ok := raw[0]["time_to_oom_seconds"]; ok {
		t.Error("time_to_oom_seconds on an ok run")
	}
	if string(raw[2]["peak_heap_bytes"]) != "null" {
		t.Errorf("external command peak heap %s; want null", raw[2]["peak_heap_bytes"])
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "samples", "TightLoop_variant=drain_hwm=64KiB_lines=5000000-rep0.csv"))
	if !strings.HasPrefix(string(csv), SamplesHeader+"\n0.005000000,8388608,,,,,,,\n") {
		t.Errorf("samples CSV:\n%s", csv)
	}

	// Writing a smaller set replaces the files and drops stale samples;
	// no temporary file is left behind.
	small := &Results{Runs: want.Runs[:1]}
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
	if !slices.Equal(names, []string{"results.txt", "runs.json", "samples/TightLoop_variant=drain_hwm=64KiB_lines=5000000-rep0.csv"}) {
		t.Errorf("folder holds %v", names)
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

// results.txt is what benchfmt (and so benchstat) reads.
func TestResultsTxtIsBenchfmt(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleResults().writeBench(&buf); err != nil {
		t.Fatal(err)
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
	if v := values[1]; v["oom-runs"] != 1 || v["failed-runs"] != 0 || v["sec/op"] != 1.25 {
		t.Errorf("oom values %v", v)
	}
	if v := values[2]; v["failed-runs"] != 1 || len(v) != 4 {
		t.Errorf("external crash values %v; want no heap or buffered", v)
	}
	for _, u := range customUnits {
		if r.Units().GetBetter(u) != -1 {
			t.Errorf("unit %s lacks better=lower", u)
		}
	}
}

func TestMergeRejects(t *testing.T) {
	write := func(res *Results) string {
		dir := t.TempDir()
		if err := res.WriteDir(dir); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	all := sampleResults().Runs
	a := write(&Results{Runs: all[:2]})
	b := write(&Results{Runs: all[2:]})
	merged, err := Merge([]string{b, a})
	if err != nil || len(merged.Runs) != 4 || merged.Runs[0].Index != 0 || merged.Runs[3].Index != 3 {
		t.Fatalf("merge: %v %v", merged, err)
	}
	if _, err := Merge([]string{a, a}); err == nil || !strings.Contains(err.Error(), "is in both") {
		t.Errorf("duplicate shard: %v", err)
	}
	other := slices.Clone(all[2:])
	other[0].HardLimit = 512 << 20
	if _, err := Merge([]string{a, write(&Results{Runs: other})}); err == nil || !strings.Contains(err.Error(), "hard limit") {
		t.Errorf("disagreeing limits: %v", err)
	}
	other = slices.Clone(all[2:])
	other[0].Commit = "def456"
	if _, err := Merge([]string{a, write(&Results{Runs: other})}); err == nil || !strings.Contains(err.Error(), "commit") {
		t.Errorf("disagreeing commits: %v", err)
	}
	if _, err := Merge(nil); err == nil {
		t.Error("merge of nothing")
	}
}

func TestSummary(t *testing.T) {
	var buf bytes.Buffer
	sampleResults().Summary(&buf)
	out := buf.String()
	t.Logf("\n%s", out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "WORKLOAD") {
		t.Fatalf("summary:\n%s", out)
	}
	for i, want := range [][]string{
		{"tightloop", "drain", "hwm=64KiB lines=5000000", "1 ok, 1 interrupted", "250ms", "10.0MiB", "3.0MiB", "64.0KiB"},
		{"tightloop", "naive", "1 oom", "1.25s", "11.0MiB", "200.0MiB", "190.0MiB", "1.50s"},
		{"cmd", "1 crash", "2.25s", "12.0MiB", "-"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i+1], w) {
				t.Errorf("row %d %q lacks %q", i+1, lines[i+1], w)
			}
		}
	}
}

func TestNearCap(t *testing.T) {
	const limit, iv = 100 << 20, 5 * time.Millisecond
	for _, tc := range []struct {
		rss, prev int64
		dt        time.Duration
		want      bool
	}{
		{10 << 20, 9 << 20, iv, false}, // far and slow
		{76 << 20, 76 << 20, iv, true}, // above 3/4
		{60 << 20, 40 << 20, iv, true}, // 20MiB per interval: reaches the cap within two
		{60 << 20, 55 << 20, iv, false},
		{60 << 20, 70 << 20, iv, false}, // shrinking
		{99 << 20, 0, 0, true},
	} {
		if got := nearCap(tc.rss, tc.prev, tc.dt, limit, iv); got != tc.want {
			t.Errorf("nearCap(%d, %d, %v) = %v", tc.rss>>20, tc.prev>>20, tc.dt, got)
		}
	}
	if nearCap(1<<40, 0, iv, 0, iv) {
		t.Error("no cap, yet near it")
	}
}
