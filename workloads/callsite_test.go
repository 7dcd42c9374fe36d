package workloads

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpbench/bpbench/streamcore"
)

// Every naive variant makes writes after write() returned false, and its
// streams name the line in this package that made the first; drain
// variants make none; drain-on also attaches extra drain listeners, named
// by its OnDrain call.
func TestVariantsReportBackpressureViolationsWithCallSite(t *testing.T) {
	small := map[string]Params{
		"million-line-writer": {Lines: 20_000, HWM: streamcore.HWM(1 << 10)},
		"tight-loop-5m":       {Lines: 20_000, HWM: streamcore.HWM(1 << 10)},
		"gzip-pipeline":       {InputSize: 1 << 20},
		"slow-consumer":       {InputSize: 1 << 20, Rate: 64 << 20, HWM: streamcore.HWM(16 << 10)},
	}
	inWorkloads := func(site streamcore.CallSite) bool {
		return filepath.Base(filepath.Dir(site.File)) == "workloads" && site.Line > 0 &&
			strings.Contains(site.Function, "/workloads.")
	}
	for name, p := range small {
		w, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range w.Variants {
			t.Run(name+"/"+string(v), func(t *testing.T) {
				s := runIn(t, t.TempDir(), name, v, p)
				switch v {
				case Drain:
					if s.WritesAfterFalse != 0 || s.ExtraDrainListeners != 0 {
						t.Errorf("%d writes after false (first at %s), %d extra drain listeners (first at %s); want none",
							s.WritesAfterFalse, s.FirstWriteAfterFalse, s.ExtraDrainListeners, s.FirstExtraDrainListener)
					}
				default:
					if s.WritesAfterFalse == 0 || s.BytesAfterFalse == 0 || !inWorkloads(s.FirstWriteAfterFalse) {
						t.Errorf("%d writes after false (%d B), first at %s (%s); want some, at a line of package workloads",
							s.WritesAfterFalse, s.BytesAfterFalse, s.FirstWriteAfterFalse, s.FirstWriteAfterFalse.Function)
					}
				}
				if v == DrainOn && (s.ExtraDrainListeners == 0 || !inWorkloads(s.FirstExtraDrainListener)) {
					t.Errorf("%d extra drain listeners, first at %s; want some, at writeLinesOnDrain's OnDrain",
						s.ExtraDrainListeners, s.FirstExtraDrainListener)
				}
				t.Logf("%d writes after false (%d B), first at %s; %d extra drain listeners, first at %s",
					s.WritesAfterFalse, s.BytesAfterFalse, s.FirstWriteAfterFalse, s.ExtraDrainListeners, s.FirstExtraDrainListener)
			})
		}
	}
}
