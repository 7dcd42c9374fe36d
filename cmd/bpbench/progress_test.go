package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/bpbench/bpbench/harness"
	"github.com/bpbench/bpbench/internal/results"
)

// Progress in a CI log is one line per finished run; on a terminal one
// line rewritten in place with an ETA, ended by a summary line.
func TestProgressLines(t *testing.T) {
	a := harness.Cell{Workload: "w", Variant: "drain", Params: []results.Param{{Key: "k", Value: "a"}}}
	b := harness.Cell{Workload: "w", Variant: "naive", Side: "head", Params: []results.Param{{Key: "k", Value: "a"}}}
	events := []harness.Event{
		{Kind: harness.WarmupStart, Cell: a, Total: 2},
		{Kind: harness.RunStart, Cell: a, Total: 2},
		{Kind: harness.RunDone, Cell: a, Run: &results.Run{Outcome: results.OK, WallSeconds: 0.25, PeakRSSBytes: 10 << 20}, Done: 1, Total: 2},
		{Kind: harness.RunStart, Cell: b, Rep: 0, Done: 1, Total: 2},
		{Kind: harness.RunDone, Cell: b, Run: &results.Run{Outcome: results.OOM, WallSeconds: 1.5, PeakRSSBytes: 192 << 20}, Done: 2, Total: 2},
		{Kind: harness.Finished, Done: 2, Total: 2},
	}
	var ci bytes.Buffer
	p := newProgress(&ci, false)
	for _, ev := range events {
		p.event(ev)
	}
	want := "warm-up w drain k=a\nrun 1/2 w drain k=a rep=0 outcome=ok wall=0.25s peak_rss=10.0MiB\nrun 2/2 w naive head k=a rep=0 outcome=oom wall=1.50s peak_rss=192.0MiB\n"
	if ci.String() != want {
		t.Errorf("CI progress:\n%q\nwant\n%q", ci.String(), want)
	}
	var term bytes.Buffer
	p = newProgress(&term, true)
	for _, ev := range events {
		p.event(ev)
	}
	s := term.String()
	if strings.Count(s, "\n") != 1 || !strings.Contains(s, "\r\x1b[K[1/2] w/drain k=a rep 0 …") ||
		!strings.Contains(s, "[2/2] w/naive/head k=a rep 0 … ETA ") || !strings.Contains(s, "\r\x1b[K2/2 runs in ") {
		t.Errorf("terminal progress %q", s)
	}
}
