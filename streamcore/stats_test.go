package streamcore

import (
	"testing"
	"time"
)

func TestStatsAdd(t *testing.T) {
	a := Stats{Buffered: 1, PeakBuffered: 2, Writes: 3, FalseReturns: 4, Drains: 5, DrainWait: 6 * time.Second, DrainListeners: 7, Written: 8, Bound: 9}
	b := Stats{Buffered: 10, PeakBuffered: 20, Writes: 30, FalseReturns: 40, Drains: 50, DrainWait: 60 * time.Second, DrainListeners: 70, Written: 80, Bound: 90}
	want := Stats{Buffered: 11, PeakBuffered: 22, Writes: 33, FalseReturns: 44, Drains: 55, DrainWait: 66 * time.Second, DrainListeners: 77, Written: 88, Bound: 99}
	if got := a.Add(b); got != want {
		t.Errorf("Add = %+v, want %+v", got, want)
	}
}
