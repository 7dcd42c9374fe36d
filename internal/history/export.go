package history

import (
	"cmp"
	"context"
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/bpbench/bpbench/internal/size"
	"golang.org/x/perf/benchfmt"
)

// OtavaTimeFormat is the time format of WriteOtavaCSV's time column.
const OtavaTimeFormat = "2006-01-02 15:04:05 -0700"

// WriteOtavaCSV writes series as the CSV Apache Otava reads: a row per
// result set in series order, columns time, commit, branch and one column
// per series named "BENCHMARK:UNIT" (with "@MACHINE" appended when the
// series come from more than one machine), holding the set's per-commit
// value (Point.Value) or nothing. Give Otava time_column: time,
// attributes: [commit, branch] and the metric columns.
func WriteOtavaCSV(w io.Writer, series []Series) error {
	machines := map[string]bool{}
	for _, s := range series {
		machines[s.SeriesKey.Machine] = true
	}
	type row struct {
		set    int64
		time   time.Time
		commit string
		branch string
		cells  []string
	}
	rows := map[int64]*row{}
	head := []string{"time", "commit", "branch"}
	for i, s := range series {
		name := s.Benchmark + ":" + s.Unit
		if len(machines) > 1 {
			name += "@" + s.SeriesKey.Machine
		}
		head = append(head, name)
		for _, p := range s.Points {
			r := rows[p.SetID]
			if r == nil {
				r = &row{set: p.SetID, time: p.CommitTime, commit: p.Commit, branch: p.Branch, cells: make([]string, len(series))}
				rows[p.SetID] = r
			}
			r.cells[i] = strconv.FormatFloat(p.Value, 'f', -1, 64)
		}
	}
	ordered := make([]*row, 0, len(rows))
	for _, r := range rows {
		ordered = append(ordered, r)
	}
	slices.SortFunc(ordered, func(a, b *row) int {
		if c := a.time.Compare(b.time); c != 0 {
			return c
		}
		return int(a.set - b.set)
	})
	cw := csv.NewWriter(w)
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, r := range ordered {
		if err := cw.Write(append([]string{r.time.UTC().Format(OtavaTimeFormat), r.commit, r.branch}, r.cells...)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteBenchfmt writes every stored run that opts selects in Go benchmark
// format, set by set in series order, one result per run with its units
// (as the run's results.txt line had them). Each result's file
// configuration names the set's commit, commit-time and branch and the
// run's machine (goos, goarch, cpu, cores, kernel, cap, memlimit,
// hardlimit), so that benchstat can split or filter by them (`benchstat
// -col commit`). Units other than time-to-oom-sec are declared
// better=lower.
func (h *History) WriteBenchfmt(ctx context.Context, w io.Writer, opts QueryOptions) error {
	type run struct {
		id, set, bench, machine int64
		units                   []int64
		values                  []benchfmt.Value
	}
	byRun := map[int64]*run{}
	c, err := h.scan(ctx, opts, func(id, set, bench, machine, unit int64, v float64) {
		r := byRun[id]
		if r == nil {
			r = &run{id: id, set: set, bench: bench, machine: machine}
			byRun[id] = r
		}
		r.units = append(r.units, unit)
		r.values = append(r.values, benchfmt.Value{Value: v})
	})
	if err != nil {
		return err
	}
	runs := make([]*run, 0, len(byRun))
	units := map[string]bool{}
	for _, r := range byRun {
		runs = append(runs, r)
		for i := range r.values {
			r.values[i].Unit = c.units[r.units[i]]
			units[r.values[i].Unit] = true
		}
	}
	slices.SortFunc(runs, func(a, b *run) int { return cmp.Or(c.byID[a.set].pos-c.byID[b.set].pos, cmp.Compare(a.id, b.id)) })

	bw := benchfmt.NewWriter(w)
	names := make([]string, 0, len(units))
	for u := range units {
		names = append(names, u)
	}
	slices.Sort(names)
	for _, u := range names {
		better := "lower"
		if !LowerIsBetter(u) {
			better = "higher"
		}
		if err := bw.Write(&benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: u, Key: "better"}, OrigUnit: u, Value: better}); err != nil {
			return err
		}
	}
	for _, r := range runs {
		m, set := c.machines[r.machine], c.byID[r.set]
		res := &benchfmt.Result{Name: benchfmt.Name(c.benches[r.bench]), Iters: 1, Values: r.values}
		cores, memlimit, hardlimit := "", "", ""
		if m.Cores > 0 {
			cores = strconv.Itoa(m.Cores)
		}
		if m.MemLimit > 0 {
			memlimit = size.Format(m.MemLimit)
		}
		if m.HardLimit > 0 {
			hardlimit = size.Format(m.HardLimit)
		}
		for _, kv := range [][2]string{
			{"goos", m.GOOS}, {"goarch", m.GOARCH}, {"cpu", m.CPU}, {"cores", cores}, {"kernel", m.Kernel},
			{"cap", m.CapMechanism}, {"memlimit", memlimit}, {"hardlimit", hardlimit},
			{"commit", set.commit}, {"commit-time", set.time.UTC().Format(time.RFC3339)}, {"branch", set.branch},
		} {
			if kv[1] != "" {
				res.Config = append(res.Config, benchfmt.Config{Key: kv[0], Value: []byte(kv[1]), File: true})
			}
		}
		if err := bw.Write(res); err != nil {
			return err
		}
	}
	return nil
}
