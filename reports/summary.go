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
)

// Summary writes the run's human table with one row per benchmark (cell), in suite
// order: outcome counts, median wall time, the largest peak RSS, peak heap
// and buffered bytes of its runs, and the median time to results.OOM of its oom
// runs. Interrupted runs are counted but left out of the figures. "-" marks
// a figure no run reported (external commands have no heap or buffer).
func Summary(w io.Writer, set *results.Set) {
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
		if run.Outcome == results.Interrupted {
			continue
		}
		rw.walls = append(rw.walls, run.WallSeconds)
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

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKLOAD\tVARIANT\tPARAMS\tRUNS\tWALL (median)\tPEAK RSS\tPEAK HEAP\tMAX BUFFERED\tTIME TO OOM (median)")
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			orDash(rw.first.Workload), orDash(strings.TrimSpace(rw.first.Variant+" "+rw.first.Side)), orDash(strings.Join(params, " ")),
			strings.Join(counts, ", "), secsOr(rw.walls), bytesOr(rw.rss > 0, rw.rss),
			bytesOr(rw.haveHeap, rw.heap), bytesOr(rw.haveBuffer, rw.buf), secsOr(rw.ooms))
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
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
