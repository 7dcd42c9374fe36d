package probe

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runNode runs a script (a path, or a name in testdata/node) under the
// preload, as the harness does, reporting every millisecond, and returns
// its final report and the script's path. Every line must parse, and a
// call site, once in a line, must stay in every later line.
func runNode(t *testing.T, script string, args ...string) (Report, string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH")
	}
	dir := t.TempDir()
	pre := filepath.Join(dir, "preload.js")
	if err := os.WriteFile(pre, NodePreload(), 0o644); err != nil {
		t.Fatal(err)
	}
	app := script
	if !filepath.IsAbs(app) {
		if app, err = filepath.Abs(filepath.Join("testdata", "node", script)); err != nil {
			t.Fatal(err)
		}
	}
	r, wp, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(node, append([]string{"--require", pre, app}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), EnvFD+"=3", EnvInterval+"=1ms")
	cmd.ExtraFiles = []*os.File{wp}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	wp.Close()
	out, _ := io.ReadAll(r)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, stderr.String())
	}
	var final Report
	var site CallSite
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		r, ok := Parse(line)
		if !ok {
			t.Fatalf("%q is not a report", line)
		}
		if !site.IsZero() && r.FirstWriteAfterFalse != site {
			t.Errorf("call site %+v became %+v", site, r.FirstWriteAfterFalse)
		}
		site, final = r.FirstWriteAfterFalse, r
	}
	if !final.Final {
		t.Fatalf("no final report in %q", out)
	}
	return final, app
}

// markedLine is the line of path holding "MARK:".
func markedLine(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.Contains(sc.Text(), "MARK:") {
			return n
		}
	}
	t.Fatalf("no MARK: in %s", path)
	return 0
}

// A 'data' listener that ignores write()'s false: counted, with the bytes,
// and the line named is the script's.
func TestNodeWritesAfterFalse(t *testing.T) {
	r, app := runNode(t, "ignore-in-data.js")
	if r.WritesAfterFalse <= 0 || r.BytesAfterFalse != 512*r.WritesAfterFalse {
		t.Errorf("%d writes after false of %d bytes; want some, of 512 bytes each", r.WritesAfterFalse, r.BytesAfterFalse)
	}
	if want := (CallSite{File: app, Line: markedLine(t, app)}); r.FirstWriteAfterFalse.File != want.File || r.FirstWriteAfterFalse.Line != want.Line || r.FirstWriteAfterFalse.Function == "" {
		t.Errorf("call site %+v; want %s", r.FirstWriteAfterFalse, want)
	}
	if r.ExtraDrainListeners != 0 || r.PushesAfterFalse != 0 {
		t.Errorf("%d extra drain listeners, %d pushes after false; want 0", r.ExtraDrainListeners, r.PushesAfterFalse)
	}
}

// The backpressure guide's drain-aware example ignores nothing, and its
// waits for drain are measured: the pause figures of bpbench tune.
func TestNodeDrainAware(t *testing.T) {
	// The guide's drain-aware example, as bpbench's Node workload ships it.
	guide, err := filepath.Abs(filepath.Join("..", "workloads", "node", "write-with-backpressure.js"))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := runNode(t, guide, "out.txt", "100000")
	if r.WritesAfterFalse != 0 || r.BytesAfterFalse != 0 || r.ExtraDrainListeners != 0 || r.PushesAfterFalse != 0 || !r.FirstWriteAfterFalse.IsZero() {
		t.Errorf("drain-aware script reported %+v; want no violation", r)
	}
	if r.Falses <= 0 || r.Drains != r.Falses || r.DrainWait <= 0 {
		t.Errorf("%d false returns, %d drains, %dns waited; want a drain per false return and a wait", r.Falses, r.Drains, r.DrainWait)
	}
}

// on('drain') at every stall: each listener attached while an earlier one
// is still there counts, with the script's line.
func TestNodeExtraDrainListeners(t *testing.T) {
	r, app := runNode(t, "drain-on.js")
	if r.ExtraDrainListeners <= 0 {
		t.Errorf("%d extra drain listeners; want some", r.ExtraDrainListeners)
	}
	if s := r.FirstExtraDrainListener; s.File != app || s.Line != markedLine(t, app) || s.Function == "" {
		t.Errorf("call site %+v; want %s:%d", s, app, markedLine(t, app))
	}
}

// push() after it returned false, in a source's _read.
func TestNodePushesAfterFalse(t *testing.T) {
	r, app := runNode(t, "push-after-false.js")
	if r.PushesAfterFalse <= 0 || r.BytesPushedAfterFalse != 512*r.PushesAfterFalse {
		t.Errorf("%d pushes after false of %d bytes; want some, of 512 bytes each", r.PushesAfterFalse, r.BytesPushedAfterFalse)
	}
	if s := r.FirstPushAfterFalse; s.File != app || s.Line != markedLine(t, app) {
		t.Errorf("call site %+v; want %s:%d", s, app, markedLine(t, app))
	}
}

// Node's own streams in a pipeline honour backpressure: nothing counted
// (zlib and the pipe push and write from Node's internals).
func TestNodePipelineCountsNothing(t *testing.T) {
	r, _ := runNode(t, "gzip-pipeline.js")
	if r.WritesAfterFalse != 0 || r.ExtraDrainListeners != 0 || r.PushesAfterFalse != 0 {
		t.Errorf("pipeline reported %d writes after false, %d extra drain listeners, %d pushes after false; want none",
			r.WritesAfterFalse, r.ExtraDrainListeners, r.PushesAfterFalse)
	}
	if r.Drains <= 0 || r.DrainWait <= 0 {
		t.Errorf("%d drains, %dns waited; want the pipe's waits", r.Drains, r.DrainWait)
	}
}

// A script whose path holds spaces, colons, quotes, a newline and text
// that looks like keys is named exactly, and adds no key to the line.
func TestNodeOddPathCannotInject(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "node", "ignore-in-data.js"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "my dir:1", "a \"q\" waf=9 wafline=1\nf heap=666 \\ é")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	app := filepath.Join(dir, "app.js")
	if err := os.WriteFile(app, src, 0o644); err != nil {
		t.Fatal(err)
	}
	r, _ := runNode(t, app)
	if s := r.FirstWriteAfterFalse; s.File != app || s.Line != markedLine(t, app) {
		t.Errorf("call site %q:%d; want %q:%d", s.File, s.Line, app, markedLine(t, app))
	}
	if r.WritesAfterFalse <= 0 || r.WritesAfterFalse == 9 || r.Heap == 666 {
		t.Errorf("report %+v", r)
	}
}
