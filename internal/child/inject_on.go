//go:build bpbench_inject

package child

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/bpbench/bpbench/internal/size"

	"github.com/bpbench/bpbench/workloads"
)

// injectFault breaks a workload on purpose, for calibrating the gate: a
// binary built with -tags bpbench_inject reads BPBENCH_INJECT and
//
//	ignore-backpressure  runs the naive code under the drain variant's name
//	hwm-x8               silently multiplies the highWaterMark by 8
//	leak                 keeps a 1MiB buffer every 16ms and never releases it
//	ballast=SIZE         holds SIZE more memory for the whole run (the
//	                     smallest peak-RSS change the gate detects)
//
// The product is built without the tag and never reads the variable.
func injectFault(v *workloads.Variant, p *workloads.Params) (stop func()) {
	switch f := os.Getenv("BPBENCH_INJECT"); f {
	case "":
	case "ignore-backpressure":
		*v = workloads.Naive
	case "hwm-x8":
		h := 64 << 10
		if p.HWM != nil {
			h = *p.HWM
		}
		h *= 8
		p.HWM = &h
	case "leak":
		done := make(chan struct{})
		go func() {
			var kept [][]byte
			t := time.NewTicker(16 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					b := make([]byte, 1<<20)
					for i := range b {
						b[i] = byte(i)
					}
					kept = append(kept, b)
				}
			}
		}()
		return func() { close(done) }
	default:
		if v, ok := strings.CutPrefix(f, "ballast="); ok {
			n, err := size.Parse(v)
			if err == nil {
				ballast := make([]byte, n)
				for i := range ballast {
					ballast[i] = byte(i)
				}
				return func() { runtime.KeepAlive(ballast) }
			}
		}
		fmt.Fprintf(os.Stderr, "bpbench: unknown BPBENCH_INJECT=%q\n", f)
		os.Exit(2)
	}
	return func() {}
}
