package probe

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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

// Without the harness Start returns nil, and a nil Probe does nothing.
func TestStartWithoutHarnessIsNoop(t *testing.T) {
	t.Setenv(EnvFD, "")
	os.Unsetenv(EnvFD)
	p := Start(context.Background())
	if p != nil {
		t.Fatalf("Start without BPBENCH_PROBE_FD = %v; want nil", p)
	}
	p.Track(func() Stats { return NoStats() })
	p.Buffered(func() int64 { return 1 })
	p.Stop(nil)
	p.Stop(errors.New("twice"))
}

// A program that speaks the probe writes lines Parse reads back: the
// figures it was given, the optional ones only when known.
func TestStartWritesWhatParseReads(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p := newProbe(w)
	p.Track(func() Stats {
		return Stats{Buffered: 3, PeakBuffered: 3, Writes: 6, FalseReturns: 7, Drains: 8, DrainWait: 9, Written: 100, Bound: -1}
	})
	p.Buffered(func() int64 { return 1 })
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
	if !ok || s.Final || s.Buf != 4 || s.PeakBuf != 4 || s.Written != 100 || s.Bound != -1 || s.Heap <= 0 || strings.Contains(lines[0], "bound=") {
		t.Errorf("sample %q parsed as %+v", lines[0], s)
	}
	f, ok := Parse(lines[1])
	if !ok || !f.Final || f.Err != "boom" {
		t.Errorf("final %q parsed as %+v", lines[1], f)
	}
}

// BenchmarkReport is the cost of one report with three sources: at the
// default 5ms interval it must stay far below 1% of one core (the
// pct-of-core-at-5ms metric).
func BenchmarkReport(b *testing.B) {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	p := newProbe(devnull)
	for range 3 {
		p.Track(func() Stats { return Stats{Buffered: 1, PeakBuffered: 2, Writes: 3, Written: 4, Bound: -1} })
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p.send('s', nil)
	}
	perReport := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(100*perReport/float64(DefaultInterval.Nanoseconds()), "pct-of-core-at-5ms")
}

// The Node preload sees writes to every kind of stream — Writable, and the
// Duplex family (PassThrough, zlib), whose write is a copy of Writable's —
// and counts bytes, not characters; it reads Go's duration syntax.
func TestNodePreload(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH")
	}
	dir := t.TempDir()
	pre := filepath.Join(dir, "preload.js")
	os.WriteFile(pre, NodePreload(), 0o644)
	app := filepath.Join(dir, "app.js")
	os.WriteFile(app, []byte(`
const { PassThrough, Writable } = require('stream');
const zlib = require('zlib');
const p = new PassThrough({ highWaterMark: 16 });
for (let i = 0; i < 100; i++) p.write('héllo wörld\n'); // 14 bytes, 12 characters
const g = zlib.createGzip();
for (let i = 0; i < 50; i++) g.write(Buffer.alloc(1024));
const w = new Writable({ write(c, e, cb) { setTimeout(cb, 1) } });
for (let i = 0; i < 10; i++) w.write(Buffer.alloc(100));
setTimeout(() => process.exit(0), 50);
`), 0o644)
	r, wp, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "--require", pre, app)
	cmd.Env = append(os.Environ(), EnvFD+"=3", EnvInterval+"=1m0s")
	cmd.ExtraFiles = []*os.File{wp}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	wp.Close()
	out, _ := io.ReadAll(r)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	final, ok := Parse(lines[len(lines)-1])
	if !ok || !final.Final {
		t.Fatalf("no final report in %q", out)
	}
	if len(lines) != 1 {
		t.Errorf("%d reports in 50ms at a 1m interval; want only the final one", len(lines))
	}
	if final.Writes != 160 || final.Written != 100*14+50*1024+10*100 || final.Heap <= 0 || final.HWM <= 0 {
		t.Errorf("final report %+v: want 160 writes of %d bytes", final, 100*14+50*1024+10*100)
	}
}
