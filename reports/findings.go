package reports

import (
	"fmt"
	"math"
	"strings"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/internal/size"
)

// Findings states, per workload, what a reviewer should see at a glance:
// whether the drain-aware runs stayed flat and what happened to the rest.
func Findings(set *results.Set) []string {
	var out []string
	growth := DefaultGrowth()
	for _, g := range GroupRuns(set) {
		var parts []string
		for _, v := range g.Variants {
			runs := g.Runs[v]
			n, ooms := len(runs), 0
			var ttoom []float64
			flat, judged, rssShort := 0, 0, 0
			decided := map[string]int{}
			for _, r := range runs {
				if r.Outcome == results.OOM {
					ooms++
					if r.TimeToOOMSeconds != nil {
						ttoom = append(ttoom, *r.TimeToOOMSeconds)
					}
				}
				if r.Outcome != results.OK {
					continue
				}
				rg, ok := growth.FitGrowth(r)
				if rg.RSSTooShort {
					rssShort++
				}
				if ok {
					judged++
					if rg.Flat() {
						flat++
					}
					decided[rg.Decided()]++
				}
			}
			s := fmt.Sprintf("%s peaks at %s", v, size.Human(g.PeakRSS(v)))
			drain := g.PeakRSS("drain")
			switch {
			case ooms > 0:
				s += fmt.Sprintf(" and is killed at the cap in %d of %d runs", ooms, n)
				if len(ttoom) > 0 {
					s += " after " + seconds(median(ttoom))
				}
			case v != "drain" && drain > 0:
				// A control's shape is not judged (its growth may come
				// before the warm-up cut); its size next to drain's is the point.
				s += fmt.Sprintf(", %.1fx the drain variant's", float64(g.PeakRSS(v))/float64(drain))
			case judged > 0 && flat == judged:
				s += ", flat on " + mostCommon(decided)
				if rssShort > 0 {
					s += " (too short to judge RSS)"
				}
			case judged > 0:
				s += fmt.Sprintf(", growing in %d of %d runs (%s)", judged-flat, judged, mostCommon(decided))
			case rssShort > 0:
				s += ", too short to judge RSS"
			}
			parts = append(parts, s)
		}
		out = append(out, g.Title+": "+strings.Join(parts, "; ")+".")
	}
	return out
}

// FindingsChange states, per workload and variant measured on both sides,
// how head differs from base: the largest run's peak RSS and the runs
// killed out of memory.
func FindingsChange(base, head *results.Set) []string {
	bg := map[string]*Group{}
	for _, g := range GroupRuns(base) {
		bg[g.Key] = g
	}
	var out []string
	for _, g := range GroupRuns(head) {
		b := bg[g.Key]
		if b == nil {
			out = append(out, g.Title+": only in head (nothing to compare with).")
			continue
		}
		var parts []string
		for _, v := range g.Variants {
			if len(b.Runs[v]) == 0 {
				continue
			}
			was, is := b.PeakRSS(v), g.PeakRSS(v)
			s := fmt.Sprintf("%s peak RSS (max) %s → %s", v, size.Human(was), size.Human(is))
			if d := (float64(is)/float64(max(was, 1)) - 1) * 100; was > 0 && math.Abs(d) >= 0.5 {
				s += fmt.Sprintf(" (%+.0f%%)", d)
			} else if was > 0 {
				s += " (±0%)"
			}
			if ob, oh := ooms(b.Runs[v]), ooms(g.Runs[v]); ob > 0 || oh > 0 {
				s += fmt.Sprintf(", killed in %d of %d → %d of %d runs", ob, len(b.Runs[v]), oh, len(g.Runs[v]))
			}
			parts = append(parts, s)
		}
		out = append(out, g.Title+": "+strings.Join(parts, "; ")+".")
	}
	return out
}

// mostCommon is the key counted most often; ties go to the first in
// sorted order.
func mostCommon(counts map[string]int) string {
	best, n := "", 0
	for k, c := range counts {
		if c > n || c == n && k < best {
			best, n = k, c
		}
	}
	return best
}

func ooms(runs []*results.Run) int {
	n := 0
	for _, r := range runs {
		if r.Outcome == results.OOM {
			n++
		}
	}
	return n
}
