package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/bpbench/bpbench/workloads"
)

// paramFlags are the workload parameters shared by workload, run and tune:
// --lines, --hwm, --sink, --rate, --input-size.
type paramFlags struct {
	values map[string]*string
	multi  bool // --hwm takes a list (run, tune)
}

var paramNames = []string{workloads.PLines, workloads.PHWM, workloads.PSink, workloads.PRate, workloads.PInputSize}

func addParamFlags(fs *cmdFlags, multiHWM bool) *paramFlags {
	pf := &paramFlags{values: map[string]*string{}, multi: multiHWM}
	help := map[string]string{
		workloads.PLines:     "lines to write (default: the workload's, e.g. 1000000)",
		workloads.PHWM:       "highWaterMark, e.g. 16KiB (default 64KiB)",
		workloads.PSink:      "output file path, or null (default: the workload's)",
		workloads.PRate:      "bytes per second for throttled sinks, e.g. 32MiB",
		workloads.PInputSize: "size of generated input, e.g. 64MiB",
	}
	if multiHWM {
		help[workloads.PHWM] = "highWaterMark, or a comma-separated list to sweep, e.g. 16KiB,64KiB (default 64KiB)"
	}
	for _, n := range paramNames {
		pf.values[n] = fs.String(n, "", help[n])
	}
	return pf
}

// set returns the names of the parameters given on the command line.
func (pf *paramFlags) set() []string {
	var out []string
	for _, n := range paramNames {
		if *pf.values[n] != "" {
			out = append(out, n)
		}
	}
	return out
}

// hwms returns the --hwm values (one or a list); nil when not given.
func (pf *paramFlags) hwms() ([]*int, error) {
	v := *pf.values[workloads.PHWM]
	if v == "" {
		return nil, nil
	}
	parts := []string{v}
	if pf.multi {
		parts = strings.Split(v, ",")
	}
	var out []*int
	for _, p := range parts {
		var q workloads.Params
		if err := q.Set(workloads.PHWM, p); err != nil {
			return nil, err
		}
		out = append(out, q.HWM)
	}
	return out, nil
}

// params builds the Params for w from the flags (except --hwm when it is a
// list), checking that w uses every parameter given when strict.
func (pf *paramFlags) params(w *workloads.Workload, strict bool) (workloads.Params, error) {
	var p workloads.Params
	for _, n := range pf.set() {
		if !slices.Contains(w.Uses, n) {
			if strict {
				return p, fmt.Errorf("workload %s does not use --%s (it uses %s)", w.Name, n, flagList(w.Uses))
			}
			continue
		}
		if n == workloads.PHWM && pf.multi {
			continue
		}
		if err := p.Set(n, *pf.values[n]); err != nil {
			return p, err
		}
	}
	return p, nil
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

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
