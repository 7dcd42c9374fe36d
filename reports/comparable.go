package reports

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/internal/size"
)

// Cap mechanisms a run records (results.Machine.CapMechanism).
const (
	CapCgroup2  = "cgroup2"
	CapCgroup1  = "cgroup1"
	CapWatchdog = "watchdog"
)

// capOf is how a run was capped. A run that does not record its mechanism
// was measured by a bpbench from before mechanisms were recorded, and
// every such bpbench capped with the watchdog: assumed says so.
type capOf struct {
	mechanism           string // "" when the input cannot say (a results file)
	assumed             bool
	memLimit, hardLimit int64
}

func (c capOf) capped() bool { return c.memLimit > 0 || c.hardLimit > 0 }

// limits describes the limits for a message: "--memlimit 128MiB, hard
// limit 160MiB", or "no cap (--memlimit 0)".
func (c capOf) limits() string {
	switch {
	case !c.capped():
		return "no cap (--memlimit 0)"
	case c.memLimit == 0:
		return "--memlimit 0 and a hard limit of " + size.Format(c.hardLimit)
	case c.hardLimit == 0:
		return "--memlimit " + size.Format(c.memLimit)
	}
	return fmt.Sprintf("--memlimit %s, hard limit %s", size.Format(c.memLimit), size.Format(c.hardLimit))
}

func (c capOf) mechanismText() string {
	if c.assumed {
		return CapWatchdog + " (not recorded: bpbench recorded no mechanism before it could use cgroups, and used the watchdog)"
	}
	return c.mechanism
}

// caps returns the distinct caps of in's measured runs, in order of first
// appearance; ok is false when in cannot say how it was capped (output of
// go test -bench, which bpbench did not measure).
func caps(in *Input) (out []capOf, ok bool) {
	add := func(c capOf) {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	if in.Set != nil {
		for _, r := range in.Set.Runs {
			if !r.Measured() {
				continue
			}
			c := capOf{mechanism: CapWatchdog, assumed: true, memLimit: r.MemLimit, hardLimit: r.HardLimit}
			if r.Machine != nil && r.Machine.CapMechanism != "" {
				c.mechanism, c.assumed = r.Machine.CapMechanism, false
			}
			add(c)
		}
		return out, true
	}
	// A results file: bpbench writes memlimit and hardlimit configuration
	// (none when 0) and reports oom-runs; without oom-runs it is not
	// bpbench's, and its caps are unknown.
	for _, r := range in.Results {
		if _, ok := value(r, results.UnitOOM); !ok {
			return nil, false
		}
		c := capOf{}
		var err error
		if v := r.GetConfig("memlimit"); v != "" {
			if c.memLimit, err = size.Parse(v); err != nil {
				return nil, false
			}
		}
		if v := r.GetConfig("hardlimit"); v != "" {
			if c.hardLimit, err = size.Parse(v); err != nil {
				return nil, false
			}
		}
		c.mechanism = r.GetConfig("cap") // "" (not judged) in files written before it was recorded
		add(c)
	}
	return out, len(out) > 0
}

// Incomparable names what makes base and head not comparable: runs capped
// by different mechanisms (cgroup2, cgroup1, the watchdog), at different
// memlimits or hard limits, uncapped (--memlimit 0) against capped, or a
// side whose own runs were capped in more than one way. Each difference
// is one sentence with its fix; none means comparable. Inputs that
// cannot say how they were capped (go test -bench output) are not judged;
// a results file says its mechanism in its cap: configuration line, and
// one written before that line existed is judged on its limits only.
func Incomparable(base, head *Input) []string {
	bc, bok := caps(base)
	hc, hok := caps(head)
	if !bok || !hok {
		return nil
	}
	var out []string
	bn, hn := sideName(base, "base"), sideName(head, "candidate")
	for _, s := range []struct {
		name string
		cs   []capOf
	}{{bn, bc}, {hn, hc}} {
		if len(s.cs) > 1 {
			var ds []string
			for _, c := range s.cs {
				ds = append(ds, describeCap(c))
			}
			out = append(out, fmt.Sprintf("%s mixes runs capped differently (%s): measure it again with one set of caps", s.name, strings.Join(ds, "; ")))
		}
	}
	if len(out) > 0 {
		return out
	}
	b, h := bc[0], hc[0]
	switch {
	case b.capped() != h.capped():
		out = append(out, fmt.Sprintf("%s ran with %s and %s with %s: uncapped runs cannot oom and capped ones can; measure both with the same --memlimit and --hard-limit",
			bn, b.limits(), hn, h.limits()))
	case b.memLimit != h.memLimit || b.hardLimit != h.hardLimit:
		out = append(out, fmt.Sprintf("%s ran with %s and %s with %s: peaks and outcomes under different caps are not comparable; measure both with the same --memlimit and --hard-limit",
			bn, b.limits(), hn, h.limits()))
	}
	if b.mechanism != "" && h.mechanism != "" && b.mechanism != h.mechanism && (b.capped() || h.capped()) {
		out = append(out, fmt.Sprintf("%s was capped by %s and %s by %s: a kernel cgroup and the watchdog cap at different moments and count peaks differently; measure both where bpbench can create memory cgroups, or both where it cannot",
			bn, b.mechanismText(), hn, h.mechanismText()))
	}
	return out
}

// describeCap is a cap for a list: its limits and, when known, mechanism.
func describeCap(c capOf) string {
	if c.mechanism == "" {
		return c.limits()
	}
	return c.limits() + " by " + c.mechanism
}

// sideName is how messages name an input in its role: "the base (a)",
// or "the base side" for a side of a folder measured with --baseline-bin.
func sideName(in *Input, role string) string {
	if in.Label == results.SideBase || in.Label == results.SideHead {
		return "the " + in.Label + " side"
	}
	return fmt.Sprintf("the %s (%s)", role, in.Label)
}

// checkDuplicates refuses runs.json holding one run twice: the same
// benchmark (workload, variant, parameters, caps), side and repetition,
// or the same id. Counted twice, a run weighs double in every median and
// test (n=3+1 from 2+1 runs) and can make a false regression.
func checkDuplicates(path string, set *results.Set) error {
	type key struct {
		name, workload, variant, params, side string
		rep                                   int
		memLimit, hardLimit                   int64
	}
	seen := map[key]string{}
	ids := map[string]bool{}
	for _, r := range set.Runs {
		var ps []string
		for _, p := range r.Params {
			ps = append(ps, p.Key+"="+p.Value)
		}
		k := key{r.Name, r.Workload, r.Variant, strings.Join(ps, "/"), r.Side, r.Rep, r.MemLimit, r.HardLimit}
		if first, ok := seen[k]; ok || ids[r.ID] {
			if !ok {
				first = r.ID
			}
			side := ""
			if r.Side != "" {
				side = " of the " + r.Side + " side"
			}
			return errorf(ErrDuplicateRun, "%s holds one run twice: %s%s, rep %d (ids %s and %s); a run counted twice weighs double in every median and test and can make a false regression: remove the copy, or measure again",
				filepath.Join(path, results.RunsFile), benchKey(r.Name), side, r.Rep, first, r.ID)
		}
		seen[k], ids[r.ID] = r.ID, true
	}
	return nil
}
