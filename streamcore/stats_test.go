package streamcore

import (
	"testing"
	"time"
)

func TestStatsAdd(t *testing.T) {
	siteA := CallSite{File: "a.go", Line: 1, Function: "main.a"}
	siteB := CallSite{File: "b.go", Line: 2, Function: "main.b"}
	a := Stats{Buffered: 1, PeakBuffered: 2, Writes: 3, FalseReturns: 4, Drains: 5, DrainWait: 6 * time.Second, DrainListeners: 7, Written: 8, Bound: 9,
		WritesAfterFalse: 10, BytesAfterFalse: 11, ExtraDrainListeners: 12, FirstExtraDrainListener: siteA}
	b := Stats{Buffered: 10, PeakBuffered: 20, Writes: 30, FalseReturns: 40, Drains: 50, DrainWait: 60 * time.Second, DrainListeners: 70, Written: 80, Bound: 90,
		WritesAfterFalse: 100, BytesAfterFalse: 110, FirstWriteAfterFalse: siteB, ExtraDrainListeners: 120, FirstExtraDrainListener: siteB}
	want := Stats{Buffered: 11, PeakBuffered: 22, Writes: 33, FalseReturns: 44, Drains: 55, DrainWait: 66 * time.Second, DrainListeners: 77, Written: 88, Bound: 99,
		// A call site is kept from the receiver when it has one, else from o.
		WritesAfterFalse: 110, BytesAfterFalse: 121, FirstWriteAfterFalse: siteB, ExtraDrainListeners: 132, FirstExtraDrainListener: siteA}
	if got := a.Add(b); got != want {
		t.Errorf("Add = %+v, want %+v", got, want)
	}
}

func TestCallSiteString(t *testing.T) {
	if s := (CallSite{}).String(); s != "" {
		t.Errorf("zero CallSite renders %q, want \"\"", s)
	}
	if s := (CallSite{File: "/src/flood.go", Line: 12, Function: "main.flood"}).String(); s != "/src/flood.go:12" {
		t.Errorf("String() = %q", s)
	}
}
