package probe

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestProbeLineRoundTrip(t *testing.T) {
	for _, line := range []string{
		`s heap=1 total=2 gc=3 buf=4 peakbuf=5 writes=6 false=7 drains=8 drainwait=9`,
		`f heap=1 total=2 gc=3 buf=4 peakbuf=5 writes=6 false=7 drains=8 drainwait=9 hwm=4096 err="write x: no space \"left\" err=1"`,
	} {
		pl, ok := Parse(line)
		if !ok || pl.Heap != 1 || pl.Total != 2 || pl.GC != 3 || pl.Buf != 4 || pl.PeakBuf != 5 || pl.Writes != 6 || pl.Falses != 7 || pl.Drains != 8 || pl.DrainWait != 9 {
			t.Errorf("parse %q = %+v", line, pl)
		}
		if pl.Final != (line[0] == 'f') {
			t.Errorf("final = %v for %q", pl.Final, line)
		}
	}
	pl, _ := Parse(`f hwm=4096 err="write x: no space \"left\" err=1"`)
	if pl.HWM != 4096 || pl.Err != `write x: no space "left" err=1` || pl.Heap != -1 {
		t.Errorf("final line: %+v", pl)
	}
	if _, ok := Parse("garbage"); ok {
		t.Error("garbage parsed")
	}
}

func TestStartWithoutHarnessIsNoop(t *testing.T) {
	t.Setenv(EnvFD, "")
	os.Unsetenv(EnvFD)
	stop := Start(context.Background(), nil)
	stop(nil)
	stop(errors.New("twice"))
}

// A program that speaks the probe writes lines Parse reads back: the
// figures it was given, the optional ones only when known.
func TestStartWritesWhatParseReads(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p := &probe{f: w, stats: func() Stats {
		return Stats{Buffered: 4, PeakBuffered: 5, Writes: 6, FalseReturns: 7, Drains: 8, DrainWait: 9, Written: 100, Bound: -1}
	}}
	for i, name := range runtimeMetrics {
		p.samples[i].Name = name
	}
	p.send('s', nil)
	p.send('f', errors.New("boom"))
	w.Close()
	buf := make([]byte, 4096)
	n, _ := r.Read(buf)
	lines := strings.Split(strings.TrimSpace(string(buf[:n])), "\n")
	if len(lines) != 2 {
		t.Fatalf("lines %q", lines)
	}
	s, ok := Parse(lines[0])
	if !ok || s.Final || s.Buf != 4 || s.Written != 100 || s.Bound != -1 || s.Heap <= 0 || strings.Contains(lines[0], "bound=") {
		t.Errorf("sample %q parsed as %+v", lines[0], s)
	}
	f, ok := Parse(lines[1])
	if !ok || !f.Final || f.Err != "boom" {
		t.Errorf("final %q parsed as %+v", lines[1], f)
	}
}
