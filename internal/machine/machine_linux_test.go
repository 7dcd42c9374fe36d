package machine

import (
	"slices"
	"testing"
)

func TestParse(t *testing.T) {
	if n := memTotal([]byte("MemTotal:        8039568 kB\nMemFree: 1 kB\n")); n != 8039568<<10 {
		t.Errorf("memTotal %d", n)
	}
	if n := memTotal([]byte("garbage")); n != 0 {
		t.Errorf("memTotal of garbage %d", n)
	}
	if l := loadAvg([]byte("0.52 0.58 0.59 1/123 4567\n")); !slices.Equal(l, []float64{0.52, 0.58, 0.59}) {
		t.Errorf("loadAvg %v", l)
	}
	if l := loadAvg([]byte("x y")); l != nil {
		t.Errorf("loadAvg of garbage %v", l)
	}
}
