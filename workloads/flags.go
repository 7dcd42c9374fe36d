package workloads

import (
	"flag"
	"fmt"
	"slices"
	"strings"
)

// ParamFlags are the workload parameters as command-line flags, shared by
// bpbench workload, run and tune: --lines, --hwm, --sink, --rate,
// --input-size.
type ParamFlags struct {
	values map[string]*string
	multi  bool // --hwm takes a list (run, tune)
}

// paramNames are the parameters, in the order flags and names show them.
var paramNames = []string{PLines, PHWM, PSink, PRate, PInputSize}

// AddParamFlags defines the parameter flags on fs; with multiHWM, --hwm
// takes a comma-separated list (a sweep).
func AddParamFlags(fs *flag.FlagSet, multiHWM bool) *ParamFlags {
	pf := &ParamFlags{values: map[string]*string{}, multi: multiHWM}
	help := map[string]string{
		PLines:     "lines to write (default: the workload's, e.g. 1000000)",
		PHWM:       "highWaterMark, e.g. 16KiB (default 64KiB)",
		PSink:      "output file path, or null (default: the workload's)",
		PRate:      "bytes per second for throttled sinks, e.g. 32MiB",
		PInputSize: "size of generated input, e.g. 64MiB",
	}
	if multiHWM {
		help[PHWM] = "highWaterMark, or a comma-separated list to sweep, e.g. 16KiB,64KiB (default 64KiB)"
	}
	for _, n := range paramNames {
		pf.values[n] = fs.String(n, "", help[n])
	}
	return pf
}

// Given returns the names of the parameters given on the command line.
func (pf *ParamFlags) Given() []string {
	var out []string
	for _, n := range paramNames {
		if *pf.values[n] != "" {
			out = append(out, n)
		}
	}
	return out
}

// HWMs returns the --hwm values (one or a list); nil when not given.
func (pf *ParamFlags) HWMs() ([]*int, error) {
	v := *pf.values[PHWM]
	if v == "" {
		return nil, nil
	}
	parts := []string{v}
	if pf.multi {
		parts = strings.Split(v, ",")
	}
	var out []*int
	for _, p := range parts {
		var q Params
		if err := q.Set(PHWM, p); err != nil {
			return nil, err
		}
		out = append(out, q.HWM)
	}
	return out, nil
}

// Params builds the Params for w from the flags (except --hwm when it is a
// list), checking that w uses every parameter given when strict.
func (pf *ParamFlags) Params(w *Workload, strict bool) (Params, error) {
	var p Params
	for _, n := range pf.Given() {
		if !slices.Contains(w.Uses, n) {
			if strict {
				return p, fmt.Errorf("workload %s does not use --%s (it uses %s)", w.Name, n, flagList(w.Uses))
			}
			continue
		}
		if n == PHWM && pf.multi {
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
