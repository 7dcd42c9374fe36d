package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/reports"
	"github.com/bpbench/bpbench/reports/chart"
	"github.com/bpbench/bpbench/reports/page"
)

// loadFolder loads an output folder for plot and report, which need runs
// and samples, not just a results file.
func loadFolder(cmd, dir string) (*reports.Input, error) {
	fi, err := os.Stat(dir)
	if err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("%s is a file: %s needs an output folder of bpbench run (with runs.json and samples/)", dir, cmd)
	}
	return reports.Load(dir)
}

func plotFlags(fs *flag.FlagSet) verb {
	format := fs.String("format", chart.SVG, "chart format: svg or png")
	out := fs.String("out", "", "folder for the charts (default DIR/plots)")
	return func(_ context.Context, e *env, pos []string) int {
		var err error
		if len(pos) != 1 {
			return usageError(e, "plot", errors.New("give one output folder: bpbench plot DIR"))
		}
		if *format, err = reports.ParseFormat(*format, chart.SVG, chart.PNG); err != nil {
			return usageError(e, "plot", err)
		}
		in, err := loadFolder("plot", pos[0])
		if err != nil {
			return usageError(e, "plot", err)
		}
		figs := append(chart.MemoryFigures(in.Set), chart.SummaryFigures(in.Set, nil)...)
		var files []string
		if *out == "" {
			// The folder's own plots/: owned in its manifest like the rest.
			files, err = chart.WriteOwned(pos[0], figs, *format)
		} else {
			if err := os.MkdirAll(*out, 0o755); err != nil {
				return usageError(e, "plot", fmt.Errorf("cannot create %s: %v; pass --out with a writable folder", *out, err))
			}
			files, err = chart.WriteFiles(*out, figs, *format)
		}
		for _, p := range files {
			fmt.Fprintln(e.stdout, p)
		}
		if err != nil {
			return writeError(e, "plot", err)
		}
		return exitOK
	}
}

func reportFlags(fs *flag.FlagSet) verb {
	baseline := fs.String("baseline", "", "an earlier output folder (or results file): the report opens with the gate's verdict against it")
	format := fs.String("format", chart.SVG, "format of the chart files in DIR/plots (report.html always inlines SVG)")
	allowMixed := fs.Bool("allow-mixed", false, "open with the gate's verdict even when the sides were capped differently (the verdict carries a warning)")
	return func(_ context.Context, e *env, pos []string) int {
		var err error
		if len(pos) != 1 {
			return usageError(e, "report", errors.New("give one output folder: bpbench report DIR [--baseline DIR]"))
		}
		if *format, err = reports.ParseFormat(*format, chart.SVG, chart.PNG); err != nil {
			return usageError(e, "report", err)
		}
		in, err := loadFolder("report", pos[0])
		if err != nil {
			return usageError(e, "report", err)
		}
		opts := page.Options{Format: *format}
		opts.Gate.AllowMixed = *allowMixed
		if *baseline != "" {
			if opts.Baseline, err = reports.Load(*baseline); err != nil {
				return usageError(e, "report", err)
			}
		}
		files, err := page.Write(pos[0], in, opts)
		if err != nil {
			return writeError(e, "report", err)
		}
		fmt.Fprintf(e.stdout, "wrote %s, %s and %d charts in %s\n",
			filepath.Join(pos[0], page.HTMLFile), filepath.Join(pos[0], page.MarkdownFile), len(files)-2, filepath.Join(pos[0], chart.Dir))
		return exitOK
	}
}

// writeError reports a failure to write into an output folder: exit 2 when
// the folder holds files bpbench did not write or a symbolic link, or the
// sides cannot be compared (the user must choose), else 1, the manual's code for a folder that could not
// be written.
func writeError(e *env, verb string, err error) int {
	var notOwned *results.NotOwnedError
	if errors.As(err, &notOwned) || errors.Is(err, reports.ErrIncomparable) {
		return usageError(e, verb, err)
	}
	fmt.Fprintf(e.stderr, "bpbench %s: %v\n", verb, err)
	return exitFailed
}
