package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bpbench/bpbench/harness"
	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/reports"
)

// measured is what measureInto did: the runs, where they were written,
// and the exit code to end with (exitOK when all is well).
type measured struct {
	res  *results.Set
	dest string
	code int
}

// measureInto runs cfg under the lock of the output folder out, prints the
// summary, and writes what was measured, never losing it and never
// replacing a complete earlier result with an incomplete one:
//
//   - a configuration the harness refuses is bad usage (exit 2), and
//     nothing is written;
//   - a run stopped by Ctrl-C or SIGTERM exits 130, one with a cell that
//     could not be measured at all (every run crashed, or stopped before its
//     workload started) exits 1; either way, when out already holds a
//     result, the new runs go beside it, to a new OUT-partial-TIME
//     folder (never one of an earlier run), and it says so;
//   - a folder that cannot be written (a full disk) is reported with the
//     real error, after the summary, and the runs go to a temporary folder
//     if one can be written.
//
// A nil result means the caller should return m.code at once.
func measureInto(ctx context.Context, e *env, verb string, cfg harness.Config, out string, created bool) measured {
	unlock, code := claimOut(e, verb, out)
	if unlock == nil {
		return measured{code: code}
	}
	defer unlock()
	cfg.Events = newProgress(e.stderr, e.isTerminal).event
	res, runErr := harness.Run(ctx, cfg)
	interrupted := ctx.Err() != nil
	if res == nil || len(res.Runs) == 0 {
		unlock()
		if created {
			os.Remove(filepath.Join(out, results.LockFile))
			os.Remove(out)
		}
		if res == nil {
			return measured{code: usageError(e, verb, runErr)} // the configuration was refused
		}
		fmt.Fprintf(e.stderr, "bpbench %s: nothing was measured (%v); %s left as it was\n", verb, runErr, out)
		if interrupted {
			return measured{code: exitInterrupted}
		}
		return measured{code: exitFailed}
	}
	reports.Summary(e.stdout, res)
	failed := unmeasuredCells(res)
	m := measured{res: res, dest: out}
	var err error
	if (interrupted || runErr != nil || len(failed) > 0) && results.HasRuns(out) {
		m.dest, err = results.NewPartialDir(out, time.Now())
	}
	if err == nil {
		err = res.WriteDir(m.dest)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "bpbench %s: cannot write the results to %s: %v\n", verb, m.dest, err)
		rescue, terr := os.MkdirTemp("", "bpbench-rescue-")
		if terr == nil && res.WriteDir(rescue) == nil {
			fmt.Fprintf(e.stderr, "bpbench %s: the %d runs measured are in %s instead; copy them where you want them\n", verb, len(res.Runs), rescue)
		} else {
			fmt.Fprintf(e.stderr, "bpbench %s: the runs could not be saved anywhere; free some space and run again\n", verb)
		}
		return measured{res: res, code: exitFailed}
	}
	if m.dest != out {
		fmt.Fprintf(e.stderr, "bpbench %s: %s holds an earlier complete result, kept as it was; these incomplete runs went to %s\n", verb, out, m.dest)
	}
	for _, f := range failed {
		fmt.Fprintf(e.stderr, "bpbench %s: %s could not be measured: %s\n", verb, f.name, f.why)
	}
	switch {
	case interrupted:
		fmt.Fprintf(e.stderr, "bpbench %s: interrupted; the runs measured before it are in %s\n", verb, m.dest)
		m.code = exitInterrupted
	case runErr != nil:
		fmt.Fprintf(e.stderr, "bpbench %s: stopped early: %v (the runs measured before it are in %s)\n", verb, runErr, m.dest)
		m.code = exitFailed
	case len(failed) > 0:
		m.code = exitFailed
	}
	return m
}

type failedCell struct{ name, why string }

// claimOut makes the output folder out (which exists) the verb's: it
// refuses, exit 2 and nothing changed, a folder holding files bpbench did
// not write, then locks it and readies it (finishing or removing what a
// killed writer left) under the lock. A nil unlock means the caller
// returns code at once.
func claimOut(e *env, verb, out string) (unlock func(), code int) {
	if err := results.CheckOut(out); err != nil {
		return nil, usageError(e, verb, err)
	}
	unlock, err := results.LockDir(out)
	if err != nil {
		return nil, usageError(e, verb, err)
	}
	if err := results.Prepare(out); err != nil {
		unlock()
		var foreign *results.NotOwnedError
		if errors.As(err, &foreign) {
			return nil, usageError(e, verb, err)
		}
		fmt.Fprintf(e.stderr, "bpbench %s: %v\n", verb, err)
		return nil, exitFailed
	}
	return unlock, exitOK
}

// unmeasuredCells lists the cells of which no run measured anything: every
// run crashed, or every run stopped before its workload started (killed at
// a cap too small for the program to start, say).
func unmeasuredCells(res *results.Set) []failedCell {
	type tally struct {
		n, crashed, notStarted int
		last                   *results.Run
	}
	var order []string
	cells := map[string]*tally{}
	for i := range res.Runs {
		r := &res.Runs[i]
		if !r.Measured() {
			continue
		}
		k := strings.TrimPrefix(r.Name, "Benchmark")
		if r.Side != "" {
			k += " (" + r.Side + ")"
		}
		t := cells[k]
		if t == nil {
			t = &tally{}
			cells[k] = t
			order = append(order, k)
		}
		t.n++
		t.last = r
		if r.Outcome == results.Crash {
			t.crashed++
		}
		if r.NotStarted {
			t.notStarted++
		}
	}
	var out []failedCell
	for _, k := range order {
		t := cells[k]
		if t.crashed < t.n && t.notStarted < t.n {
			continue
		}
		why := fmt.Sprintf("all %d runs crashed (exit status %d)", t.n, t.last.ExitCode)
		if t.notStarted == t.n {
			why = fmt.Sprintf("all %d runs ended (%s) before the workload started", t.n, t.last.Outcome)
			if t.last.Outcome == results.OOM {
				why += ": the memory cap is below what the program needs to start; raise --memlimit"
			}
		}
		if tail := lastLine(t.last.StderrTail); tail != "" {
			why += "; it said: " + tail
		} else if t.last.Note != "" {
			why += "; " + t.last.Note
		}
		out = append(out, failedCell{k, why})
	}
	return out
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}
