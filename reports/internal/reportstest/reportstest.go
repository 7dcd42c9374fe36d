// Package reportstest holds what the tests of reports and its chart and
// page packages share: the golden-file check with its one -update flag,
// and deterministic result sets to report on.
package reportstest

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/rogpeppe/go-internal/diff"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Golden compares got with testdata/name. On a mismatch it writes got to
// testdata/name.got, beside the golden file, and reports a unified diff;
// with -update it rewrites the golden file instead. A match removes a
// .got file left by an earlier failure.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Remove(path + ".got")
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if bytes.Equal(got, want) {
		os.Remove(path + ".got")
		return
	}
	if err := os.WriteFile(path+".got", got, 0o644); err != nil {
		t.Error(err)
	}
	t.Errorf("%s differs from the golden file; the output is in %s.got (go test -update rewrites the golden file):\n%s",
		path, path, diff.Diff(path, want, path+".got", got))
}

// Ptr returns a pointer to v.
func Ptr[T any](v T) *T { return &v }

// Tweak changes one run of a Fixture.
type Tweak func(r *results.Run)

// Fixture is a deterministic suite: cells A (a line writer) and B (a
// pipeline), each drain and naive, reps runs each. Drain runs are flat
// (RSS 10MiB ± a little), naive ones grow and B/naive is killed at the cap.
func Fixture(reps int, side string, tw Tweak) *results.Set {
	set := &results.Set{}
	idx := 0
	for _, bench := range []string{"LineWriter", "Pipeline"} {
		for _, variant := range []string{"drain", "naive"} {
			for rep := 0; rep < reps; rep++ {
				name := fmt.Sprintf("%s/variant=%s/hwm=64KiB", bench, variant)
				r := results.Run{Index: idx, ID: fmt.Sprintf("%s-%s-%s-rep%d", bench, variant, side, rep), Name: "Benchmark" + name,
					Bench: bench, Workload: strings.ToLower(bench), Variant: variant, Side: side, Rep: rep,
					Params: []results.Param{{Key: "hwm", Value: "64KiB"}}, Outcome: results.OK, Commit: "c0ffee",
					GOOS: "linux", GOARCH: "amd64", MemLimit: 128 << 20, HardLimit: 192 << 20, IntervalSeconds: 0.005, Count: reps}
				idx++
				jitter := float64((rep*7)%5) / 100 // 0..4%
				r.WallSeconds = 1 + jitter
				r.PeakRSSBytes = int64(float64(10<<20) * (1 + jitter))
				r.PeakHeapBytes = Ptr(int64(float64(3<<20) * (1 + jitter)))
				r.MaxBufferedBytes = Ptr(int64(64 << 10))
				r.BufferBoundBytes = Ptr(int64(64<<10 + 16))
				grow := 0.0
				if variant == "naive" {
					grow = 60 << 20
					*r.MaxBufferedBytes = 40 << 20
					r.PeakRSSBytes += 60 << 20
				}
				if variant == "naive" && bench == "Pipeline" {
					r.Outcome = results.OOM
					r.TimeToOOMSeconds = Ptr(0.5 + jitter)
					r.PeakRSSBytes = 193 << 20
				}
				for i := 0; i < 40; i++ {
					s := results.NoSample()
					s.T = time.Duration(i+1) * 25 * time.Millisecond
					wig := float64((i*13)%7) * (20 << 10)
					s.RSS = int64(float64(9<<20) + wig + grow*float64(i)/40)
					s.Heap = 3 << 20
					s.Buffered = int64((i*31)%64) << 10
					if variant == "naive" {
						s.Buffered = int64(grow * float64(i) / 40)
					}
					s.Written = int64(i) << 20
					r.Series = append(r.Series, s)
				}
				if tw != nil {
					tw(&r)
				}
				set.Runs = append(set.Runs, r)
			}
		}
	}
	return set
}

// Regressed is the head of the gate tests: LineWriter/drain uses 30% more
// RSS, buffers past its bound and grows (RSS and heap); Pipeline/drain is killed twice.
func Regressed(r *results.Run) {
	if r.Variant != "drain" {
		return
	}
	switch r.Bench {
	case "LineWriter":
		r.PeakRSSBytes = r.PeakRSSBytes * 13 / 10
		*r.MaxBufferedBytes = 512 << 10
		for i := range r.Series {
			r.Series[i].RSS += int64(i) << 20 / 2
			r.Series[i].Heap += int64(i) << 20 / 2 // it holds what it grew by: a leak, not a runtime warming up
		}
	case "Pipeline":
		if r.Rep < 2 {
			r.Outcome = results.OOM
			r.TimeToOOMSeconds = Ptr(0.8)
		}
	}
}

// LinesSite and PipeSite are the call sites where the runs of Ignoring
// write after write() returned false.
const (
	LinesSite = "/src/app/workloads/lines.go:94"
	PipeSite  = "/src/app/workloads/pipe.go:41"
)

// Ignoring is a Tweak: the runs report backpressure violations as
// streamcore does. Drain runs report none; LineWriter/naive writes
// 183,412 times (35.6MiB) after write() returned false at LinesSite,
// Pipeline/naive 5,000 times (1000KiB) at PipeSite.
func Ignoring(r *results.Run) {
	zero := func() *int64 { return Ptr(int64(0)) }
	r.WritesAfterFalse, r.BytesAfterFalse, r.ExtraDrainListeners = zero(), zero(), zero()
	if r.Variant != "naive" {
		return
	}
	v := results.Violation{Kind: results.WriteAfterFalse, Site: LinesSite, Function: "app/workloads.naiveLines", Count: 183412, Bytes: 37330000}
	if r.Bench == "Pipeline" {
		v = results.Violation{Kind: results.WriteAfterFalse, Site: PipeSite, Function: "app/workloads.naivePipe", Count: 5000, Bytes: 1000 << 10}
	}
	*r.WritesAfterFalse, *r.BytesAfterFalse = v.Count, v.Bytes
	r.Violations = []results.Violation{v}
}

// Then is a Tweak that applies a, then b.
func Then(a, b Tweak) Tweak {
	return func(r *results.Run) { a(r); b(r) }
}

// TuneFixture is a sweep: a bigger highWaterMark is faster (up to a point)
// and uses more memory; drain waits fall as it grows.
func TuneFixture(reps int) *results.Set {
	set := &results.Set{}
	for i, h := range []string{"1KiB", "4KiB", "16KiB", "64KiB", "256KiB", "1MiB"} {
		for rep := 0; rep < reps; rep++ {
			r := results.Run{Index: len(set.Runs), ID: fmt.Sprintf("h%d-%d", i, rep), Name: "BenchmarkW/variant=drain/hwm=" + h,
				Bench: "W", Workload: "w", Variant: "drain", Outcome: results.OK, Params: []results.Param{{Key: "hwm", Value: h}}}
			jitter := float64(rep%3) / 100
			r.WallSeconds = (1 + jitter) * []float64{4, 2, 1.2, 1, 0.95, 0.95}[i]
			r.PeakRSSBytes = int64((1 + jitter) * float64(8<<20+int64(1)<<(10+2*i)*3))
			s := results.NoSample()
			s.T, s.Written, s.Drains = time.Second, 100<<20, int64(100<<20)>>(10+2*i)
			r.Series = []results.Sample{s}
			set.Runs = append(set.Runs, r)
		}
	}
	return set
}

// Dir writes set to a folder label in a temporary folder the test removes,
// and returns the folder's path.
func Dir(t testing.TB, set *results.Set, label string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), label)
	if err := set.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}
