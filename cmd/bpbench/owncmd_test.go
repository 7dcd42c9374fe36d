package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A user gates a program of their own, Go or Node, with the same curves
// and verdicts as the built-in workloads: peak heap and max buffered bytes
// come from the probe (package probe in Go, the injected preload in Node),
// not RSS alone, and the gate tells the naive variant from the drain-aware
// one.
func TestGateOwnPrograms(t *testing.T) {
	plain, _ := buildBinaries(t)
	prog := filepath.Join(builtDir, "probeprog")
	if out, err := exec.Command("go", "build", "-o", prog, "./testdata/probeprog").CombinedOutput(); err != nil {
		t.Fatalf("building the test program: %v\n%s", err, out)
	}
	app, _ := filepath.Abs("testdata/probeapp.js")
	for _, tc := range []struct {
		name, cmd, modeVar string
		needNode           bool
	}{
		{"go", prog, "PROBEPROG_MODE", false},
		{"node", "node " + app, "APP_MODE", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := exec.LookPath("node"); tc.needNode && err != nil {
				t.Skip("node is not on PATH: the Node probe is not tested")
			}
			dir := t.TempDir()
			run := func(mode, out string) {
				c := exec.Command(plain, "run", "--cmd", tc.cmd, "--count", "4", "--warmup=false", "--out", filepath.Join(dir, out))
				c.Env = append(os.Environ(), tc.modeVar+"="+mode)
				if b, err := c.CombinedOutput(); err != nil {
					t.Fatalf("run %s: %v\n%s", mode, err, b)
				}
			}
			run("drain", "base")
			run("naive", "head")
			run("drain", "again")

			// The probe's figures are there, not RSS alone.
			data, _ := os.ReadFile(filepath.Join(dir, "head", "runs.json"))
			var runs []struct {
				PeakHeap    *int64 `json:"peak_heap_bytes"`
				MaxBuffered *int64 `json:"max_buffered_bytes"`
			}
			if err := json.Unmarshal(data, &runs); err != nil || len(runs) != 4 {
				t.Fatalf("runs.json: %v", err)
			}
			for _, r := range runs {
				if r.PeakHeap == nil || r.MaxBuffered == nil || *r.MaxBuffered < 1<<20 {
					t.Errorf("naive run: peak heap %v, max buffered %v; want the probe's figures, buffered over 1MiB", r.PeakHeap, r.MaxBuffered)
				}
			}

			// The folders are measured one after the other, not interleaved, so
			// the machine's load between them shows in sec/op (+24.5% was seen
			// drain against drain): a wide sec/op threshold keeps this test on
			// the memory verdicts it is about.
			gate := func(base, head string) (int, string) {
				var out bytes.Buffer
				c := exec.Command(plain, "gate", "--threshold", "sec/op=100%", "--baseline", filepath.Join(dir, base), filepath.Join(dir, head))
				c.Stdout, c.Stderr = &out, &out
				c.Run()
				return c.ProcessState.ExitCode(), out.String()
			}
			if code, out := gate("base", "head"); code != 1 || !strings.Contains(out, "max-buffered-B") {
				t.Errorf("gate drain vs naive: exit %d; want 1 with max-buffered-B among the reasons:\n%s", code, out)
			}
			if code, out := gate("base", "again"); code != 0 {
				t.Errorf("gate drain vs drain: exit %d; want 0:\n%s", code, out)
			}
		})
	}
}
