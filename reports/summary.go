package reports

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bpbench/bpbench/internal/results"

	"github.com/bpbench/bpbench/internal/size"
	"golang.org/x/perf/benchmath"
)

// SummaryRow is one row of the run summary: a benchmark (cell) and side.
type SummaryRow struct {
	Workload, Variant, Params, Runs                 string
	Wall, PeakRSS, PeakHeap, MaxBuffered, TimeToOOM string
	OOM                                             bool // some run was killed out of memory
}

// SummaryHeader names SummaryRow's columns, as the table prints them, each
// with the statistic it shows over the runs: the median, or the largest
// run's (max).
func SummaryHeader() []string {
	return []string{"WORKLOAD", "VARIANT", "PARAMS", "RUNS", "WALL (median)", "PEAK RSS (max)", "PEAK HEAP (max)", "MAX BUFFERED (max)", "TIME TO OOM (median)"}
}

// Cells are the row's texts, in SummaryHeader's order.
func (r SummaryRow) Cells() []string {
	return []string{r.Workload, r.Variant, r.Params, r.Runs, r.Wall, r.PeakRSS, r.PeakHeap, r.MaxBuffered, r.TimeToOOM}
}

// SummaryRows summarizes a set with one row per benchmark (and side), in
// suite order: outcome counts, median wall time of the runs that finished
// (not of runs for a --duration, which last their window), the largest peak RSS,
// peak heap and buffered bytes of its runs, and the median time to OOM of
// its oom runs. Interrupted runs are counted but left out of the figures.
// "-" marks a figure no run reported (external commands have no heap or
// buffer).
func SummaryRows(set *results.Set) []SummaryRow {
	type row struct {
		first                *results.Run
		counts               map[results.Outcome]int
		walls, ooms          []float64
		rss, heap, buf       int64
		haveHeap, haveBuffer bool
	}
	var order []string
	rows := map[string]*row{}
	for i := range set.Runs {
		run := &set.Runs[i]
		key := run.Name + "@" + run.Side
		rw := rows[key]
		if rw == nil {
			rw = &row{first: run, counts: map[results.Outcome]int{}}
			rows[key] = rw
			order = append(order, key)
		}
		rw.counts[run.Outcome]++
		if !run.Measured() {
			continue
		}
		// A killed run's wall is its time to die: its own column. A run for
		// a --duration lasted as long as it was told to: its wall time
		// measures the window, not the program (results.txt gives it no
		// sec/op either).
		if run.Outcome == results.OK && run.DurationSeconds == 0 {
			rw.walls = append(rw.walls, run.WallSeconds)
		}
		rw.rss = max(rw.rss, run.PeakRSSBytes)
		if run.PeakHeapBytes != nil {
			rw.haveHeap = true
			rw.heap = max(rw.heap, *run.PeakHeapBytes)
		}
		if run.MaxBufferedBytes != nil {
			rw.haveBuffer = true
			rw.buf = max(rw.buf, *run.MaxBufferedBytes)
		}
		if run.TimeToOOMSeconds != nil {
			rw.ooms = append(rw.ooms, *run.TimeToOOMSeconds)
		}
	}
	var out []SummaryRow
	for _, name := range order {
		rw := rows[name]
		var params []string
		for _, p := range rw.first.Params {
			params = append(params, p.Key+"="+p.Value)
		}
		var counts []string
		for _, o := range []results.Outcome{results.OK, results.OOM, results.Timeout, results.Crash, results.Interrupted} {
			if n := rw.counts[o]; n > 0 {
				counts = append(counts, fmt.Sprintf("%d %s", n, o))
			}
		}
		bytesOr := func(have bool, n int64) string {
			if !have {
				return "-"
			}
			return size.Human(n)
		}
		secsOr := func(v []float64) string {
			if len(v) == 0 {
				return "-"
			}
			return seconds(median(v))
		}
		out = append(out, SummaryRow{
			Workload: orDash(rw.first.Workload), Variant: orDash(strings.TrimSpace(rw.first.Variant + " " + rw.first.Side)),
			Params: orDash(strings.Join(params, " ")), Runs: strings.Join(counts, ", "), Wall: secsOr(rw.walls),
			PeakRSS: bytesOr(rw.rss > 0, rw.rss), PeakHeap: bytesOr(rw.haveHeap, rw.heap), MaxBuffered: bytesOr(rw.haveBuffer, rw.buf),
			TimeToOOM: secsOr(rw.ooms), OOM: rw.counts[results.OOM] > 0,
		})
	}
	return out
}

// Summary writes SummaryRows as an aligned table: what bpbench run prints.
func Summary(w io.Writer, set *results.Set) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(SummaryHeader(), "\t"))
	for _, r := range SummaryRows(set) {
		fmt.Fprintln(tw, strings.Join(r.Cells(), "\t"))
	}
	tw.Flush()
}

// WriteSummaryMarkdown writes rows as a GitHub-flavoured table.
func WriteSummaryMarkdown(w io.Writer, rows []SummaryRow) error {
	var b strings.Builder
	header := SummaryHeader()
	b.WriteString("|")
	for _, h := range header {
		fmt.Fprintf(&b, " %s |", strings.ToLower(h))
	}
	b.WriteString("\n|" + strings.Repeat(":--|", 3) + strings.Repeat("--:|", len(header)-3) + "\n")
	for _, row := range rows {
		b.WriteString("|")
		for _, c := range row.Cells() {
			fmt.Fprintf(&b, " %s |", EscapeMarkdown(c))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// median is benchstat's centre of v (benchmath, assuming nothing).
func median(v []float64) float64 {
	s := benchmath.NewSample(slices.Clone(v), &benchmath.DefaultThresholds)
	return benchmath.AssumeNothing.Summary(s, 0.95).Center
}

func seconds(s float64) string {
	switch {
	case s < 1:
		return strconv.FormatFloat(s*1000, 'f', 0, 64) + "ms"
	case s < 100:
		return strconv.FormatFloat(s, 'f', 2, 64) + "s"
	}
	return (time.Duration(s) * time.Second).String()
}
