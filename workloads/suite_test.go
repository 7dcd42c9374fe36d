package workloads

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bpbench/bpbench/streamcore"
)

// Suite keeps registry order, leaves out variants a workload lacks, sweeps
// --hwm only where the workload takes it, and resolves defaults.
func TestSuiteExpandsVariantsAndHWMs(t *testing.T) {
	ws, err := Select([]string{"million-line-writer", "node/ignore-backpressure", "slow-consumer"})
	if err != nil {
		t.Fatal(err)
	}
	hwms := []*int{streamcore.HWM(1024), streamcore.HWM(4096)}
	cells, err := Suite(ws, []Variant{Naive, DrainOn}, hwms, func(w *Workload) (Params, error) {
		return Params{Lines: 500}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cells {
		s := c.Workload.Name + "/" + string(c.Variant)
		if slices.Contains(c.Workload.Uses, PHWM) {
			s += "/" + c.Params.Value(PHWM)
		}
		got = append(got, s)
	}
	want := []string{
		"million-line-writer/naive/1KiB", "million-line-writer/naive/4KiB",
		"million-line-writer/drain-on/1KiB", "million-line-writer/drain-on/4KiB",
		"node/ignore-backpressure/naive", // node takes no --hwm: one cell
		"slow-consumer/naive/1KiB", "slow-consumer/naive/4KiB",
	}
	if !slices.Equal(got, want) {
		t.Errorf("cells\n%q\nwant\n%q", got, want)
	}
	if p := cells[0].Params; p.Lines != 500 || p.Sink != "big-output.txt" {
		t.Errorf("params not resolved against the defaults: %+v", p)
	}
	if p := cells[len(cells)-1].Params; p.Rate == 0 || p.InputSize == 0 {
		t.Errorf("slow-consumer's defaults not applied: %+v", p)
	}
}

func TestSuiteStopsAtAParamsError(t *testing.T) {
	bad := errors.New("bad sink")
	_, err := Suite(All(), []Variant{Drain}, nil, func(w *Workload) (Params, error) { return Params{}, bad })
	if !errors.Is(err, bad) {
		t.Fatalf("err %v; want the params error", err)
	}
}

// A cell's labels and arguments name every parameter the workload uses;
// a sink path is reduced to its base name in the labels ("/" separates
// a benchmark name's keys) but given whole to the child.
func TestCellLabelsArgsExpect(t *testing.T) {
	w, _ := Lookup("million-line-writer")
	cells, err := Suite([]*Workload{w}, []Variant{Drain}, nil, func(*Workload) (Params, error) {
		return Params{Lines: 1000, Sink: "/tmp/x/out.txt"}, nil
	})
	if err != nil || len(cells) != 1 {
		t.Fatalf("%d cells, %v", len(cells), err)
	}
	c := cells[0]
	if got := fmt.Sprint(c.Labels()); got != "[{lines 1000} {hwm 64KiB} {sink out.txt}]" {
		t.Errorf("labels %s", got)
	}
	if got := strings.Join(c.Args(), " "); got != "million-line-writer -q --variant drain --lines 1000 --hwm 64KiB --sink /tmp/x/out.txt" {
		t.Errorf("args %q", got)
	}
	if d := c.Expect(); d <= 0 || d > time.Second {
		t.Errorf("expect %v for 1000 lines", d)
	}
	slow, _ := Lookup("slow-consumer")
	sc := Cell{Workload: slow, Variant: Drain, Params: slow.Resolve(Params{InputSize: 64 << 20, Rate: 1 << 20})}
	if d := sc.Expect(); d != 64*time.Second {
		t.Errorf("a throttled sink's cell expects %v; want input/rate = 64s", d)
	}
}
