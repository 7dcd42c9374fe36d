package workloads

import (
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bpbench/bpbench/internal/results"
)

// A Cell is one variant of one workload with its parameters resolved: one
// benchmark of a suite, which the harness runs Count times. bpbench run
// and tune build their suites with Suite, so a cell is named and started
// the same way by both.
type Cell struct {
	Workload *Workload
	Variant  Variant
	Params   Params // resolved: every parameter the workload uses is set
}

// Suite expands the selected workloads into cells, in registry order: for
// each workload, each of variants it has (the others are left out), at
// each of hwms when the workload takes --hwm (a nil entry, or no hwms,
// means its default). params gives a workload's parameters, typically the
// user's flags; Suite resolves them against the workload's defaults.
func Suite(selected []*Workload, variants []Variant, hwms []*int, params func(*Workload) (Params, error)) ([]Cell, error) {
	var cells []Cell
	for _, w := range selected {
		p, err := params(w)
		if err != nil {
			return nil, err
		}
		hs := []*int{nil}
		if len(hwms) > 0 && slices.Contains(w.Uses, PHWM) {
			hs = hwms
		}
		for _, v := range variants {
			if !w.HasVariant(v) {
				continue
			}
			for _, h := range hs {
				q := p
				if h != nil {
					q.HWM = h
				}
				cells = append(cells, Cell{Workload: w, Variant: v, Params: w.Resolve(q)})
			}
		}
	}
	return cells, nil
}

// Labels are the cell's parameters as its benchmark name and runs.json
// carry them: every parameter the workload uses, in its order. A sink path
// is reduced to its base name, as "/" separates a benchmark name's keys.
func (c Cell) Labels() []results.Param {
	var out []results.Param
	for _, n := range c.Workload.Uses {
		v := c.Params.Value(n)
		if n == PSink && strings.ContainsRune(v, '/') {
			v = filepath.Base(v)
		}
		out = append(out, results.Param{Key: n, Value: v})
	}
	return out
}

// Args are the arguments that run a Go workload's cell after the program
// (bpbench workload, or the lean bpbench-workload): the workload's name,
// -q, its variant and every parameter it uses.
func (c Cell) Args() []string {
	args := []string{c.Workload.Name, "-q", "--variant", string(c.Variant)}
	for _, n := range c.Workload.Uses {
		args = append(args, "--"+n, c.Params.Value(n))
	}
	return args
}

// Command is the argv of an external (Node) workload's cell; memlimit is
// the cap node takes as its own heap limit.
func (c Cell) Command(memlimit int64) ([]string, error) {
	return c.Workload.Command(c.Params, c.Variant, memlimit)
}

// Expect is a rough guess of one run's wall time from the bytes it moves
// (lines of about 14 bytes, or the generated input) at a nominal 20MB/s,
// or at the throttled sink's rate when that is slower. It only balances
// shards; nothing reports it.
func (c Cell) Expect() time.Duration {
	p := c.Params
	bytes := float64(p.Lines)*14 + float64(p.InputSize)
	secs := bytes / 20e6
	if p.Rate > 0 {
		secs = max(secs, float64(p.InputSize)/float64(p.Rate))
	}
	return time.Duration(secs * float64(time.Second))
}
