package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bpbench/bpbench/reports"
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
	format := fs.String("format", reports.ChartSVG, "chart format: svg or png")
	out := fs.String("out", "", "folder for the charts (default DIR/plots)")
	return func(_ context.Context, e *env, pos []string) int {
		var err error
		if len(pos) != 1 {
			return usageError(e, "plot", errors.New("give one output folder: bpbench plot DIR"))
		}
		if *format, err = reports.ParseFormat(*format, reports.ChartSVG, reports.ChartPNG); err != nil {
			return usageError(e, "plot", err)
		}
		in, err := loadFolder("plot", pos[0])
		if err != nil {
			return usageError(e, "plot", err)
		}
		if *out == "" {
			*out = filepath.Join(pos[0], reports.PlotsDir)
		}
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return usageError(e, "plot", fmt.Errorf("cannot create %s: %v; pass --out with a writable folder", *out, err))
		}
		figs := append(reports.MemoryFigures(in.Set), reports.SummaryFigures(in.Set, nil)...)
		for _, f := range figs {
			var buf bytes.Buffer
			if err := f.Render(&buf, *format); err != nil {
				fmt.Fprintf(e.stderr, "bpbench plot: %s: %v\n", f.Name, err)
				return exitFailed
			}
			p := filepath.Join(*out, f.Name+"."+*format)
			if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
				fmt.Fprintf(e.stderr, "bpbench plot: %v\n", err)
				return exitFailed
			}
			fmt.Fprintln(e.stdout, p)
		}
		return exitOK
	}
}

func reportFlags(fs *flag.FlagSet) verb {
	baseline := fs.String("baseline", "", "an earlier output folder (or results file): the report opens with the gate's verdict against it")
	format := fs.String("format", reports.ChartSVG, "format of the chart files in DIR/plots (report.html always inlines SVG)")
	return func(_ context.Context, e *env, pos []string) int {
		var err error
		if len(pos) != 1 {
			return usageError(e, "report", errors.New("give one output folder: bpbench report DIR [--baseline DIR]"))
		}
		if *format, err = reports.ParseFormat(*format, reports.ChartSVG, reports.ChartPNG); err != nil {
			return usageError(e, "report", err)
		}
		in, err := loadFolder("report", pos[0])
		if err != nil {
			return usageError(e, "report", err)
		}
		opts := reports.ReportOptions{Format: *format}
		if *baseline != "" {
			if opts.Baseline, err = reports.Load(*baseline); err != nil {
				return usageError(e, "report", err)
			}
		}
		files, err := reports.WriteReport(pos[0], in, opts)
		if err != nil {
			fmt.Fprintf(e.stderr, "bpbench report: %v\n", err)
			return exitFailed // the folder could not be written (the manual's exit 1)
		}
		fmt.Fprintf(e.stdout, "wrote %s, %s and %d charts in %s\n",
			filepath.Join(pos[0], reports.ReportHTML), filepath.Join(pos[0], reports.ReportMD), len(files)-2, filepath.Join(pos[0], reports.PlotsDir))
		return exitOK
	}
}
