package reports

import (
	"cmp"
	"strings"

	"github.com/bpbench/bpbench/internal/results"
)

// Group is the measured runs of one benchmark and its parameters, both
// variants: what one memory chart and one finding describe.
type Group struct {
	Key      string // the benchmark and its parameters, e.g. Pipeline/hwm=64KiB
	Title    string // the workload and its parameters, for a heading
	Workload string
	Variants []string                  // in the order the runs name them; "run" for runs without one
	Runs     map[string][]*results.Run // by variant
}

// PeakRSS is the largest peak RSS of the variant's runs.
func (g *Group) PeakRSS(variant string) int64 {
	var m int64
	for _, r := range g.Runs[variant] {
		m = max(m, r.PeakRSSBytes)
	}
	return m
}

// GroupRuns groups measured runs by benchmark and parameters; a folder
// with base and head sides is grouped by its head side only.
func GroupRuns(set *results.Set) []*Group {
	hasHead := false
	for _, r := range set.Runs {
		hasHead = hasHead || r.Side == results.SideHead
	}
	var out []*Group
	byKey := map[string]*Group{}
	for i := range set.Runs {
		r := &set.Runs[i]
		if !r.Measured() || (hasHead && r.Side != results.SideHead) {
			continue
		}
		var ps []string
		for _, p := range r.Params {
			ps = append(ps, p.Key+"="+p.Value)
		}
		key := strings.Join(append([]string{r.Bench}, ps...), "/")
		g := byKey[key]
		if g == nil {
			g = &Group{Key: key, Workload: cmp.Or(r.Workload, r.Bench), Title: strings.TrimSpace(r.Workload + "  " + strings.Join(ps, " ")), Runs: map[string][]*results.Run{}}
			byKey[key] = g
			out = append(out, g)
		}
		v := r.Variant
		if v == "" {
			v = "run"
		}
		if g.Runs[v] == nil {
			g.Variants = append(g.Variants, v)
		}
		g.Runs[v] = append(g.Runs[v], r)
	}
	return out
}

// Written is the bytes a run wrote, or -1 when not reported.
func Written(r *results.Run) int64 {
	if r.BytesWritten != nil {
		return *r.BytesWritten
	}
	w := int64(-1)
	for _, s := range r.Series {
		w = max(w, s.Written)
	}
	return w
}
