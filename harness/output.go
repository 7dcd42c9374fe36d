package harness

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bpbench/bpbench/internal/size"
	"golang.org/x/perf/benchfmt"
)

// Files of an output folder.
const (
	ResultsFile = "results.txt"
	RunsFile    = "runs.json"
	SamplesDir  = "samples"
)

// SamplesHeader is the first line of every samples CSV. Cells a source did
// not report are empty.
const SamplesHeader = "t_seconds,rss_bytes,heap_bytes,buffered_bytes,go_total_bytes,gc_cycles,false_returns,drains,drain_wait_seconds"

// Units of results.txt besides sec/op. Every run that is not Interrupted
// has one line with sec/op (wall time; for a killed run, time to the kill),
// peak-RSS-B, oom-runs and failed-runs, and — for children that speak the
// probe protocol — peak-heap-B and max-buffered-B. oom-runs is 1 for an
// oom run and 0 otherwise, failed-runs the same for timeout and crash, so
// a gate sees a new OOM as oom-runs rising above 0.
var customUnits = []string{"peak-RSS-B", "peak-heap-B", "max-buffered-B", "oom-runs", "failed-runs"}

// WriteDir writes r to the output folder dir, creating it if needed:
// results.txt, runs.json and samples/ID.csv for every run. Each file is
// written to a temporary file in its final directory and renamed into
// place only once all of them were written, so a reader never sees a half
// file and a write that fails (a full disk, permissions) replaces nothing.
// The renames themselves, samples first and results.txt last, need no
// space; should one fail anyway, the folder can hold new samples beside the
// old results.txt, which still describes only its own runs. Files of an earlier result set
// in dir are replaced; samples CSVs that runs.json no longer names are
// removed.
func (r *Results) WriteDir(dir string) error {
	samples := filepath.Join(dir, SamplesDir)
	if err := os.MkdirAll(samples, 0o777); err != nil {
		return fmt.Errorf("cannot create output folder %s: %w; choose a writable folder", dir, err)
	}
	var pending [][2]string // temp, final
	defer func() {
		for _, p := range pending {
			os.Remove(p[0])
		}
	}()
	put := func(final string, data []byte) error {
		tmp, err := writeTemp(filepath.Dir(final), filepath.Base(final), data)
		if err != nil {
			return fmt.Errorf("cannot write output folder %s: %w; choose a writable folder", dir, err)
		}
		pending = append(pending, [2]string{tmp, final})
		return nil
	}

	keep := map[string]bool{}
	for i := range r.Runs {
		run := &r.Runs[i]
		if run.Samples == "" {
			run.Samples = SamplesDir + "/" + run.ID + ".csv"
		}
		p, err := samplesPath(dir, run.Samples)
		if err != nil {
			return err
		}
		if keep[p] {
			return fmt.Errorf("two runs share the samples file %s: is a run in the set twice?", run.Samples)
		}
		keep[p] = true
		if err := put(p, encodeSamples(run.Series)); err != nil {
			return err
		}
	}
	js, err := json.MarshalIndent(r.runsOrEmpty(), "", "  ")
	if err != nil {
		return err
	}
	if err := put(filepath.Join(dir, RunsFile), append(js, '\n')); err != nil {
		return err
	}
	var bench bytes.Buffer
	if err := r.writeBench(&bench); err != nil {
		return err
	}
	if err := put(filepath.Join(dir, ResultsFile), bench.Bytes()); err != nil {
		return err
	}

	// results.txt last: a reader that sees it sees everything it describes.
	for len(pending) > 0 {
		p := pending[0]
		if err := os.Rename(p[0], p[1]); err != nil {
			return fmt.Errorf("cannot write output folder %s: %w", dir, err)
		}
		pending = pending[1:]
	}
	old, _ := filepath.Glob(filepath.Join(samples, "*.csv"))
	for _, f := range old {
		if !keep[f] {
			os.Remove(f)
		}
	}
	return nil
}

func (r *Results) runsOrEmpty() []RunResult {
	if r.Runs == nil {
		return []RunResult{}
	}
	return r.Runs
}

// writeTemp writes data to a new hidden file in dir and returns its name.
func writeTemp(dir, base string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// samplesPath resolves a run's relative samples path inside dir, refusing
// paths that leave it.
func samplesPath(dir, rel string) (string, error) {
	clean := path.Clean(rel)
	if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") || !strings.HasPrefix(clean, SamplesDir+"/") {
		return "", fmt.Errorf("samples path %q is not inside %s/", rel, SamplesDir)
	}
	return filepath.Join(dir, filepath.FromSlash(clean)), nil
}

// writeBench writes results.txt with benchfmt.Writer.
func (r *Results) writeBench(w io.Writer) error {
	bw := benchfmt.NewWriter(w)
	for _, u := range customUnits {
		m := &benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: u, Key: "better"}, OrigUnit: u, Value: "lower"}
		if err := bw.Write(m); err != nil {
			return err
		}
	}
	for i := range r.Runs {
		run := &r.Runs[i]
		if run.Outcome == Interrupted {
			continue
		}
		res := &benchfmt.Result{Name: benchfmt.Name(strings.TrimPrefix(run.Name, "Benchmark")), Iters: 1}
		cfg := func(k, v string) {
			if v != "" {
				res.Config = append(res.Config, benchfmt.Config{Key: k, Value: []byte(v), File: true})
			}
		}
		cfg("goos", run.GOOS)
		cfg("goarch", run.GOARCH)
		cfg("cpu", run.CPU)
		if run.MemLimit > 0 {
			cfg("memlimit", size.Format(run.MemLimit))
		}
		if run.HardLimit > 0 {
			cfg("hardlimit", size.Format(run.HardLimit))
		}
		cfg("commit", run.Commit)
		val := func(v float64, unit string) {
			res.Values = append(res.Values, benchfmt.Value{Value: v, Unit: unit})
		}
		val(run.WallSeconds, "sec/op")
		if run.PeakRSSBytes > 0 {
			val(float64(run.PeakRSSBytes), "peak-RSS-B")
		}
		if run.PeakHeapBytes != nil {
			val(float64(*run.PeakHeapBytes), "peak-heap-B")
		}
		if run.MaxBufferedBytes != nil {
			val(float64(*run.MaxBufferedBytes), "max-buffered-B")
		}
		val(b2f(run.Outcome == OOM), "oom-runs")
		val(b2f(run.Outcome == Timeout || run.Outcome == Crash), "failed-runs")
		if err := bw.Write(res); err != nil {
			return err
		}
	}
	return nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// encodeSamples renders a series as CSV with SamplesHeader.
func encodeSamples(series []Sample) []byte {
	var b []byte
	b = append(b, SamplesHeader...)
	b = append(b, '\n')
	num := func(v int64) {
		b = append(b, ',')
		if v >= 0 {
			b = strconv.AppendInt(b, v, 10)
		}
	}
	for _, s := range series {
		b = strconv.AppendFloat(b, s.T.Seconds(), 'f', 9, 64)
		num(s.RSS)
		num(s.Heap)
		num(s.Buffered)
		num(s.GoTotal)
		num(s.GCCycles)
		num(s.FalseReturns)
		num(s.Drains)
		b = append(b, ',')
		if s.DrainWait >= 0 {
			b = strconv.AppendFloat(b, s.DrainWait.Seconds(), 'f', 9, 64)
		}
		b = append(b, '\n')
	}
	return b
}

// decodeSamples parses a samples CSV written by encodeSamples. Extra
// columns after the known ones are ignored.
func decodeSamples(r io.Reader) ([]Sample, error) {
	sc := bufio.NewScanner(r)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), SamplesHeader) {
		return nil, fmt.Errorf("not a bpbench samples file: want header %q", SamplesHeader)
	}
	var out []Sample
	for line := 2; sc.Scan(); line++ {
		f := strings.Split(sc.Text(), ",")
		if len(f) < 9 {
			return nil, fmt.Errorf("line %d: want 9 columns, have %d", line, len(f))
		}
		secs := func(s string) (time.Duration, error) {
			if s == "" {
				return -1, nil
			}
			v, err := strconv.ParseFloat(s, 64)
			return time.Duration(v*1e9 + 0.5), err
		}
		var ints [7]int64
		for i := range ints {
			ints[i] = -1
			if f[i+1] != "" {
				v, err := strconv.ParseInt(f[i+1], 10, 64)
				if err != nil {
					return nil, fmt.Errorf("line %d: %v", line, err)
				}
				ints[i] = v
			}
		}
		t, err1 := secs(f[0])
		dw, err2 := secs(f[8])
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("line %d: %v", line, err)
		}
		out = append(out, Sample{T: t, RSS: ints[0], Heap: ints[1], Buffered: ints[2], GoTotal: ints[3],
			GCCycles: ints[4], FalseReturns: ints[5], Drains: ints[6], DrainWait: dw})
	}
	return out, sc.Err()
}

// ReadDir reads an output folder written by WriteDir: runs.json and the
// samples it names. results.txt is derived from them and not read.
func ReadDir(dir string) (*Results, error) {
	data, err := os.ReadFile(filepath.Join(dir, RunsFile))
	if err != nil {
		return nil, fmt.Errorf("cannot read results in %s: %w; is it a bpbench output folder?", dir, err)
	}
	res := &Results{}
	if err := json.Unmarshal(data, &res.Runs); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, RunsFile), err)
	}
	for i := range res.Runs {
		run := &res.Runs[i]
		p, err := samplesPath(dir, run.Samples)
		if err != nil {
			return nil, fmt.Errorf("%s: run %s: %w", filepath.Join(dir, RunsFile), run.ID, err)
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", run.ID, err)
		}
		run.Series, err = decodeSamples(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return res, nil
}

// Merge reads the output folders of several shards of one suite and
// combines their runs in suite order. It is an error for two folders to
// hold the same run, or for runs to disagree on the commit, the memory
// limits, the interval, the timeout or the number of shards.
func Merge(dirs []string) (*Results, error) {
	if len(dirs) == 0 {
		return nil, errors.New("merge: no folders given")
	}
	out := &Results{}
	type origin struct {
		dir string
		run *RunResult
	}
	byIndex := map[int]origin{}
	byID := map[string]string{}
	var ref *origin
	for _, dir := range dirs {
		res, err := ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		for i := range res.Runs {
			run := &res.Runs[i]
			if d, ok := byID[run.ID]; ok {
				return nil, fmt.Errorf("merge: run %s is in both %s and %s: give each shard once", run.ID, d, dir)
			}
			if o, ok := byIndex[run.Index]; ok {
				return nil, fmt.Errorf("merge: %s and %s both have run %d of the suite (%s, %s): these are not shards of one suite", o.dir, dir, run.Index, o.run.ID, run.ID)
			}
			if ref == nil {
				ref = &origin{dir, run}
			} else if why := disagree(ref.run, run); why != "" {
				return nil, fmt.Errorf("merge: %s and %s disagree on %s: merge shards of one suite run with the same settings", ref.dir, dir, why)
			}
			byID[run.ID] = dir
			byIndex[run.Index] = origin{dir, run}
			out.Runs = append(out.Runs, *run)
		}
	}
	slices.SortStableFunc(out.Runs, func(a, b RunResult) int { return a.Index - b.Index })
	return out, nil
}

// disagree names the first setting on which two runs of one suite differ.
func disagree(a, b *RunResult) string {
	shardN := func(s string) string { _, n, _ := strings.Cut(s, "/"); return n }
	switch {
	case a.Commit != b.Commit:
		return fmt.Sprintf("the commit (%s vs %s)", a.Commit, b.Commit)
	case a.MemLimit != b.MemLimit:
		return fmt.Sprintf("memlimit (%s vs %s)", size.Format(a.MemLimit), size.Format(b.MemLimit))
	case a.HardLimit != b.HardLimit:
		return fmt.Sprintf("the hard limit (%s vs %s)", size.Format(a.HardLimit), size.Format(b.HardLimit))
	case a.IntervalSeconds != b.IntervalSeconds:
		return fmt.Sprintf("the interval (%gs vs %gs)", a.IntervalSeconds, b.IntervalSeconds)
	case a.TimeoutSeconds != b.TimeoutSeconds:
		return fmt.Sprintf("the timeout (%gs vs %gs)", a.TimeoutSeconds, b.TimeoutSeconds)
	case shardN(a.Shard) != shardN(b.Shard):
		return fmt.Sprintf("the number of shards (%q vs %q)", a.Shard, b.Shard)
	}
	return ""
}

// MarshalJSON writes params as a JSON object in cell order, followed by
// memlimit and hard_limit in GOMEMLIMIT syntax.
func (r RunResult) MarshalJSON() ([]byte, error) {
	type plain RunResult
	ps := slices.Clone(r.Params)
	if r.MemLimit > 0 {
		ps = append(ps, Param{"memlimit", size.Format(r.MemLimit)})
	}
	if r.HardLimit > 0 {
		ps = append(ps, Param{"hard_limit", size.Format(r.HardLimit)})
	}
	return json.Marshal(struct {
		plain
		Params orderedParams `json:"params"`
	}{plain(r), ps})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *RunResult) UnmarshalJSON(data []byte) error {
	type plain RunResult
	var v struct {
		plain
		Params orderedParams `json:"params"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*r = RunResult(v.plain)
	r.Params = nil
	for _, p := range v.Params {
		switch p.Key {
		case "memlimit", "hard_limit":
			n, err := size.Parse(p.Value)
			if err != nil {
				return fmt.Errorf("run %s: %s: %w", r.ID, p.Key, err)
			}
			if p.Key == "memlimit" {
				r.MemLimit = n
			} else {
				r.HardLimit = n
			}
		default:
			r.Params = append(r.Params, p)
		}
	}
	return nil
}

// orderedParams is a JSON object of string values that keeps its key order.
type orderedParams []Param

func (ps orderedParams) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, p := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(p.Key)
		v, _ := json.Marshal(p.Value)
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}'), nil
}

func (ps *orderedParams) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		*ps = nil
		return nil
	}
	if tok != json.Delim('{') {
		return errors.New("params: want a JSON object")
	}
	*ps = orderedParams{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return err
		}
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case float64:
			s = strconv.FormatFloat(v, 'f', -1, 64)
		default:
			s = fmt.Sprint(v)
		}
		*ps = append(*ps, Param{Key: kt.(string), Value: s})
	}
	return nil
}
