package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The suite's core promise, end to end with small inputs: the drain-aware
// tight loop stays small and flat under the default cap, the naive one
// grows with every line it queues.
func TestTightLoopDrainSmallNaiveGrows(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns workloads")
	}
	out := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	args := []string{"run", "--workload", "tight-loop-5m", "--lines", "1000000", "--count", "1", "--warmup=false", "--out", out}
	t.Setenv(asMain, "1") // the children are this test binary
	if code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	data, err := os.ReadFile(filepath.Join(out, "runs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var runs []struct {
		Variant  string `json:"variant"`
		Outcome  string `json:"outcome"`
		PeakRSS  int64  `json:"peak_rss_bytes"`
		Buffered *int64 `json:"max_buffered_bytes"`
	}
	if err := json.Unmarshal(data, &runs); err != nil {
		t.Fatal(err)
	}
	peak := map[string]int64{}
	buffered := map[string]int64{}
	for _, r := range runs {
		if r.Outcome != "ok" && r.Variant == "drain" {
			t.Fatalf("drain run outcome %s", r.Outcome)
		}
		peak[r.Variant] = r.PeakRSS
		if r.Buffered != nil {
			buffered[r.Variant] = *r.Buffered
		}
	}
	// Targets: drain under 16MiB RSS (checked here with a 2x margin for
	// slow or instrumented machines) and never more than HWM + one line
	// buffered; the naive loop buffers megabytes.
	if peak["drain"] == 0 || peak["drain"] > 32<<20 {
		t.Errorf("drain peak RSS %d, want under 32MiB", peak["drain"])
	}
	if buffered["drain"] > 64<<10+16 {
		t.Errorf("drain max buffered %d, want at most HWM + one line", buffered["drain"])
	}
	if buffered["naive"] < 1<<20 || peak["naive"] < peak["drain"]+8<<20 {
		t.Errorf("naive: max buffered %d, peak RSS %d (drain %d); want the queue to grow by megabytes", buffered["naive"], peak["naive"], peak["drain"])
	}
}
