package reports

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/reports/internal/reportstest"
)

func TestTuneRecommendsWithinBudget(t *testing.T) {
	tn, err := Tune(reportstest.TuneFixture(6), TuneOptions{Budget: 16 << 20, Margin: 0.10})
	if err != nil {
		t.Fatal(err)
	}
	if tn.Pick < 0 || tn.Points[tn.Pick].Label != "256KiB" {
		t.Fatalf("pick %d; want 256KiB (the fastest; 1MiB is no faster and bigger)\n%s", tn.Pick, tn.Recommendation)
	}
	if !tn.ByBytes || math.Abs(tn.Points[0].PausesPerMiB-1024) > 1e-9 {
		t.Errorf("pauses per MiB %v, by bytes %v", tn.Points[0].PausesPerMiB, tn.ByBytes)
	}
	var buf bytes.Buffer
	tn.WriteText(&buf)
	reportstest.Golden(t, "tune.txt", buf.Bytes())

	// Nothing fits: say so, and what budget would.
	tn, _ = Tune(reportstest.TuneFixture(6), TuneOptions{Budget: 9 << 20, Margin: 0.10})
	if tn.Pick >= 0 || !strings.Contains(tn.Recommendation, "No highWaterMark fits the 9MiB budget less a 10% margin") || tn.NeedBudget <= 9<<20 || tn.Impossible {
		t.Errorf("no fit: pick %d, %q, need %d", tn.Pick, tn.Recommendation, tn.NeedBudget)
	}
	// A budget below every footprint is impossible.
	tn, _ = Tune(reportstest.TuneFixture(6), TuneOptions{Budget: 1 << 20, Margin: 0.10})
	if !tn.Impossible {
		t.Error("a 1MiB budget is not reported impossible")
	}
	// The budget holds every run's peak, not the median's interval: one run
	// in six over the budget disqualifies a point.
	set := reportstest.TuneFixture(6)
	for i := range set.Runs {
		if set.Runs[i].Param("hwm") == "256KiB" && set.Runs[i].Rep == 0 {
			set.Runs[i].PeakRSSBytes = 20 << 20
		}
	}
	tn, _ = Tune(set, TuneOptions{Budget: 16 << 20, Margin: 0.10})
	if tn.Pick < 0 || tn.Points[tn.Pick].Label == "256KiB" || !strings.Contains(tn.Recommendation, "the largest of 6 runs") {
		t.Errorf("a point with one run over the budget was picked: %s", tn.Recommendation)
	}
	// A margin of 0 is no margin.
	tn, _ = Tune(reportstest.TuneFixture(6), TuneOptions{Budget: 16 << 20})
	if tn.Limit != 16<<20 || !strings.Contains(tn.Recommendation, "less a 0% margin") {
		t.Errorf("margin 0: limit %d, %s", tn.Limit, tn.Recommendation)
	}
	if _, err := Tune(reportstest.TuneFixture(1), TuneOptions{Budget: 16 << 20, Margin: 1}); !errors.Is(err, ErrBadOption) {
		t.Error("a margin of 100% was accepted")
	}
}

// tune recommends the leanest point as fast as the fastest only when the U
// test could tell a difference at these counts: with 6+6 runs it can, with
// 3+3 not.
func TestTuneWithinNoise(t *testing.T) {
	same := func(reps int) *results.Set {
		set := reportstest.TuneFixture(reps)
		for i := range set.Runs { // 64KiB as fast as 256KiB, a hair slower at the median
			if r := &set.Runs[i]; r.Param("hwm") == "64KiB" {
				r.WallSeconds = 0.95 * (1 + float64((r.Rep+1)%3)/100) * 1.001
			}
		}
		return set
	}
	// With 6+6 runs the test cannot tell 64KiB from the fastest, 256KiB,
	// and 64KiB holds less memory: it is the recommendation, and the
	// fastest is named.
	tn, _ := Tune(same(6), TuneOptions{Budget: 16 << 20, Margin: 0.10})
	if tn.Pick < 0 || tn.Points[tn.Pick].Label != "64KiB" || tn.Points[tn.Fastest].Label != "256KiB" ||
		!strings.Contains(tn.Recommendation, "It is as fast as the fastest, 256KiB at") {
		t.Errorf("6 runs: %s", tn.Recommendation)
	}
	// With 3+3 the test could never tell them apart: the fastest median
	// stands, and no neighbour is called as fast.
	tn, _ = Tune(same(3), TuneOptions{Budget: 16 << 20, Margin: 0.10})
	if tn.Pick != tn.Fastest || strings.Contains(tn.Recommendation, "as fast as the fastest") || strings.Contains(tn.Recommendation, "not significantly slower") {
		t.Errorf("3 runs cannot show it: %s", tn.Recommendation)
	}
}

func TestJoinAnd(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{{[]string{"a"}, "a"}, {[]string{"a", "b"}, "a and b"}, {[]string{"16KiB", "32KiB", "64KiB"}, "16KiB, 32KiB and 64KiB"}} {
		if got := joinAnd(tc.in); got != tc.want {
			t.Errorf("joinAnd(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}
