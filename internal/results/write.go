package results

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/bpbench/bpbench/internal/size"
	"golang.org/x/perf/benchfmt"
)

// WriteDir writes s to the output folder dir, creating it if needed:
// results.txt, runs.json and samples/ID.csv for every run (a run without a
// Samples path gets samples/ID.csv), listed with their sizes and SHA-256
// sums in dir's manifest (ManifestFile). The caller holds dir's lock
// (LockDir) when another process might write it.
//
// dir must be absent, empty, or hold only the files of an earlier result
// set (its manifest's): anything else is refused with a *NotOwnedError
// before anything is written. The new set replaces exactly the earlier
// set's files, report pages and charts written with WriteReport included, and
// nothing else; no symbolic link is followed.
//
// The write is all or nothing, whenever it is killed: the new set is
// written and synced into a fresh hidden staging folder in dir; renaming
// that folder to .bpbench-publish commits it; its files are then moved into
// place, the earlier set's other files removed, and its manifest moved in
// last. A reader (ReadDir) takes a committed set's files from the publish
// folder first, so it sees the old set before the commit and the new one
// after; the next writer finishes a committed publication, or removes an
// uncommitted staging folder and leftover temporaries.
func (s *Set) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fmt.Errorf("cannot create output folder %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("cannot open output folder %s: %w", dir, err)
	}
	defer root.Close()
	if _, err := prepare(root, dir); err != nil {
		return err
	}
	stage, err := newStage(root)
	if err != nil {
		return fmt.Errorf("cannot write output folder %s: %w", dir, err)
	}
	defer stage.discard()
	if err := s.writeFiles(stage); err != nil {
		return fmt.Errorf("cannot write output folder %s: %w", dir, err)
	}
	if err := stage.commit(); err != nil {
		return fmt.Errorf("cannot write output folder %s: %w", dir, err)
	}
	if err := rollForward(root); err != nil {
		return fmt.Errorf("cannot finish writing output folder %s: %w (the new result is complete and readable; run again to tidy it)", dir, err)
	}
	return nil
}

// writeFiles writes the set's files into the stage.
func (s *Set) writeFiles(st *stage) error {
	seen := map[string]bool{}
	for i := range s.Runs {
		run := &s.Runs[i]
		if run.Samples == "" {
			run.Samples = SamplesDir + "/" + run.ID + ".csv"
		}
		name, err := samplesName(run.Samples)
		if err != nil {
			return err
		}
		if seen[name] {
			return fmt.Errorf("two runs share the samples file %s: is a run in the set twice?", run.Samples)
		}
		seen[name] = true
		var buf bytes.Buffer
		if err := WriteSamples(&buf, run.Series); err != nil {
			return err
		}
		if err := st.put(name, buf.Bytes()); err != nil {
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
	if err := st.put(RunsFile, append(js, '\n')); err != nil {
		return err
	}
	var bench bytes.Buffer
	if err := s.WriteBench(&bench); err != nil {
		return err
	}
	return st.put(ResultsFile, bench.Bytes())
}

// stage is a new result set being written into a fresh hidden folder of
// the output folder.
type stage struct {
	root *os.Root
	dir  string
	m    Manifest
	dirs map[string]bool
	done bool
}

func newStage(root *os.Root) (*stage, error) {
	for {
		dir := stagePrefix + rand.Text()[:12]
		err := root.Mkdir(dir, 0o700)
		if err == nil {
			return &stage{root: root, dir: dir, m: Manifest{Format: manifestFormat}, dirs: map[string]bool{".": true}}, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
}

// put writes the file name of the set, synced, and lists it.
func (st *stage) put(name string, data []byte) error {
	if d := path.Dir(name); !st.dirs[d] {
		if err := mkdirs(st.root, path.Join(st.dir, d)); err != nil {
			return err
		}
		st.dirs[d] = true
	}
	f, err := st.root.OpenFile(filepath.FromSlash(path.Join(st.dir, name)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if err := writeSync(f, data); err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	st.m.set(OwnedFile{Name: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])})
	return nil
}

// commit writes the stage's manifest, syncs its folders and renames it to
// the publish folder: from then on the new set is the folder's result.
func (st *stage) commit() error {
	data, err := st.m.marshal()
	if err != nil {
		return err
	}
	f, err := st.root.OpenFile(filepath.FromSlash(path.Join(st.dir, ManifestFile)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if err := writeSync(f, data); err != nil {
		return err
	}
	for d := range st.dirs {
		if err := syncDir(st.root, path.Join(st.dir, d)); err != nil {
			return err
		}
	}
	if err := st.root.Rename(st.dir, publishDir); err != nil {
		return err
	}
	st.done = true
	return syncDir(st.root, ".")
}

// discard removes an uncommitted stage.
func (st *stage) discard() {
	if !st.done {
		st.root.RemoveAll(st.dir)
	}
}

// samplesName is a run's relative samples path as a name of the folder,
// refusing paths that leave samples/.
func samplesName(rel string) (string, error) {
	clean := path.Clean(rel)
	if !validName(clean) || !strings.HasPrefix(clean, SamplesDir+"/") {
		return "", fmt.Errorf("samples path %q is not inside %s/", rel, SamplesDir)
	}
	return clean, nil
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
	if r.Machine != nil {
		cfg("cap", r.Machine.CapMechanism)
	}
	cfg("commit", r.Commit)
	cfg("side", r.Side)
	val := func(v float64, unit string) {
		res.Values = append(res.Values, benchfmt.Value{Value: v, Unit: unit})
	}
	// A run for a --duration lasts as long as it was told to: its wall time
	// measures the window, not the program, and is no sec/op.
	if r.Outcome == OK && r.DurationSeconds == 0 {
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
	if r.CgroupPeakBytes != nil {
		val(float64(*r.CgroupPeakBytes), UnitPeakCgroup)
	}
	val(b2f(r.Outcome == OOM), UnitOOM)
	val(b2f(r.Outcome == Timeout || r.Outcome == Crash), UnitFailed)
	if r.Outcome == OOM && r.TimeToOOMSeconds != nil {
		val(*r.TimeToOOMSeconds, UnitTimeToOOM)
	}
	for _, c := range []struct {
		n    *int64
		unit string
	}{{r.WritesAfterFalse, UnitWritesAfterFalse}, {r.PushesAfterFalse, UnitPushesAfterFalse}, {r.ExtraDrainListeners, UnitExtraDrainListeners}} {
		if c.n != nil {
			val(float64(*c.n), c.unit)
		}
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
