package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/reports"
)

// An A/A run of every workload and variant, judged with no base to excuse
// anything: every drain variant, and the backpressure guide's drain-aware
// Node script, reads flat; the variants that grow (drain-on, and the naive
// ones killed at the cap) read growing, each verdict naming its figure.
func TestFlatnessAA(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole suite")
	}
	plain, _ := buildBinaries(t)
	out := filepath.Join(t.TempDir(), "aa")
	if b, err := exec.Command(plain, "run", "--count", "2", "--warmup=false", "--out", out).CombinedOutput(); err != nil {
		t.Fatalf("run: %v\n%s", err, b)
	}
	set, err := results.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	g := reports.DefaultGrowth()
	growing := map[string]bool{"million-line-writer/drain-on": true, "tight-loop-5m/naive": true, "node/ignore-backpressure/naive": true}
	for i := range set.Runs {
		r := &set.Runs[i]
		rg, judged := g.FitGrowth(r)
		key := r.Workload + "/" + r.Variant
		switch {
		case r.Variant == "drain" && r.Outcome != results.OK:
			t.Errorf("%s rep %d: outcome %s", key, r.Rep, r.Outcome)
		case r.Variant == "drain" && !rg.Flat():
			w, _ := rg.Worst()
			t.Errorf("%s rep %d reads growing, decided by %s: %s", key, r.Rep, rg.Decided(), reports.TrendText(w, rg.Window))
		case growing[key] && (!judged || rg.Flat()):
			t.Errorf("%s rep %d reads flat (judged %v) on %s; it grows", key, r.Rep, judged, rg.Decided())
		}
	}
	for _, f := range reports.Findings(set) {
		if _, rest, ok := strings.Cut(f, ": drain peaks at "); ok && strings.Contains(strings.Split(rest, ";")[0], "growing") {
			t.Errorf("a finding blames a drain variant: %s", f)
		}
		t.Log(f)
	}
}
