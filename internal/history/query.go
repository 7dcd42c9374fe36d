package history

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bpbench/bpbench/internal/results"
)

// QueryOptions select series. The zero value selects every series.
type QueryOptions struct {
	// Benchmark is a glob over benchmark names without the "Benchmark"
	// prefix, parameters included ("TightLoop/variant=drain/*"); * matches
	// any run of characters, "/" included, and ? any one character. ""
	// selects all.
	Benchmark string
	// Units selects units by name ("peak-RSS-B"); nil selects all.
	Units []string
	// Machine selects one machine fingerprint (Machine.Fingerprint); ""
	// selects all, each machine its own series.
	Machine string
	// Since keeps the sets whose commit time is at or after it; zero keeps
	// all.
	Since time.Time
}

// SeriesKey names a series: what is compared with what.
type SeriesKey struct {
	Benchmark string // full name without "Benchmark", parameters included
	Unit      string
	Machine   string // Machine.Fingerprint
}

func (k SeriesKey) String() string { return k.Benchmark + " " + k.Unit + " @" + k.Machine }

// Point is one result set in a series.
type Point struct {
	SetID      int64
	Commit     string
	CommitTime time.Time
	Branch     string
	Values     []float64 // one per run of the benchmark in the set, in run order
	Value      float64   // the median of Values; for oom-runs and failed-runs, their mean (the fraction of runs)
}

// Series is one benchmark's unit on one machine, in commit-time order
// (sets with equal times in the order they were added).
type Series struct {
	SeriesKey
	Machine Machine
	Points  []Point
}

// LowerIsBetter reports the direction of a unit: true for every unit
// except time-to-oom-sec (a run that dies later grows more slowly).
func LowerIsBetter(unit string) bool { return unit != results.UnitTimeToOOM }

// IsFraction reports whether a unit counts runs with an outcome (1 or 0
// per run), so that a point's value is the fraction of such runs and
// change points are tested on the counts.
func IsFraction(unit string) bool { return results.IsFraction(unit) }

// setRow is one result set's metadata.
type setRow struct {
	id     int64
	commit string
	time   time.Time
	branch string
	pos    int // position in commit-time order
}

// sets reads the result sets committed at or after since, in series order.
func (h *History) sets(ctx context.Context, since time.Time) ([]setRow, error) {
	q := `SELECT id, commit_sha, commit_time, branch FROM result_sets`
	var args []any
	if !since.IsZero() {
		q += ` WHERE commit_time >= ?`
		args = append(args, since.UnixNano())
	}
	rows, err := h.db.QueryContext(ctx, q+` ORDER BY commit_time, id`, args...)
	if err != nil {
		return nil, h.readError(err)
	}
	defer rows.Close()
	var out []setRow
	for rows.Next() {
		var s setRow
		var t int64
		if err := rows.Scan(&s.id, &s.commit, &t, &s.branch); err != nil {
			return nil, h.readError(err)
		}
		s.time, s.pos = time.Unix(0, t), len(out)
		out = append(out, s)
	}
	return out, h.readError(rows.Err())
}

func (h *History) readError(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("cannot read history %s: %w", h.path, err)
}

// names reads an id → name table (benchmarks or units), keeping the names
// keep accepts.
func (h *History) names(ctx context.Context, table string, keep func(string) bool) (map[int64]string, error) {
	rows, err := h.db.QueryContext(ctx, `SELECT id, name FROM `+table)
	if err != nil {
		return nil, h.readError(err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, h.readError(err)
		}
		if keep(name) {
			out[id] = name
		}
	}
	return out, h.readError(rows.Err())
}

// Machines returns every machine in the history by id.
func (h *History) machines(ctx context.Context) (map[int64]Machine, map[int64]string, error) {
	rows, err := h.db.QueryContext(ctx, `SELECT id, fingerprint, goos, goarch, cpu, cores, kernel, cap_mechanism, memlimit, hard_limit FROM machines`)
	if err != nil {
		return nil, nil, h.readError(err)
	}
	defer rows.Close()
	ms, fps := map[int64]Machine{}, map[int64]string{}
	for rows.Next() {
		var id int64
		var fp string
		var m Machine
		if err := rows.Scan(&id, &fp, &m.GOOS, &m.GOARCH, &m.CPU, &m.Cores, &m.Kernel, &m.CapMechanism, &m.MemLimit, &m.HardLimit); err != nil {
			return nil, nil, h.readError(err)
		}
		ms[id], fps[id] = m, fp
	}
	return ms, fps, h.readError(rows.Err())
}

// Machines returns the machines the history holds runs of, by fingerprint.
func (h *History) Machines(ctx context.Context) (map[string]Machine, error) {
	ms, fps, err := h.machines(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]Machine{}
	for id, m := range ms {
		out[fps[id]] = m
	}
	return out, nil
}

// catalog is what a scan resolves ids with.
type catalog struct {
	sets     []setRow
	byID     map[int64]*setRow
	benches  map[int64]string // the selected ones
	units    map[int64]string // the selected ones
	machines map[int64]Machine
	fps      map[int64]string
}

// scan calls fn for every stored value that opts selects, in no
// particular order, with the ids of its run, set, benchmark, machine and
// unit. It returns the catalog to resolve them. Query reads the sets'
// summaries instead (summary.go); scan is for what needs every run.
func (h *History) scan(ctx context.Context, opts QueryOptions, fn func(run, set, bench, machine, unit int64, v float64)) (*catalog, error) {
	c, err := h.catalog(ctx, opts)
	if err != nil || len(c.sets) == 0 {
		return c, err
	}
	if len(c.benches) == 0 || len(c.units) == 0 {
		return c, nil
	}
	// The runs first (few columns, one row each), filtered in SQL; then
	// their values in one pass over run_values, in the table's own order,
	// matched to the runs here: a join would look up every value's row
	// through the index, three times slower on a large history.
	q := `SELECT id, set_id, benchmark_id, machine_id FROM runs`
	var where []string
	var args []any
	if opts.Machine != "" {
		where = append(where, `machine_id = ?`)
		args = append(args, c.machineID(opts.Machine))
	}
	if !opts.Since.IsZero() {
		where = append(where, `set_id IN (SELECT id FROM result_sets WHERE commit_time >= ?)`)
		args = append(args, opts.Since.UnixNano())
	}
	if opts.Benchmark != "" {
		where = append(where, `benchmark_id IN (`+idList(c.benches)+`)`)
	}
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	type runRow struct{ set, bench, machine int64 }
	runs := map[int64]runRow{}
	rows, err := h.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, h.readError(err)
	}
	var total int
	for rows.Next() {
		var id int64
		var r runRow
		if err := rows.Scan(&id, &r.set, &r.bench, &r.machine); err != nil {
			rows.Close()
			return nil, h.readError(err)
		}
		if c.byID[r.set] != nil {
			runs[id] = r
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, h.readError(err)
	}
	if len(runs) == 0 {
		return c, nil
	}
	if err := h.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM runs`).Scan(&total); err != nil {
		return nil, h.readError(err)
	}
	vq := `SELECT run_id, unit_id, value FROM run_values`
	var vwhere []string
	if opts.Units != nil {
		vwhere = append(vwhere, `unit_id IN (`+idList(c.units)+`)`)
	}
	if len(runs) < total/8 {
		// A few runs: fetch theirs through the index.
		ids := make(map[int64]string, len(runs))
		for id := range runs {
			ids[id] = ""
		}
		vwhere = append(vwhere, `run_id IN (`+idList(ids)+`)`)
	}
	if len(vwhere) > 0 {
		vq += ` WHERE ` + strings.Join(vwhere, ` AND `)
	}
	vrows, err := h.db.QueryContext(ctx, vq)
	if err != nil {
		return nil, h.readError(err)
	}
	defer vrows.Close()
	for vrows.Next() {
		var id, unit int64
		var v float64
		if err := vrows.Scan(&id, &unit, &v); err != nil {
			return nil, h.readError(err)
		}
		r, ok := runs[id]
		if !ok || c.units[unit] == "" {
			continue
		}
		fn(id, r.set, r.bench, r.machine, unit, v)
	}
	return c, h.readError(vrows.Err())
}

func idList(m map[int64]string) string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, fmt.Sprint(id))
	}
	return strings.Join(ids, ", ")
}

// Glob matches name against pattern, in which * matches any run of
// characters ("/" included) and ? any one character; everything else
// matches itself.
func Glob(pattern, name string) bool {
	// Iterative matching with one backtrack point for the last *.
	p, n := 0, 0
	star, mark := -1, 0
	for n < len(name) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == name[n]):
			p++
			n++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, n
			p++
		case star >= 0:
			p = star + 1
			mark++
			n = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// median of xs, which it does not modify.
func median(xs []float64) float64 {
	switch len(xs) {
	case 0:
		return 0
	case 1:
		return xs[0]
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}
