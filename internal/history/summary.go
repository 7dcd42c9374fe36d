package history

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Series are read from set_summaries, not from run_values: one row per
// result set and machine holding, for every benchmark and unit the set
// measured there, the runs' values and the point's value (median or
// fraction), packed. A history of 10,000 commits × 50 benchmarks × 6
// units is 10,000 rows to read instead of 3,000,000. Add writes the row
// with the runs; the migration to schema 2 computes it from run_values,
// which stay the record of every run (WriteBenchfmt reads them).
//
// The packed form, all integers unsigned varints, floats IEEE 754
// little-endian:
//
//	format (1)  entries
//	entry: benchmark_id  unit_id  n  value  n × run value (in run order)
const summaryFormat = 1

// summaryKey is one benchmark and unit within a set's summary.
type summaryKey struct{ bench, unit int64 }

// summary collects the values of one result set on one machine.
type summary struct {
	keys []summaryKey
	vals map[summaryKey][]float64
}

func newSummary() *summary { return &summary{vals: map[summaryKey][]float64{}} }

func (s *summary) add(bench, unit int64, v float64) {
	k := summaryKey{bench, unit}
	if _, ok := s.vals[k]; !ok {
		s.keys = append(s.keys, k)
	}
	s.vals[k] = append(s.vals[k], v)
}

// encode packs the summary; frac says which units are fractions.
func (s *summary) encode(frac func(unit int64) bool) []byte {
	keys := slices.Clone(s.keys)
	slices.SortFunc(keys, func(a, b summaryKey) int { return cmp.Or(cmp.Compare(a.bench, b.bench), cmp.Compare(a.unit, b.unit)) })
	b := []byte{summaryFormat}
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		vs := s.vals[k]
		v := median(vs)
		if frac(k.unit) {
			v = mean(vs)
		}
		b = binary.AppendUvarint(b, uint64(k.bench))
		b = binary.AppendUvarint(b, uint64(k.unit))
		b = binary.AppendUvarint(b, uint64(len(vs)))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		for _, x := range vs {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
	}
	return b
}

var errSummary = errors.New("a damaged set summary")

// decodeSummary calls fn for every entry of a packed summary with its
// value and the runs' values (a slice of its own).
func decodeSummary(b []byte, fn func(bench, unit int64, value float64, runs []float64)) error {
	if len(b) == 0 || b[0] != summaryFormat {
		return errSummary
	}
	b = b[1:]
	uv := func() uint64 {
		x, n := binary.Uvarint(b)
		if n <= 0 {
			b = nil
			return 0
		}
		b = b[n:]
		return x
	}
	entries := uv()
	// One allocation for every run value of the row.
	all := make([]float64, 0, len(b)/8)
	for range entries {
		bench, unit, n := int64(uv()), int64(uv()), int(uv())
		if b == nil || uint64(len(b)) < 8*(uint64(n)+1) {
			return errSummary
		}
		value := math.Float64frombits(binary.LittleEndian.Uint64(b))
		b = b[8:]
		start := len(all)
		for range n {
			all = append(all, math.Float64frombits(binary.LittleEndian.Uint64(b)))
			b = b[8:]
		}
		fn(bench, unit, value, all[start:len(all):len(all)])
	}
	if len(b) != 0 {
		return errSummary
	}
	return nil
}

// unitFractions reads which unit ids are fractions.
func unitFractions(ctx context.Context, tx *sql.Tx) (map[int64]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, name FROM units`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = IsFraction(name)
	}
	return out, rows.Err()
}

// insertSummaries writes the summaries of one set, by machine id.
func insertSummaries(ctx context.Context, tx *sql.Tx, setID int64, byMachine map[int64]*summary, frac map[int64]bool) error {
	for mid, s := range byMachine {
		if _, err := tx.ExecContext(ctx, `INSERT INTO set_summaries (set_id, machine_id, summary) VALUES (?, ?, ?)`,
			setID, mid, s.encode(func(u int64) bool { return frac[u] })); err != nil {
			return err
		}
	}
	return nil
}

// fillSummaries computes the summaries of every set that has none from
// its runs' values: the migration from schema 1 to 2.
func fillSummaries(ctx context.Context, tx *sql.Tx) error {
	frac, err := unitFractions(ctx, tx)
	if err != nil {
		return err
	}
	// Runs in set order, each set's in the order they were added (run
	// order), through the runs_set index; values by their primary key.
	rows, err := tx.QueryContext(ctx, `SELECT r.set_id, r.machine_id, r.benchmark_id, v.unit_id, v.value
		FROM runs r JOIN run_values v ON v.run_id = r.id
		WHERE r.set_id NOT IN (SELECT set_id FROM set_summaries)
		ORDER BY r.set_id, r.id, v.unit_id`)
	if err != nil {
		return err
	}
	type row struct {
		set, machine, bench, unit int64
		v                         float64
	}
	// Sets are written after the rows are read: one statement at a time
	// on the transaction's connection.
	cur := int64(-1)
	byMachine := map[int64]*summary{}
	pending := map[int64]map[int64]*summary{}
	var order []int64
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.set, &r.machine, &r.bench, &r.unit, &r.v); err != nil {
			rows.Close()
			return err
		}
		if r.set != cur {
			cur, byMachine = r.set, map[int64]*summary{}
			pending[cur] = byMachine
			order = append(order, cur)
		}
		s := byMachine[r.machine]
		if s == nil {
			s = newSummary()
			byMachine[r.machine] = s
		}
		s.add(r.bench, r.unit, r.v)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, set := range order {
		if err := insertSummaries(ctx, tx, set, pending[set], frac); err != nil {
			return err
		}
	}
	return nil
}

// catalog reads the sets, names and machines a query resolves ids with.
func (h *History) catalog(ctx context.Context, opts QueryOptions) (*catalog, error) {
	c := &catalog{}
	var err error
	if c.sets, err = h.sets(ctx, opts.Since); err != nil || len(c.sets) == 0 {
		return c, err
	}
	c.byID = make(map[int64]*setRow, len(c.sets))
	for i := range c.sets {
		c.byID[c.sets[i].id] = &c.sets[i]
	}
	if c.benches, err = h.names(ctx, "benchmarks", func(n string) bool { return opts.Benchmark == "" || Glob(opts.Benchmark, n) }); err != nil {
		return nil, err
	}
	if c.units, err = h.names(ctx, "units", func(n string) bool { return opts.Units == nil || slices.Contains(opts.Units, n) }); err != nil {
		return nil, err
	}
	if c.machines, c.fps, err = h.machines(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// machineID is the id of fingerprint fp in c, or -1.
func (c *catalog) machineID(fp string) int64 {
	for id, f := range c.fps {
		if f == fp {
			return id
		}
	}
	return -1
}

// Query returns the series opts selects, sorted by benchmark, unit and
// machine fingerprint.
func (h *History) Query(ctx context.Context, opts QueryOptions) ([]Series, error) {
	c, err := h.catalog(ctx, opts)
	if err != nil || len(c.sets) == 0 || len(c.benches) == 0 || len(c.units) == 0 {
		return nil, err
	}
	q := `SELECT s.set_id, s.machine_id, s.summary FROM result_sets r JOIN set_summaries s ON s.set_id = r.id`
	var where []string
	var args []any
	if opts.Machine != "" {
		where, args = append(where, `s.machine_id = ?`), append(args, c.machineID(opts.Machine))
	}
	if !opts.Since.IsZero() {
		where, args = append(where, `r.commit_time >= ?`), append(args, opts.Since.UnixNano())
	}
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	rows, err := h.db.QueryContext(ctx, q+` ORDER BY r.commit_time, r.id`, args...)
	if err != nil {
		return nil, h.readError(err)
	}
	defer rows.Close()
	type key struct{ bench, machine, unit int64 }
	index := map[key]*Series{}
	// A set's entries are sorted and mostly the same as the last set's on
	// the machine: the series of the last row's i-th entry is looked up
	// before the map.
	type seen struct {
		bench, unit int64
		s           *Series
	}
	last := map[int64][]seen{}
	for rows.Next() {
		var setID, machine int64
		var blob sql.RawBytes
		if err := rows.Scan(&setID, &machine, &blob); err != nil {
			return nil, h.readError(err)
		}
		set := c.byID[setID]
		if set == nil {
			continue
		}
		prev, i := last[machine], 0
		cur := prev[:0:0]
		err := decodeSummary(blob, func(bench, unit int64, value float64, runs []float64) {
			var s *Series
			if i < len(prev) && prev[i].bench == bench && prev[i].unit == unit {
				s = prev[i].s
			} else if c.benches[bench] != "" && c.units[unit] != "" {
				k := key{bench, machine, unit}
				if s = index[k]; s == nil {
					s = &Series{SeriesKey: SeriesKey{Benchmark: c.benches[bench], Unit: c.units[unit], Machine: c.fps[machine]}, Machine: c.machines[machine]}
					// Rows come in series order: the sets from this one
					// on bound the series' points.
					s.Points = make([]Point, 0, len(c.sets)-set.pos)
					index[k] = s
				}
			}
			cur = append(cur, seen{bench, unit, s})
			i++
			if s != nil {
				s.Points = append(s.Points, Point{SetID: setID, Commit: set.commit, CommitTime: set.time, Branch: set.branch, Values: runs, Value: value})
			}
		})
		if err != nil {
			return nil, fmt.Errorf("cannot read history %s: set %d: %w", h.path, setID, err)
		}
		last[machine] = cur
	}
	if err := rows.Err(); err != nil {
		return nil, h.readError(err)
	}
	out := make([]Series, 0, len(index))
	for _, s := range index {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b Series) int {
		return cmp.Or(cmp.Compare(a.Benchmark, b.Benchmark), cmp.Compare(a.Unit, b.Unit), cmp.Compare(a.SeriesKey.Machine, b.SeriesKey.Machine))
	})
	return out, nil
}
