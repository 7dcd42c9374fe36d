package history

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bpbench/bpbench/internal/results"
)

// The scale fixture: a history of scaleCommits result sets of
// scaleBenches benchmarks, one run each, six units per run (sec/op,
// peak-RSS-B, peak-heap-B, max-buffered-B, oom-runs, failed-runs), as
// the issue sets it. Built once per test binary, under -bench only.
const (
	scaleCommits = 10000
	scaleBenches = 50
)

var fixture struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

// scaleMachine is the machine resultSet's runs record.
var scaleMachine = Machine{GOOS: "linux", GOARCH: "amd64", CPU: "Test CPU", MemLimit: 128 << 20, HardLimit: 160 << 20}

// scaleHistory returns the path of the scale fixture, building it once:
// rows written straight into the schema in one transaction, many per
// statement, as Add would write them.
func scaleHistory(b *testing.B) string {
	fixture.once.Do(func() {
		fixture.dir, fixture.err = os.MkdirTemp("", "bpbench-history-bench-")
		if fixture.err != nil {
			return
		}
		fixture.path = filepath.Join(fixture.dir, "history.db")
		start := time.Now()
		fixture.err = buildScale(fixture.path)
		b.Logf("built %d commits × %d benchmarks × 6 units in %v", scaleCommits, scaleBenches, time.Since(start).Round(time.Millisecond))
	})
	if fixture.err != nil {
		b.Fatal(fixture.err)
	}
	return fixture.path
}

func buildScale(path string) error {
	ctx := context.Background()
	h, err := Open(ctx, path)
	if err != nil {
		return err
	}
	defer h.Close()
	tx, err := h.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	m := scaleMachine
	if _, err := tx.Exec(`INSERT INTO machines (id, fingerprint, goos, goarch, cpu, cores, kernel, cap_mechanism, memlimit, hard_limit) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.Fingerprint(), m.GOOS, m.GOARCH, m.CPU, m.Cores, m.Kernel, m.CapMechanism, m.MemLimit, m.HardLimit); err != nil {
		return err
	}
	units := []string{results.UnitSec, results.UnitPeakRSS, results.UnitPeakHeap, results.UnitMaxBuffered, results.UnitOOM, results.UnitFailed}
	for i, u := range units {
		if _, err := tx.Exec(`INSERT INTO units (id, name) VALUES (?, ?)`, i+1, u); err != nil {
			return err
		}
	}
	for i := range scaleBenches {
		if _, err := tx.Exec(`INSERT INTO benchmarks (id, name) VALUES (?, ?)`, i+1, fmt.Sprintf("Scale%02d/variant=drain/hwm=16KiB", i)); err != nil {
			return err
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	runQ := `INSERT INTO runs (id, set_id, benchmark_id, machine_id, run_index, rep, outcome, wall_seconds, note) VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?, ?, 1, ?, 0, 'ok', ?, ''), ", scaleBenches), ", ")
	valQ := `INSERT INTO run_values (run_id, unit_id, value) VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", scaleBenches*len(units)), ", ")
	runID := 0
	runArgs := make([]any, 0, 5*scaleBenches)
	valArgs := make([]any, 0, 3*scaleBenches*len(units))
	for c := range scaleCommits {
		set := c + 1
		if _, err := tx.Exec(`INSERT INTO result_sets (id, content_sha256, commit_sha, commit_time, branch, source, added_at, runs) VALUES (?, ?, ?, ?, 'main', 'scale', 0, ?)`,
			set, fmt.Sprintf("scale-%d", c), fmt.Sprintf("%040x", c), t0.Add(time.Duration(c)*time.Hour).UnixNano(), scaleBenches); err != nil {
			return err
		}
		runArgs, valArgs = runArgs[:0], valArgs[:0]
		for bench := range scaleBenches {
			runID++
			// Every tenth benchmark steps up 5% every 2,000 commits.
			level := 1 + 0.05*float64(bench%10/9*(c/2000))
			noise := func() float64 { return level * (1 + 0.02*rng.NormFloat64()) }
			sec := 0.5 * noise()
			runArgs = append(runArgs, runID, set, bench+1, bench, sec)
			for u, v := range []float64{sec, 4e6 * noise(), 2e6 * noise(), 16384, 0, 0} {
				valArgs = append(valArgs, runID, u+1, v)
			}
		}
		if _, err := tx.Exec(runQ, runArgs...); err != nil {
			return err
		}
		if _, err := tx.Exec(valQ, valArgs...); err != nil {
			return err
		}
	}
	// The summaries, as the migration to schema 2 computes them.
	if err := fillSummaries(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

// openScale opens the scale fixture for one benchmark.
func openScale(b *testing.B) (*History, string) {
	path := scaleHistory(b)
	h, err := Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.Close() })
	return h, path
}

// scaleSet is one more commit of the fixture's benchmarks, as a result
// set Add takes.
func scaleSet(i int) *results.Set {
	set := &results.Set{}
	for bench := range scaleBenches {
		r := results.Run{
			Index: bench, ID: fmt.Sprintf("s%02d", bench), Name: fmt.Sprintf("BenchmarkScale%02d/variant=drain/hwm=16KiB", bench),
			GOOS: "linux", GOARCH: "amd64", CPU: "Test CPU", Commit: fmt.Sprintf("new%06d", i),
			MemLimit: 128 << 20, HardLimit: 160 << 20, Outcome: results.OK, WallSeconds: 0.5,
			PeakRSSBytes: 4e6, PeakHeapBytes: ptr(int64(2e6)), MaxBufferedBytes: ptr(int64(16384)),
		}
		set.Runs = append(set.Runs, r)
	}
	return set
}

// BenchmarkAddCommit adds one commit (50 benchmarks, 6 units each) to the
// 10,000-commit history. Target: under 100 ms.
func BenchmarkAddCommit(b *testing.B) {
	ctx := context.Background()
	h, path := openScale(b)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	i := 0
	for b.Loop() {
		i++
		if _, err := h.Add(ctx, scaleSet(i), Meta{CommitTime: t0.Add(time.Duration(i) * time.Second)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(fi.Size())/scaleCommits, "file-B/commit")
	// Leave the fixture as it was for the next benchmark.
	b.StopTimer()
	if _, err := h.db.Exec(`DELETE FROM run_values WHERE run_id IN (SELECT id FROM runs WHERE set_id > ?)`, scaleCommits); err != nil {
		b.Fatal(err)
	}
	for _, q := range []string{`DELETE FROM runs WHERE set_id > ?`, `DELETE FROM set_summaries WHERE set_id > ?`, `DELETE FROM result_sets WHERE id > ?`} {
		if _, err := h.db.Exec(q, scaleCommits); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDetectAll reads every series of the 10,000-commit history (300
// series of 10,000 points) and detects their change points. Target: under
// 2 s.
func BenchmarkDetectAll(b *testing.B) {
	ctx := context.Background()
	h, _ := openScale(b)
	var query, detect time.Duration
	found := 0
	for b.Loop() {
		start := time.Now()
		series, err := h.Query(ctx, QueryOptions{})
		if err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		changes := DetectEach(ctx, series, DetectOptions{})
		query, detect = query+mid.Sub(start), detect+time.Since(mid)
		if len(series) != scaleBenches*6 {
			b.Fatalf("%d series, want %d", len(series), scaleBenches*6)
		}
		found = 0
		for _, sc := range changes {
			found += len(sc.ChangePoints)
		}
	}
	b.ReportMetric(float64(query.Milliseconds())/float64(b.N), "query-ms/op")
	b.ReportMetric(float64(detect.Milliseconds())/float64(b.N), "detect-ms/op")
	b.ReportMetric(float64(found), "change-points")
}
