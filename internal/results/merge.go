package results

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/bpbench/bpbench/internal/size"
)

// MergeOptions are Merge's settings; the zero value refuses incomplete sets.
type MergeOptions struct {
	// AllowPartial merges a set of shards with some missing; Merged.Missing
	// names them.
	AllowPartial bool
}

// Merged is what Merge returns.
type Merged struct {
	Set
	Shards  int      // N of the I/N set; 0 for folders that were not sharded
	Missing []string // "I/N" of the shards not given (AllowPartial only)
}

// Merge reads the output folders of the shards of one suite and combines
// their runs in suite order. It refuses, naming the difference, folders
// that do not belong together: a run given twice, runs measured at another
// commit, with other memory limits, interval, timeout, count, shard count
// or suite (workloads, variants and parameters), and — unless
// opts.AllowPartial — a set with a shard missing.
func Merge(dirs []string, opts MergeOptions) (*Merged, error) {
	if len(dirs) == 0 {
		return nil, errors.New("no folders given")
	}
	out := &Merged{}
	type origin struct {
		dir string
		run *Run
	}
	byIndex := map[string]origin{} // side+index
	byID := map[string]string{}
	seenDir := map[string]bool{}
	shards := map[int]string{}
	refs := map[string]*origin{} // per side: a side's runs share one commit
	for _, dir := range dirs {
		if seenDir[dir] {
			return nil, fmt.Errorf("%s is given twice: give each shard once", dir)
		}
		seenDir[dir] = true
		set, err := ReadDir(dir)
		if err != nil {
			return nil, err
		}
		for i := range set.Runs {
			run := &set.Runs[i]
			if d, ok := byID[run.ID]; ok {
				return nil, fmt.Errorf("run %s is in both %s and %s: give each shard once", run.ID, d, dir)
			}
			key := run.Side + "/" + strconv.Itoa(run.Index)
			if o, ok := byIndex[key]; ok {
				return nil, fmt.Errorf("%s and %s both have run %d of the suite (%s, %s): these are not shards of one suite", o.dir, dir, run.Index, o.run.ID, run.ID)
			}
			ref := refs[run.Side]
			if ref == nil {
				for _, r := range refs { // the settings, from any side
					ref = r
				}
			}
			if ref != nil {
				if why := disagree(ref.run, run); why != "" {
					return nil, fmt.Errorf("%s and %s differ in %s: merge only the shards of one suite, run with the same flags at the same commit", ref.dir, dir, why)
				}
			}
			if refs[run.Side] == nil {
				refs[run.Side] = &origin{dir, run}
			}
			if i, n, ok := parseShard(run.Shard); ok {
				out.Shards = n
				if d, ok := shards[i]; ok && d != dir {
					return nil, fmt.Errorf("%s and %s are both shard %s: give each shard once", d, dir, run.Shard)
				}
				shards[i] = dir
			}
			byID[run.ID] = dir
			byIndex[key] = origin{dir, run}
			out.Runs = append(out.Runs, *run)
		}
	}
	for i := 0; i < out.Shards; i++ {
		if _, ok := shards[i]; !ok {
			out.Missing = append(out.Missing, fmt.Sprintf("%d/%d", i, out.Shards))
		}
	}
	if len(out.Missing) > 0 && !opts.AllowPartial {
		return nil, fmt.Errorf("shard %s of the set is missing: give every shard's folder, or pass --allow-partial to merge what is here", strings.Join(out.Missing, ", "))
	}
	slices.SortStableFunc(out.Runs, func(a, b Run) int { return a.Index - b.Index })
	return out, nil
}

func parseShard(s string) (i, n int, ok bool) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	return i, n, ok && err1 == nil && err2 == nil && n > 0 && i >= 0 && i < n
}

// disagree names the first setting on which two runs of one suite differ.
func disagree(a, b *Run) string {
	shardN := func(s string) string { _, n, _ := strings.Cut(s, "/"); return n }
	switch {
	case a.Side == b.Side && a.Commit != b.Commit:
		return fmt.Sprintf("the commit (%s vs %s)", a.Commit, b.Commit)
	case a.MemLimit != b.MemLimit:
		return fmt.Sprintf("memlimit (%s vs %s)", size.Format(a.MemLimit), size.Format(b.MemLimit))
	case a.HardLimit != b.HardLimit:
		return fmt.Sprintf("the hard limit (%s vs %s)", size.Format(a.HardLimit), size.Format(b.HardLimit))
	case a.Count != b.Count:
		return fmt.Sprintf("count (%d vs %d runs per cell)", a.Count, b.Count)
	case a.IntervalSeconds != b.IntervalSeconds:
		return fmt.Sprintf("the interval (%gs vs %gs)", a.IntervalSeconds, b.IntervalSeconds)
	case a.TimeoutSeconds != b.TimeoutSeconds:
		return fmt.Sprintf("the timeout (%gs vs %gs)", a.TimeoutSeconds, b.TimeoutSeconds)
	case shardN(a.Shard) != shardN(b.Shard):
		return fmt.Sprintf("the number of shards (%q vs %q)", a.Shard, b.Shard)
	case a.Suite != b.Suite:
		return fmt.Sprintf("the suite: workloads, variants or parameters (fingerprint %s vs %s)", orNone(a.Suite), orNone(b.Suite))
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
