package main

import (
	"fmt"
	"io"
	"time"

	"github.com/bpbench/bpbench/harness"
	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/internal/size"
)

// progress draws a harness.Run's events: on a terminal one line rewritten
// in place with the run in progress and an ETA, elsewhere (CI logs) one
// line per finished run. A nil writer draws nothing.
type progress struct {
	w        io.Writer
	term     bool
	total    int
	started  int // runs started
	finished int
	begin    time.Time
	dirty    bool // a terminal line is on screen
}

func newProgress(w io.Writer, term bool) *progress {
	return &progress{w: w, term: term, begin: time.Now()}
}

func (p *progress) warmup(c harness.Cell) {
	switch {
	case p.w == nil:
	case p.term:
		fmt.Fprintf(p.w, "\r\x1b[K[warm-up] %s", c.Label("/"))
		p.dirty = true
	default:
		fmt.Fprintf(p.w, "warm-up %s\n", c.Label(" "))
	}
}

func (p *progress) start(c harness.Cell, rep int) {
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
	fmt.Fprintf(p.w, "\r\x1b[K[%d/%d] %s rep %d …%s", p.started, p.total, c.Label("/"), rep, eta)
	p.dirty = true
}

func (p *progress) done(c harness.Cell, r *results.Run) {
	p.finished++
	if p.w == nil || p.term {
		return
	}
	fmt.Fprintf(p.w, "run %d/%d %s rep=%d outcome=%s wall=%.2fs peak_rss=%s\n",
		p.finished, p.total, c.Label(" "), r.Rep, r.Outcome, r.WallSeconds, size.Human(r.PeakRSSBytes))
}

func (p *progress) finish() {
	if p.w != nil && p.term && p.dirty {
		fmt.Fprintf(p.w, "\r\x1b[K%d/%d runs in %s\n", p.finished, p.total, time.Since(p.begin).Round(time.Millisecond))
		p.dirty = false
	}
}

// event draws one harness event.
func (p *progress) event(ev harness.Event) {
	p.total = ev.Total
	switch ev.Kind {
	case harness.WarmupStart:
		p.warmup(ev.Cell)
	case harness.RunStart:
		p.start(ev.Cell, ev.Rep)
	case harness.RunDone:
		p.done(ev.Cell, ev.Run)
	case harness.Finished:
		p.finish()
	}
}
