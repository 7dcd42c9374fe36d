package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/bpbench/bpbench/reports"
)

// thresholdFlags collects repeated --threshold UNIT=PCT flags.
type thresholdFlags struct{ opts *reports.GateOptions }

func (t thresholdFlags) String() string     { return "" }
func (t thresholdFlags) Set(s string) error { return t.opts.ParseThreshold(s) }

func gateFlags(fs *flag.FlagSet) verb {
	baseline := fs.String("baseline", "", "the base: an output folder, results file or go test -bench output")
	format := fs.String("format", reports.FormatText, "output format: text, markdown (for a job summary) or json")
	alpha := fs.Float64("alpha", 0.05, "significance level of the Mann-Whitney U test")
	summary := fs.String("summary", "", "also write the verdict as Markdown to this file (e.g. $GITHUB_STEP_SUMMARY)")
	var opts reports.GateOptions
	fs.BoolVar(&opts.AllowMixed, "allow-mixed", false, "gate sides capped differently (cap mechanism, --memlimit, --hard-limit, or uncapped against capped) anyway, with a warning in the verdict; without it such sides are refused (exit 2)")
	fs.Var(thresholdFlags{&opts}, "threshold", "how much worse a unit may get, e.g. peak-RSS-B=10% (repeatable; defaults: "+reports.DefaultThresholdsText()+")")
	return func(_ context.Context, e *env, pos []string) int {
		var err error
		if *format, err = reports.ParseFormat(*format, reports.FormatText, reports.FormatMarkdown, reports.FormatJSON); err != nil {
			return usageError(e, "gate", err)
		}
		if *alpha <= 0 || *alpha >= 1 {
			return usageError(e, "gate", fmt.Errorf("--alpha %g: give a level between 0 and 1, e.g. 0.05", *alpha))
		}
		opts.Alpha = *alpha
		if *summary != "" {
			// Checked before gating: a verdict that cannot be written where
			// CI reads it is bad usage, not a passing gate.
			if fi, err := os.Stat(*summary); err == nil && !fi.Mode().IsRegular() {
				return usageError(e, "gate", fmt.Errorf("--summary %s is not a file (a folder?): give a file to append the Markdown verdict to, e.g. $GITHUB_STEP_SUMMARY", *summary))
			}
		}
		var base, head *reports.Input
		switch {
		case *baseline != "" && len(pos) == 1:
			if base, err = reports.Load(*baseline); err != nil {
				return usageError(e, "gate", err)
			}
			if head, err = reports.Load(pos[0]); err != nil {
				return usageError(e, "gate", err)
			}
		case *baseline == "" && len(pos) == 1:
			in, err := reports.Load(pos[0])
			if err != nil {
				return usageError(e, "gate", err)
			}
			var ok bool
			if base, head, ok = in.Split(); !ok {
				return usageError(e, "gate", fmt.Errorf("%s has no base and head sides: give --baseline OLD, or measure both with bpbench run --baseline-bin BASE_BINARY", pos[0]))
			}
		default:
			return usageError(e, "gate", errors.New("give the candidate and its base: bpbench gate --baseline OLD NEW, or bpbench gate DIR for a folder measured with --baseline-bin"))
		}
		v, err := reports.Gate(base, head, opts)
		if err != nil {
			return usageError(e, "gate", err)
		}
		if err := v.Write(e.stdout, *format); err != nil {
			fmt.Fprintf(e.stderr, "bpbench gate: %v\n", err)
			return exitBadUsage
		}
		if *summary != "" {
			f, err := os.OpenFile(*summary, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err == nil {
				err = v.WriteMarkdown(f)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			if err != nil {
				fmt.Fprintf(e.stderr, "bpbench gate: --summary: %v (the verdict above stands)\n", err)
			}
		}
		if v.Regressed {
			return exitFailed
		}
		return exitOK
	}
}
