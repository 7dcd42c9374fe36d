package history

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// synthetic is a series of commits with runs per commit: run r of commit i
// is level(i) × (1 + noise·N(0,1)), from a deterministic seed.
func synthetic(seed uint64, unit string, commits, runs int, noise float64, level func(i int) float64) *Series {
	rng := rand.New(rand.NewPCG(seed, 20))
	s := &Series{SeriesKey: SeriesKey{Benchmark: "Synthetic", Unit: unit, Machine: "m"}}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range commits {
		p := Point{SetID: int64(i + 1), Commit: fmt.Sprintf("c%03d", i), CommitTime: t0.Add(time.Duration(i) * time.Hour)}
		for range runs {
			p.Values = append(p.Values, level(i)*(1+noise*rng.NormFloat64()))
		}
		p.Value = median(p.Values)
		s.Points = append(s.Points, p)
	}
	return s
}

// TestDetectStep: a +5% step at commit 40 of 80, 2% noise per run, is
// found at commit 40 (±1) as a strong regression, for every seed tried.
func TestDetectStep(t *testing.T) {
	for seed := range uint64(20) {
		s := synthetic(seed, "peak-RSS-B", 80, 5, 0.02, func(i int) float64 {
			if i >= 40 {
				return 105e6
			}
			return 100e6
		})
		found := false
		for _, c := range Detect(s, DetectOptions{}) {
			if c.Index >= 39 && c.Index <= 41 && c.Regression && c.Strong && c.Change > 0.03 && c.Change < 0.07 {
				found = true
			}
		}
		if !found {
			t.Errorf("seed %d: no strong regression at commit 40±1: %+v", seed, Detect(s, DetectOptions{}))
		}
	}
}

// TestDetectFlat: a flat series of 200 commits with 2% noise has no change
// point, weak or strong, in at least 95 of 100 seeds.
func TestDetectFlat(t *testing.T) {
	noisy := 0
	for seed := range uint64(100) {
		s := synthetic(1000+seed, "peak-RSS-B", 200, 5, 0.02, func(int) float64 { return 100e6 })
		if cps := Detect(s, DetectOptions{}); len(cps) > 0 {
			noisy++
			t.Logf("seed %d: %d change points, first p=%.2g %+.1f%%", seed, len(cps), cps[0].P, 100*cps[0].Change)
		}
	}
	if noisy > 5 {
		t.Errorf("change points in %d of 100 flat series, want at most 5", noisy)
	}
}

// TestDetectCreep: 0.5% a commit over 40 commits, each step far under the
// noise, is reported as regressions.
func TestDetectCreep(t *testing.T) {
	for seed := range uint64(10) {
		s := synthetic(seed, "peak-RSS-B", 40, 5, 0.02, func(i int) float64 { return 100e6 * (1 + 0.005*float64(i)) })
		n := 0
		for _, c := range Detect(s, DetectOptions{}) {
			if c.Regression && c.Strong {
				n++
			}
			if !c.Regression {
				t.Errorf("seed %d: an improvement in a creep: %+v", seed, c)
			}
		}
		if n == 0 {
			t.Errorf("seed %d: no regression in a creep of 0.5%% a commit", seed)
		}
	}
}

// TestDetectDirection: for time-to-oom-sec higher is better, so a drop
// is the regression.
func TestDetectDirection(t *testing.T) {
	s := synthetic(1, "time-to-oom-sec", 60, 5, 0.02, func(i int) float64 {
		if i >= 30 {
			return 1.2
		}
		return 1.5
	})
	cps := Detect(s, DetectOptions{})
	if len(cps) != 1 || !cps[0].Regression || cps[0].Change > -0.15 {
		t.Fatalf("time to OOM 1.5s → 1.2s: want one regression, have %+v", cps)
	}
}

// TestDetectOOMRate: a workload that starts to die out of memory in 3 of
// 5 runs is a change point of oom-runs, tested on the counts.
func TestDetectOOMRate(t *testing.T) {
	s := &Series{SeriesKey: SeriesKey{Benchmark: "TightLoop/variant=drain", Unit: "oom-runs", Machine: "m"}}
	for i := range 30 {
		p := Point{SetID: int64(i + 1), Commit: fmt.Sprintf("c%d", i), Values: []float64{0, 0, 0, 0, 0}}
		if i >= 20 {
			p.Values = []float64{1, 0, 1, 1, 0}
		}
		p.Value = mean(p.Values)
		s.Points = append(s.Points, p)
	}
	cps := Detect(s, DetectOptions{})
	if len(cps) != 1 || cps[0].Index != 20 || !cps[0].Regression || !cps[0].Strong || cps[0].Before != 0 || cps[0].After != 0.6 {
		t.Fatalf("OOM rate 0 → 60%% at commit 20: have %+v", cps)
	}
	if got := FormatChange(cps[0].Change); got != "from 0" {
		t.Errorf("change from 0 printed %q", got)
	}
}

func TestWelchAndFisher(t *testing.T) {
	// [1,2,3,4,5] against [3,4,5,6,7,8]: t = 2.4019, df = 8.989, p = 0.039803
	// (the t density integrated numerically).
	n1, m1, v1 := 5, 3.0, 2.5
	n2, m2, v2 := 6, 5.5, 3.5
	if p := welch(n1, m1, v1, n2, m2, v2); p < 0.03980 || p > 0.03981 {
		t.Errorf("welch p = %.6f, want 0.039803", p)
	}
	// 0 of 20 against 3 of 5: only the table observed is as unlikely,
	// C(5,3)/C(25,3) = 10/2300.
	if p := fisher(0, 20, 3, 5); math.Abs(p-10.0/2300) > 1e-12 {
		t.Errorf("fisher p = %g, want %g", p, 10.0/2300)
	}
	if p := fisher(0, 10, 0, 10); p != 1 {
		t.Errorf("fisher of no events = %g, want 1", p)
	}
}
