package harness

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bpbench/bpbench/internal/size"
)

// Summary writes a human table with one row per benchmark (cell), in suite
// order: outcome counts, median wall time, the largest peak RSS, peak heap
// and buffered bytes of its runs, and the median time to OOM of its oom
// runs. Interrupted runs are counted but left out of the figures. "-" marks
// a figure no run reported (external commands have no heap or buffer).
func (r *Results) Summary(w io.Writer) {
	type row struct {
		first                *RunResult
		counts               map[Outcome]int
		walls, ooms          []float64
		rss, heap, buf       int64
		haveHeap, haveBuffer bool
	}
	var order []string
	rows := map[string]*row{}
	for i := range r.Runs {
		run := &r.Runs[i]
		rw := rows[run.Name]
		if rw == nil {
			rw = &row{first: run, counts: map[Outcome]int{}}
			rows[run.Name] = rw
			order = append(order, run.Name)
		}
		rw.counts[run.Outcome]++
		if run.Outcome == Interrupted {
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
		for _, o := range []Outcome{OK, OOM, Timeout, Crash, Interrupted} {
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
			orDash(rw.first.Workload), orDash(rw.first.Variant), orDash(strings.Join(params, " ")),
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

// progress reports runs as they go: on a terminal one line rewritten in
// place with the run in progress and an ETA, elsewhere (CI logs) one line
// per finished run. A nil writer reports nothing.
type progress struct {
	w        io.Writer
	term     bool
	total    int
	started  int // runs started
	finished int
	begin    time.Time
	dirty    bool // a terminal line is on screen
}

func newProgress(w io.Writer, term bool, total int) *progress {
	return &progress{w: w, term: term, total: total, begin: time.Now()}
}

func (p *progress) warmup(c Cell) {
	switch {
	case p.w == nil:
	case p.term:
		fmt.Fprintf(p.w, "\r\x1b[K[warm-up] %s", c.label("/"))
		p.dirty = true
	default:
		fmt.Fprintf(p.w, "warm-up %s\n", c.label(" "))
	}
}

func (p *progress) start(c Cell, rep int) {
	p.started++
	if p.w == nil || !p.term {
		return
	}
	if p.finished == 0 {
		p.begin = time.Now() // the ETA counts measured runs, not the warm-up
	}
	eta := ""
	if p.finished > 0 {
		per := time.Since(p.begin) / time.Duration(p.finished)
		left := per * time.Duration(p.total-p.finished)
		eta = " ETA " + left.Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r\x1b[K[%d/%d] %s rep %d …%s", p.started, p.total, c.label("/"), rep, eta)
	p.dirty = true
}

func (p *progress) done(c Cell, r *RunResult) {
	p.finished++
	if p.w == nil || p.term {
		return
	}
	fmt.Fprintf(p.w, "run %d/%d %s rep=%d outcome=%s wall=%.2fs peak_rss=%s\n",
		p.finished, p.total, c.label(" "), r.Rep, r.Outcome, r.WallSeconds, size.Human(r.PeakRSSBytes))
}

func (p *progress) finish() {
	if p.w != nil && p.term && p.dirty {
		fmt.Fprintf(p.w, "\r\x1b[K%d/%d runs in %s\n", p.finished, p.total, time.Since(p.begin).Round(time.Millisecond))
		p.dirty = false
	}
}
