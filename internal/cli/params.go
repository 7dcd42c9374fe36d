package cli

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bpbench/bpbench/workloads"
)

// ParamFlags are the workload parameters as flags, shared by bpbench
// workload, run and tune: --lines, --hwm, --sink, --rate, --input-size.
type ParamFlags struct {
	values map[string]*string
	list   bool // --hwm takes a list (run, tune)
}

// ParamOptions say how a verb takes the parameter flags. The zero value is
// bpbench workload's: one --hwm, the workload's default.
type ParamOptions struct {
	// HWMList makes --hwm a comma-separated list: a sweep.
	HWMList bool
	// HWMDefault is what --hwm's help names as its default; "" means the
	// workload's.
	HWMDefault string
}

// AddParamFlags defines the parameter flags on fs.
func AddParamFlags(fs *flag.FlagSet, o ParamOptions) *ParamFlags {
	pf := &ParamFlags{values: map[string]*string{}, list: o.HWMList}
	hwmDefault := o.HWMDefault
	if hwmDefault == "" {
		hwmDefault = "the workload's, e.g. 64KiB"
	}
	help := map[string]string{
		workloads.PLines:     "lines to write (default: the workload's, e.g. 1000000)",
		workloads.PHWM:       "highWaterMark, e.g. 16KiB (default " + hwmDefault + ")",
		workloads.PSink:      "output file path, or null (default: the workload's)",
		workloads.PRate:      "bytes per second for throttled sinks, e.g. 32MiB (default: the workload's)",
		workloads.PInputSize: "size of generated input, e.g. 64MiB (default: the workload's); it must fit the free disk space less a tenth of the filesystem (at most 1GiB)",
	}
	if o.HWMList {
		help[workloads.PHWM] = "highWaterMark, or a comma-separated list to sweep, e.g. 16KiB,64KiB (default " + hwmDefault + ")"
	}
	for _, n := range workloads.ParamNames() {
		pf.values[n] = fs.String(n, "", help[n])
	}
	return pf
}

// Given returns the names of the parameters given on the command line.
func (pf *ParamFlags) Given() []string {
	var out []string
	for _, n := range workloads.ParamNames() {
		if *pf.values[n] != "" {
			out = append(out, n)
		}
	}
	return out
}

// HWMs returns the --hwm values (one, or a list); nil when not given.
func (pf *ParamFlags) HWMs() ([]*int, error) {
	v := *pf.values[workloads.PHWM]
	if v == "" {
		return nil, nil
	}
	parts := []string{v}
	if pf.list {
		parts = strings.Split(v, ",")
	}
	var out []*int
	for _, p := range parts {
		var q workloads.Params
		if err := q.Set(workloads.PHWM, p); err != nil {
			return nil, paramError(err)
		}
		out = append(out, q.HWM)
	}
	return out, nil
}

// Params builds w's Params from the flags (all but --hwm when it is a
// list: see HWMs). With strict, a parameter w does not use is an error;
// without, it is left out.
func (pf *ParamFlags) Params(w *workloads.Workload, strict bool) (workloads.Params, error) {
	var p workloads.Params
	for _, n := range pf.Given() {
		if !slices.Contains(w.Uses, n) {
			if strict {
				return p, Errorf("workload %s does not use --%s (it uses %s)", w.Name, n, flagList(w.Uses))
			}
			continue
		}
		if n == workloads.PHWM && pf.list {
			continue
		}
		if err := p.Set(n, *pf.values[n]); err != nil {
			return p, paramError(err)
		}
	}
	return p, nil
}

// Checked is Params for a suite the harness runs: each workload's
// parameters, with a --sink path made absolute and its folder checked, and
// a generated input checked against the free disk space and its folder's
// owner (workloads.Workload.Check), so that run and tune refuse it once,
// before anything runs, instead of every child failing.
func (pf *ParamFlags) Checked(strict bool) func(*workloads.Workload) (workloads.Params, error) {
	return func(w *workloads.Workload) (workloads.Params, error) {
		p, err := pf.Params(w, strict)
		if err != nil {
			return p, err
		}
		if p.Sink, err = checkSink(p.Sink); err != nil {
			return p, err
		}
		if err := w.Check(p); err != nil {
			return p, paramError(err)
		}
		return p, nil
	}
}

// paramError renders a *workloads.ParamError as the flag it came from.
func paramError(err error) error {
	var pe *workloads.ParamError
	if !errors.As(err, &pe) {
		return &UsageError{Err: err}
	}
	flagName := "--" + pe.Param
	switch {
	case pe.Reason == "" && pe.Err != nil:
		return Errorf("%s: %w", flagName, pe.Err)
	case pe.Value == "":
		return Errorf("%s is empty: %s", flagName, pe.Reason)
	case pe.Example != "":
		return Errorf("%s %q: %s, e.g. %s %s", flagName, pe.Value, pe.Reason, flagName, pe.Example)
	}
	return Errorf("%s %q: %s", flagName, pe.Value, pe.Reason)
}

func flagList(names []string) string {
	if len(names) == 0 {
		return "no parameters"
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "--" + n
	}
	return strings.Join(out, ", ")
}

// checkSink makes a --sink path absolute (children run in a folder of their
// own, so a path given on the command line is relative to where bpbench
// runs) and checks that its folder exists and can be written, before
// anything runs.
func checkSink(sink string) (string, error) {
	if sink == "" || sink == "null" {
		return sink, nil
	}
	abs, err := filepath.Abs(sink)
	if err != nil {
		return "", Errorf("--sink: %w", err)
	}
	dir := filepath.Dir(abs)
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return "", Errorf("--sink %s: the folder %s does not exist; give a path in a writable folder, or null", sink, dir)
	}
	f, err := os.CreateTemp(dir, ".bpbench-sink-check-*")
	if err != nil {
		return "", Errorf("--sink %s: cannot write in %s (%w); give a path in a writable folder, or null", sink, dir, err)
	}
	f.Close()
	os.Remove(f.Name())
	return abs, nil
}

// Workload looks a --workload NAME up, its error a *UsageError naming the
// flag.
func Workload(name string) (*workloads.Workload, error) {
	w, err := workloads.Lookup(name)
	if err != nil {
		return nil, Errorf("--workload: %w", err)
	}
	return w, nil
}

// Select is workloads.Select for --workload GLOB[,GLOB], its error a
// *UsageError naming the flag.
func Select(globs []string) ([]*workloads.Workload, error) {
	ws, err := workloads.Select(globs)
	if err != nil {
		return nil, Errorf("--workload: %w", err)
	}
	return ws, nil
}
