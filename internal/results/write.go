package results

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/bpbench/bpbench/internal/size"
	"golang.org/x/perf/benchfmt"
)

// WriteDir writes s to the output folder dir, creating it if needed:
// results.txt, runs.json and samples/ID.csv for every run. Each file is
// written to a temporary file in its final directory and renamed into
// place only once all of them were written, so a reader never sees a half
// file and a write that fails (a full disk, permissions) replaces nothing.
// The renames themselves, samples first and results.txt last, need no
// space. Samples CSVs of an earlier result set that runs.json no longer
// names are removed, and so are a report of it (report.html, report.md,
// plots/). A run without a Samples path gets samples/ID.csv.
func (s *Set) WriteDir(dir string) error {
	samples := filepath.Join(dir, SamplesDir)
	if err := os.MkdirAll(samples, 0o777); err != nil {
		return fmt.Errorf("cannot create output folder %s: %w", dir, err)
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
			return fmt.Errorf("cannot write %s: %w", final, err)
		}
		pending = append(pending, [2]string{tmp, final})
		return nil
	}

	keep := map[string]bool{}
	for i := range s.Runs {
		run := &s.Runs[i]
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
		var buf bytes.Buffer
		if err := WriteSamples(&buf, run.Series); err != nil {
			return err
		}
		if err := put(p, buf.Bytes()); err != nil {
			return err
		}
	}
	runs := s.Runs
	if runs == nil {
		runs = []Run{}
	}
	js, err := json.MarshalIndent(runs, "", "  ")
	if err != nil {
		return err
	}
	if err := put(filepath.Join(dir, RunsFile), append(js, '\n')); err != nil {
		return err
	}
	var bench bytes.Buffer
	if err := s.WriteBench(&bench); err != nil {
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
	// A report of the earlier runs would now describe runs no longer here.
	for _, f := range derivedFiles {
		os.RemoveAll(filepath.Join(dir, f))
	}
	return nil
}

// derivedFiles are written from a folder's runs by bpbench report and plot;
// WriteDir removes them with the runs they describe.
var derivedFiles = []string{"report.html", "report.md", "plots"}

// WriteFileAtomic writes data to path through a temporary file in the same
// folder and a rename, so that a reader sees the old file or the new one,
// never half of one.
func WriteFileAtomic(path string, data []byte) error {
	tmp, err := writeTemp(filepath.Dir(path), filepath.Base(path), data)
	if err == nil {
		if err = os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
		}
	}
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
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

// WriteBench writes the set in Go benchmark format (results.txt) with
// benchfmt.Writer; see the package doc for the units.
func (s *Set) WriteBench(w io.Writer) error {
	bw := benchfmt.NewWriter(w)
	for _, u := range lowerIsBetter {
		m := &benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: u, Key: "better"}, OrigUnit: u, Value: "lower"}
		if err := bw.Write(m); err != nil {
			return err
		}
	}
	m := &benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: UnitTimeToOOM, Key: "better"}, OrigUnit: UnitTimeToOOM, Value: "higher"}
	if err := bw.Write(m); err != nil {
		return err
	}
	for i := range s.Runs {
		if res := s.Runs[i].BenchResult(); res != nil {
			if err := bw.Write(res); err != nil {
				return err
			}
		}
	}
	return nil
}

// BenchResult is the run as one benchmark result, or nil for a run that
// is not a measurement (interrupted).
func (r *Run) BenchResult() *benchfmt.Result {
	if !r.Measured() {
		return nil
	}
	res := &benchfmt.Result{Name: benchfmt.Name(strings.TrimPrefix(r.Name, "Benchmark")), Iters: 1}
	cfg := func(k, v string) {
		if v != "" {
			res.Config = append(res.Config, benchfmt.Config{Key: k, Value: []byte(v), File: true})
		}
	}
	cfg("goos", r.GOOS)
	cfg("goarch", r.GOARCH)
	cfg("cpu", r.CPU)
	if r.MemLimit > 0 {
		cfg("memlimit", size.Format(r.MemLimit))
	}
	if r.HardLimit > 0 {
		cfg("hardlimit", size.Format(r.HardLimit))
	}
	cfg("commit", r.Commit)
	cfg("side", r.Side)
	val := func(v float64, unit string) {
		res.Values = append(res.Values, benchfmt.Value{Value: v, Unit: unit})
	}
	if r.Outcome == OK {
		val(r.WallSeconds, UnitSec)
	}
	if r.PeakRSSBytes > 0 {
		val(float64(r.PeakRSSBytes), UnitPeakRSS)
	}
	if r.PeakHeapBytes != nil {
		val(float64(*r.PeakHeapBytes), UnitPeakHeap)
	}
	if r.MaxBufferedBytes != nil {
		val(float64(*r.MaxBufferedBytes), UnitMaxBuffered)
	}
	val(b2f(r.Outcome == OOM), UnitOOM)
	val(b2f(r.Outcome == Timeout || r.Outcome == Crash), UnitFailed)
	if r.Outcome == OOM && r.TimeToOOMSeconds != nil {
		val(*r.TimeToOOMSeconds, UnitTimeToOOM)
	}
	return res
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// WriteSamples writes a series as CSV with SamplesHeader; fields that hold
// -1 are empty cells.
func WriteSamples(w io.Writer, series []Sample) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(samplesColumns); err != nil {
		return err
	}
	rec := make([]string, len(samplesColumns))
	num := func(v int64) string {
		if v < 0 {
			return ""
		}
		return strconv.FormatInt(v, 10)
	}
	for _, s := range series {
		rec[0] = strconv.FormatFloat(s.T.Seconds(), 'f', 9, 64)
		rec[1], rec[2], rec[3] = num(s.RSS), num(s.Heap), num(s.Buffered)
		rec[4], rec[5], rec[6], rec[7] = num(s.GoTotal), num(s.GCCycles), num(s.FalseReturns), num(s.Drains)
		rec[8] = ""
		if s.DrainWait >= 0 {
			rec[8] = strconv.FormatFloat(s.DrainWait.Seconds(), 'f', 9, 64)
		}
		rec[9] = num(s.Written)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
