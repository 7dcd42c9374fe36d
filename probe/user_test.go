package probe_test

import (
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bpbench/bpbench/probe"
)

// A program's own report of a write after false names the program's line
// (the caller, not package probe), costs no allocation after the first,
// and reaches the harness with the drain waits it reported.
func TestWriteAfterFalseRecordsCaller(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p := probe.NewTestProbe(w)

	_, file, line, _ := runtime.Caller(0)
	p.WriteAfterFalse(100) // line+1: the program's line
	allocs := testing.AllocsPerRun(1000, func() {
		p.WriteAfterFalse(10)
		p.DrainWait(time.Millisecond)
	})
	if allocs != 0 {
		t.Errorf("WriteAfterFalse and DrainWait allocate %v times per call after the first; want 0", allocs)
	}
	p.Send('f', nil)
	w.Close()
	out, _ := io.ReadAll(r)
	rep, ok := probe.Parse(strings.TrimSuffix(string(out), "\n"))
	if !ok {
		t.Fatalf("%q did not parse", out)
	}
	calls := int64(1 + 1001) // AllocsPerRun runs the function once more to warm up
	want := probe.CallSite{File: file, Line: line + 1, Function: "github.com/bpbench/bpbench/probe_test.TestWriteAfterFalseRecordsCaller"}
	if rep.FirstWriteAfterFalse != want {
		t.Errorf("call site %+v; want %+v", rep.FirstWriteAfterFalse, want)
	}
	if rep.WritesAfterFalse != calls || rep.BytesAfterFalse != 100+10*(calls-1) {
		t.Errorf("%d writes after false of %d bytes; want %d of %d", rep.WritesAfterFalse, rep.BytesAfterFalse, calls, 100+10*(calls-1))
	}
	if rep.Drains != calls-1 || rep.DrainWait != int64(time.Duration(calls-1)*time.Millisecond) {
		t.Errorf("%d drains, %dns waited; want %d, %v", rep.Drains, rep.DrainWait, calls-1, time.Duration(calls-1)*time.Millisecond)
	}
}

// Without the harness the calls do nothing.
func TestUserAPIOnNilProbe(t *testing.T) {
	var p *probe.Probe
	p.WriteAfterFalse(1)
	p.DrainWait(time.Second)
}
