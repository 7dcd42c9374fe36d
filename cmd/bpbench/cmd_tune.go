package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/bpbench/bpbench/internal/cli"
	"github.com/bpbench/bpbench/internal/cli/caps"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

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

func tuneFlags(fs *flag.FlagSet) verb {
	workload := fs.String("workload", "", "the workload to tune (one that takes --hwm; bpbench list shows them)")
	cmd := fs.String("cmd", "", "tune your own command instead: {hwm} in it is replaced by each highWaterMark in bytes, e.g. --cmd './app --hwm {hwm}'")
	budgetFlag := fs.String("budget", "", "peak RSS the deployment can afford, e.g. 64MiB (required)")
	marginFlag := fs.String("margin", "10%", "part of the budget to keep free")
	capFlags := caps.Add(fs, caps.Options{Count: 6, CountHelp: "runs per highWaterMark (6 or more give a 95% upper bound on peak RSS)"})
	out := fs.String("out", "bpbench-tune", "output folder (readable by bpbench compare and report)")
	format := fs.String("format", chart.SVG, "chart format: svg or png")
	pf := cli.AddParamFlags(fs, cli.ParamOptions{HWMList: true, HWMDefault: "every power of two from 1KiB to 4MiB"})
	return func(ctx context.Context, e *env, pos []string) int {
		var err error
		fail := func(err error) int { return usageError(e, "tune", err) }
		if len(pos) > 0 {
			return fail(cli.Errorf("unexpected argument %q: bpbench tune takes only flags", pos[0]))
		}
		if (*workload == "") == (*cmd == "") {
			return fail(cli.Errorf("give the workload to tune: --workload NAME, or --cmd 'CMD {hwm}' for your own program"))
		}
		if *budgetFlag == "" {
			return fail(cli.Errorf("--budget is required: the peak RSS the deployment can afford, e.g. --budget 64MiB"))
		}
		budget, err := size.Parse(*budgetFlag)
		if err != nil || budget <= 0 {
			return fail(cli.Errorf("--budget %q: give a size above zero, e.g. 64MiB", *budgetFlag))
		}
		margin, err := strconv.ParseFloat(strings.TrimSuffix(*marginFlag, "%"), 64)
		if err != nil || !strings.HasSuffix(*marginFlag, "%") || margin < 0 || margin >= 100 {
			return fail(cli.Errorf("--margin %q: give a percentage from 0%% to 99%%, e.g. 10%%", *marginFlag))
		}
		if *format, err = reports.ParseFormat(*format, chart.SVG, chart.PNG); err != nil {
			return fail(err)
		}
		cfg, err := capFlags.Config()
		if err != nil {
			return fail(err)
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
				return fail(cli.Errorf("--hwm 0: tune sweeps highWaterMarks above 0 (its chart has a log2 axis); leave 0 out"))
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
		charts, err := chart.WriteOwned(m.dest, []*chart.Figure{chart.Tune(t)}, *format)
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
}

// tuneWorkloadCells is the drain-aware variant of a workload at each hwm.
func tuneWorkloadCells(name string, pf *cli.ParamFlags, hwms []*int, memlimit int64, stderr io.Writer) ([]harness.Cell, error) {
	w, err := cli.Workload(name)
	if err != nil {
		return nil, err
	}
	if w.External() || !w.HasVariant(workloads.Drain) {
		return nil, cli.Errorf("--workload %s has no drain-aware Go variant with a highWaterMark to tune; tune your own program with --cmd 'CMD {hwm}'", name)
	}
	if !slices.Contains(w.Uses, workloads.PHWM) {
		return nil, cli.Errorf("--workload %s does not take --hwm", name)
	}
	suite, err := workloads.Suite([]*workloads.Workload{w}, []workloads.Variant{workloads.Drain}, hwms, pf.Checked(true))
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
		return nil, cli.Errorf("--cmd %q has no {hwm} placeholder: write where the highWaterMark goes, e.g. --cmd './app --hwm {hwm}'", cmd)
	}
	base, err := commandCell(cmd)
	if err != nil {
		return nil, err
	}
	var cells []harness.Cell
	for _, v := range hwms {
		c := base
		c.Params = []results.Param{cmdParam(cmd), {Key: "hwm", Value: size.Format(int64(*v))}}
		c.Argv = []string{"sh", "-c", strings.ReplaceAll(cmd, "{hwm}", strconv.Itoa(*v))}
		cells = append(cells, c)
	}
	return cells, nil
}
