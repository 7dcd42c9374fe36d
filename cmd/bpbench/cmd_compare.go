package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/bpbench/bpbench/reports"
)

func compareFlags(fs *flag.FlagSet) verb {
	format := fs.String("format", reports.FormatText, "output format: text, markdown, csv or json")
	alpha := fs.Float64("alpha", 0.05, "significance level of the Mann-Whitney U test")
	return func(_ context.Context, e *env, pos []string) int { return cmdCompare(e, pos, *format, *alpha) }
}

func cmdCompare(e *env, pos []string, format string, alpha float64) int {
	var err error
	if format, err = reports.ParseFormat(format, reports.FormatText, reports.FormatMarkdown, reports.FormatCSV, reports.FormatJSON); err != nil {
		return usageError(e, "compare", err)
	}
	if alpha <= 0 || alpha >= 1 {
		return usageError(e, "compare", fmt.Errorf("--alpha %g: give a level between 0 and 1, e.g. 0.05", alpha))
	}
	if len(pos) == 0 || len(pos) > 2 {
		return usageError(e, "compare", errors.New("give one folder (drain vs naive, or base vs head) or two to compare: bpbench compare OLD [NEW]"))
	}
	var inputs []*reports.Input
	for _, p := range pos {
		in, err := reports.Load(p)
		if err != nil {
			return usageError(e, "compare", err)
		}
		inputs = append(inputs, in)
	}
	opts := reports.Options{Alpha: alpha}
	var cmp *reports.Comparison
	if len(inputs) == 1 {
		cmp, err = reports.CompareOne(inputs[0], opts)
	} else {
		cmp, err = reports.CompareInputs(inputs[0], inputs[1], opts)
	}
	if err != nil {
		return usageError(e, "compare", err)
	}
	if format == reports.FormatCSV {
		// CSV has no place for them; the other formats carry them.
		for _, w := range cmp.Warnings {
			fmt.Fprintf(e.stderr, "bpbench compare: warning: not comparable, compared anyway: %s\n", w)
		}
	}
	if err := cmp.Write(e.stdout, format); err != nil {
		fmt.Fprintf(e.stderr, "bpbench compare: %v\n", err)
		return exitFailed
	}
	return exitOK
}
