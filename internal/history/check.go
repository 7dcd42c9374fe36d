package history

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/bpbench/bpbench/internal/size"
)

// CheckOptions are Check's settings. The zero value checks every series
// of the newest set with DetectOptions' defaults.
type CheckOptions struct {
	Query  QueryOptions // the series to check (Since limits the history they are detected over)
	Detect DetectOptions
}

// Finding is a change point of one series.
type Finding struct {
	Series  SeriesKey
	Machine Machine
	ChangePoint
}

// Reason is the finding as one line a gate can print, e.g.
// "TightLoop/variant=drain peak-RSS-B: 4.1MiB → 4.6MiB (+12.2%) at abc123, strong regression (p=2.1e-06)".
func (f Finding) Reason() string {
	return fmt.Sprintf("%s %s: %s → %s (%s) at %s, %s %s (p=%.2g)",
		f.Series.Benchmark, f.Series.Unit, FormatValue(f.Series.Unit, f.Before), FormatValue(f.Series.Unit, f.After),
		FormatChange(f.Change), f.Commit, f.Strength(), f.Kind(), f.P)
}

// CheckResult is what Check found at the newest set.
type CheckResult struct {
	SetID  int64  // the newest set; 0 when the history is empty
	Commit string // its commit
	Series int    // series that hold the newest set and were examined
	// Regressions are the strong regression change points the newest set
	// opens: each one fails the check.
	Regressions []Finding
	// Notes are the other change points the newest set opens: weak
	// regressions and improvements. They do not fail the check.
	Notes []Finding
}

// Failed reports whether the newest set opens a strong regression.
func (r *CheckResult) Failed() bool { return len(r.Regressions) > 0 }

// Reasons are the lines a gate prints: one per regression.
func (r *CheckResult) Reasons() []string {
	out := make([]string, len(r.Regressions))
	for i, f := range r.Regressions {
		out[i] = f.Reason()
	}
	return out
}

// Check reports whether the newest result set (the last by commit time,
// then by the order added) opens a change point in any series holding it:
// a strong regression fails the check (CheckResult.Failed), anything else
// found there is a note. Series are detected over the whole history
// opts.Query selects, each within its own machine and cap.
func (h *History) Check(ctx context.Context, opts CheckOptions) (*CheckResult, error) {
	var newest setRow
	sets, err := h.sets(ctx, opts.Query.Since)
	if err != nil {
		return nil, err
	}
	res := &CheckResult{}
	if len(sets) == 0 {
		return res, nil
	}
	newest = sets[len(sets)-1]
	res.SetID, res.Commit = newest.id, newest.commit
	series, err := h.Query(ctx, opts.Query)
	if err != nil {
		return nil, err
	}
	var mine []Series
	for _, s := range series {
		if n := len(s.Points); n > 0 && s.Points[n-1].SetID == newest.id {
			mine = append(mine, s)
		}
	}
	res.Series = len(mine)
	for _, sc := range DetectEach(ctx, mine, opts.Detect) {
		for _, c := range sc.ChangePoints {
			if c.Index != len(sc.Points)-1 {
				continue
			}
			f := Finding{Series: sc.SeriesKey, Machine: sc.Machine, ChangePoint: c}
			if c.Regression && c.Strong {
				res.Regressions = append(res.Regressions, f)
			} else {
				res.Notes = append(res.Notes, f)
			}
		}
	}
	return res, ctx.Err()
}

// FormatValue writes a value of unit for people: bytes in KiB/MiB/GiB,
// fractions as percentages of runs, seconds with their unit.
func FormatValue(unit string, v float64) string {
	switch {
	case IsFraction(unit):
		return strconv.FormatFloat(100*v, 'f', 0, 64) + "% of runs"
	case len(unit) > 2 && unit[len(unit)-2:] == "-B":
		return size.Human(int64(math.Round(v)))
	case unit == "sec/op" || unit == "time-to-oom-sec":
		return strconv.FormatFloat(v, 'g', 4, 64) + "s"
	}
	return strconv.FormatFloat(v, 'g', 4, 64) + " " + unit
}

// FormatChange writes a relative change as a signed percentage, "new"
// for a change from zero.
func FormatChange(c float64) string {
	if math.IsInf(c, 0) {
		return "from 0"
	}
	return fmt.Sprintf("%+.1f%%", 100*c)
}
