package harness

import (
	"fmt"
	"io"
	"time"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/internal/size"
)

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

func (p *progress) done(c Cell, r *results.Run) {
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
