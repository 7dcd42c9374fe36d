package main

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bpbench/bpbench/harness"
	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/internal/size"
	"github.com/bpbench/bpbench/reports"
	"github.com/bpbench/bpbench/reports/chart"
	"github.com/bpbench/bpbench/workloads"
)

// defaultTuneHWMs is 1KiB to 4MiB in powers of two.
func defaultTuneHWMs() []*int {
	var out []*int
	for h := 1 << 10; h <= 4<<20; h <<= 1 {
		out = append(out, &h)
	}
	return out
}

func cmdTune(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "tune", "--workload NAME | --cmd 'CMD {hwm}' --budget SIZE [--hwm LIST] [--count N] [--margin PCT] [flags]")
	workload := fs.String("workload", "", "the workload to tune (one that takes --hwm; bpbench list shows them)")
	cmd := fs.String("cmd", "", "tune your own command instead: {hwm} in it is replaced by each highWaterMark in bytes, e.g. --cmd './app --hwm {hwm}'")
	budgetFlag := fs.String("budget", "", "peak RSS the deployment can afford, e.g. 64MiB (required)")
	marginFlag := fs.String("margin", "10%", "part of the budget to keep free")
	count := fs.Int("count", 6, "runs per highWaterMark (6 or more give a 95% upper bound on peak RSS)")
	memlimit := fs.String("memlimit", "128MiB", "GOMEMLIMIT for each child")
	hard := fs.String("hard-limit", "", fmt.Sprintf("RSS at which the watchdog kills a child (default %g × memlimit)", harness.HardLimitFactor))
	timeout := fs.Duration("timeout", 2*time.Minute, "per-run time limit")
	interval := fs.Duration("interval", harness.DefaultInterval, "sampling interval")
	out := fs.String("out", "bpbench-tune", "output folder (readable by bpbench compare and report)")
	format := fs.String("format", chart.SVG, "chart format: svg or png")
	pf := workloads.AddParamFlags(fs.FlagSet, true)
	pos, err := parseInterleaved(fs, args)
	fail := func(err error) int { return usageError(e, "tune", err) }
	if err != nil {
		return fail(err)
	}
	if len(pos) > 0 {
		return fail(fmt.Errorf("unexpected argument %q: bpbench tune takes only flags", pos[0]))
	}
	if (*workload == "") == (*cmd == "") {
		return fail(errors.New("give the workload to tune: --workload NAME, or --cmd 'CMD {hwm}' for your own program"))
	}
	if *budgetFlag == "" {
		return fail(errors.New("--budget is required: the peak RSS the deployment can afford, e.g. --budget 64MiB"))
	}
	budget, err := size.Parse(*budgetFlag)
	if err != nil || budget <= 0 {
		return fail(fmt.Errorf("--budget %q: give a size above zero, e.g. 64MiB", *budgetFlag))
	}
	margin, err := strconv.ParseFloat(strings.TrimSuffix(*marginFlag, "%"), 64)
	if err != nil || !strings.HasSuffix(*marginFlag, "%") || margin < 0 || margin >= 100 {
		return fail(fmt.Errorf("--margin %q: give a percentage from 0%% to 99%%, e.g. 10%%", *marginFlag))
	}
	if *format, err = reports.ParseFormat(*format, chart.SVG, chart.PNG); err != nil {
		return fail(err)
	}
	var cfg harness.Config
	if *count < 1 {
		return fail(fmt.Errorf("--count %d: give a count of 1 or more", *count))
	}
	if *interval <= 0 {
		return fail(fmt.Errorf("--interval %v: give a positive duration, e.g. 5ms", *interval))
	}
	if *timeout < 0 {
		return fail(fmt.Errorf("--timeout %v: give a positive duration, or 0 for none", *timeout))
	}
	cfg.Count, cfg.Warmup, cfg.Timeout, cfg.Interval = *count, true, *timeout, *interval
	if cfg.MemLimit, err = size.Parse(*memlimit); err != nil {
		return fail(fmt.Errorf("--memlimit: %v", err))
	}
	if *hard != "" {
		if cfg.HardLimit, err = size.Parse(*hard); err != nil || cfg.HardLimit <= 0 {
			return fail(fmt.Errorf("--hard-limit %q: give a size above zero", *hard))
		}
		if cfg.HardLimit < cfg.MemLimit {
			return fail(fmt.Errorf("--hard-limit %s is below --memlimit %s: the hard cap must sit above GOMEMLIMIT; raise it or leave it out", size.Format(cfg.HardLimit), size.Format(cfg.MemLimit)))
		}
	}
	hwms, err := pf.HWMs()
	if err != nil {
		return fail(err)
	}
	if hwms == nil {
		hwms = defaultTuneHWMs()
	}
	for _, h := range hwms {
		if *h <= 0 {
			return fail(errors.New("--hwm 0: tune sweeps highWaterMarks above 0 (its chart has a log2 axis); leave 0 out"))
		}
	}
	if *cmd != "" {
		cfg.Cells, err = tuneCommandCells(*cmd, hwms)
	} else {
		cfg.Cells, err = tuneWorkloadCells(*workload, pf, hwms, cfg.MemLimit, e.stderr)
	}
	if err != nil {
		return fail(err)
	}
	created, err := checkOutDir(*out)
	if err != nil {
		return fail(err)
	}
	m := measureInto(ctx, e, "tune", cfg, *out, created)
	if m.res == nil || m.dest == "" || m.code == exitInterrupted {
		return m.code // interrupted: the points measured are in the folder, but no recommendation from a partial sweep
	}
	res := m.res
	t, err := reports.Tune(res, reports.TuneOptions{Budget: budget, Margin: margin / 100})
	if err != nil {
		fmt.Fprintf(e.stderr, "bpbench tune: %v\n", err)
		return exitFailed
	}
	t.WriteText(e.stdout)
	charts, err := chart.WriteFiles(filepath.Join(m.dest, chart.Dir), []*chart.Figure{chart.Tune(t)}, *format)
	if err != nil {
		fmt.Fprintf(e.stderr, "bpbench tune: the chart: %v (the table above and %s stand)\n", err, m.dest)
	} else {
		fmt.Fprintf(e.stdout, "\nwrote %s and the chart %s\n", m.dest, charts[0])
	}
	if m.code != exitOK {
		return m.code
	}
	if t.Impossible {
		fmt.Fprintf(e.stderr, "bpbench tune: --budget %s is below every run's peak RSS: no highWaterMark can fit it; give a budget of at least %s\n", size.Format(budget), size.Human(max(t.NeedBudget, 1)))
		return exitBadUsage
	}
	return exitOK
}

// tuneWorkloadCells is the drain-aware variant of a workload at each hwm.
func tuneWorkloadCells(name string, pf *workloads.ParamFlags, hwms []*int, memlimit int64, stderr io.Writer) ([]harness.Cell, error) {
	w, err := workloads.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("--workload: %v", err)
	}
	if w.External() || !w.HasVariant(workloads.Drain) {
		return nil, fmt.Errorf("--workload %s has no drain-aware Go variant with a highWaterMark to tune; tune your own program with --cmd 'CMD {hwm}'", name)
	}
	if !slices.Contains(w.Uses, workloads.PHWM) {
		return nil, fmt.Errorf("--workload %s does not take --hwm", name)
	}
	suite, err := workloads.Suite([]*workloads.Workload{w}, []workloads.Variant{workloads.Drain}, hwms, checkedParams(pf, true))
	if err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("cannot find bpbench's own executable to run workloads: %v", err)
	}
	child, note := childCommand(exe)
	if note != "" {
		fmt.Fprintln(stderr, "note:", note)
	}
	var cells []harness.Cell
	for _, wc := range suite {
		c, err := harnessCell(child, wc, memlimit)
		if err != nil {
			return nil, err
		}
		cells = append(cells, c)
	}
	return cells, nil
}

// tuneCommandCells is the user's command at each hwm, {hwm} replaced by
// the value in bytes.
func tuneCommandCells(cmd string, hwms []*int) ([]harness.Cell, error) {
	if !strings.Contains(cmd, "{hwm}") {
		return nil, fmt.Errorf("--cmd %q has no {hwm} placeholder: write where the highWaterMark goes, e.g. --cmd './app --hwm {hwm}'", cmd)
	}
	base, err := commandCell(cmd)
	if err != nil {
		return nil, err
	}
	h := fnv.New32a()
	h.Write([]byte(cmd))
	var cells []harness.Cell
	for _, v := range hwms {
		c := base
		c.Params = []results.Param{{Key: "cmd", Value: fmt.Sprintf("%08x", h.Sum32())}, {Key: "hwm", Value: size.Format(int64(*v))}}
		c.Argv = []string{"sh", "-c", strings.ReplaceAll(cmd, "{hwm}", strconv.Itoa(*v))}
		cells = append(cells, c)
	}
	return cells, nil
}
