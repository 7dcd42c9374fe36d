package workloads

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/bpbench/bpbench/streamcore"
)

// runIn runs workload name in dir and returns the peak of its tracked
// streams' buffered bytes.
func runIn(t *testing.T, dir, name string, v Variant, p Params) streamcore.Stats {
	t.Helper()
	w, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	var mu sync.Mutex
	var tracked []func() streamcore.Stats
	err = w.Run(context.Background(), Env{Variant: v, Params: p, Track: func(f func() streamcore.Stats) {
		mu.Lock()
		tracked = append(tracked, f)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatalf("%s %s: %v", name, v, err)
	}
	if len(tracked) == 0 {
		t.Fatalf("%s %s tracked no stream", name, v)
	}
	var sum streamcore.Stats
	for _, f := range tracked {
		sum = sum.Add(f())
	}
	return sum
}

// The backpressure guide's promise: the drain variant writes exactly line 0 … line 999999.
func TestMillionLineWriterDrainWritesExactLines(t *testing.T) {
	dir := t.TempDir()
	s := runIn(t, dir, "million-line-writer", Drain, Params{})
	if i := exactLines(t, filepath.Join(dir, "big-output.txt")); i != 1_000_000 {
		t.Fatalf("%d lines, want 1000000", i)
	}
	if s.Writes != 1_000_000 {
		t.Errorf("%d writes, want 1000000", s.Writes)
	}
	// Honouring backpressure bounds the buffer at HWM plus one line.
	if limit := int64(streamcore.DefaultHighWaterMark + len("line 999999\n")); s.PeakBuffered > limit {
		t.Errorf("peak buffered %d > %d", s.PeakBuffered, limit)
	}
	if s.FalseReturns == 0 || s.Drains != s.FalseReturns {
		t.Errorf("false returns %d, drains %d: a drain-aware writer waits for one drain per false", s.FalseReturns, s.Drains)
	}
}

// Naive and drain write the same bytes; the naive one just does not wait.
func TestMillionLineWriterNaiveWritesSameLines(t *testing.T) {
	dir := t.TempDir()
	runIn(t, dir, "million-line-writer", Naive, Params{Lines: 20000, Sink: "naive.txt"})
	runIn(t, dir, "million-line-writer", Drain, Params{Lines: 20000, Sink: "drain.txt"})
	a, _ := os.ReadFile(filepath.Join(dir, "naive.txt"))
	b, _ := os.ReadFile(filepath.Join(dir, "drain.txt"))
	if len(a) == 0 || string(a) != string(b) {
		t.Fatalf("naive wrote %d bytes, drain %d; want the same lines", len(a), len(b))
	}
}

// The tight loop's model: one system call per chunk to /dev/null is slower
// than producing a line, so the naive loop piles lines up while the drain
// loop stays within HWM + one chunk.
func TestTightLoopNaiveGrowsDrainStaysFlat(t *testing.T) {
	p := Params{Lines: 200_000, HWM: streamcore.HWM(16 << 10)}
	drain := runIn(t, t.TempDir(), "tight-loop-5m", Drain, p)
	naive := runIn(t, t.TempDir(), "tight-loop-5m", Naive, p)
	if drain.PeakBuffered > 16<<10+16 {
		t.Errorf("drain peak buffered %d > HWM + one chunk", drain.PeakBuffered)
	}
	// A wide margin: the naive loop must buffer at least 4x the HWM.
	if naive.PeakBuffered < 4*16<<10 {
		t.Errorf("naive peak buffered %d: want the buffer to grow well past the HWM (16KiB)", naive.PeakBuffered)
	}
	if naive.Drains > naive.FalseReturns/100 {
		t.Errorf("naive: %d drains for %d false returns; a naive loop never waits", naive.Drains, naive.FalseReturns)
	}
}

func TestGzipPipelineRoundTrips(t *testing.T) {
	for _, v := range []Variant{Drain, Naive} {
		t.Run(string(v), func(t *testing.T) {
			dir := t.TempDir()
			s := runIn(t, dir, "gzip-pipeline", v, Params{InputSize: 1 << 20})
			in, err := inputCache{}.open(t.Context(), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			f, err := os.Open(filepath.Join(dir, "huge.log.gz"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			zr, err := gzip.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			out, err := io.ReadAll(zr)
			if err != nil {
				t.Fatalf("decompressing the output: %v", err)
			}
			want, _ := io.ReadAll(in)
			if string(out) != string(want) {
				t.Fatalf("decompressed %d bytes, want the %d input bytes", len(out), len(want))
			}
			if v == Drain && s.PeakBuffered > 4*(64<<10) {
				t.Errorf("drain peak buffered %d: Pipeline should keep each stage near its HWM", s.PeakBuffered)
			}
		})
	}
}

func TestSlowConsumerNaiveBuffersTheBacklog(t *testing.T) {
	p := Params{InputSize: 2 << 20, Rate: 16 << 20, HWM: streamcore.HWM(16 << 10)}
	drain := runIn(t, t.TempDir(), "slow-consumer", Drain, p)
	naive := runIn(t, t.TempDir(), "slow-consumer", Naive, p)
	if drain.PeakBuffered > 2*(16<<10) {
		t.Errorf("drain peak buffered %d, want about one HWM", drain.PeakBuffered)
	}
	// Reading a cached file outruns 16MiB/s: nearly all 2MiB queue up.
	if naive.PeakBuffered < 1<<20 {
		t.Errorf("naive peak buffered %d, want most of the 2MiB input", naive.PeakBuffered)
	}
}

func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, w := range All() {
		if seen[w.Name] {
			t.Errorf("duplicate workload %s", w.Name)
		}
		seen[w.Name] = true
		if w.Bench == "" || w.Seed == "" || w.Model == "" || len(w.Variants) == 0 {
			t.Errorf("%s: Bench, Seed, Model and Variants must all be set", w.Name)
		}
		if (w.run == nil) == (w.command == nil) {
			t.Errorf("%s: exactly one of run and command must be set", w.Name)
		}
		for _, n := range w.Uses {
			if w.Defaults.Value(n) == "" || w.Defaults.Value(n) == "0B" {
				t.Errorf("%s uses %s but has no default for it", w.Name, n)
			}
		}
	}
	for _, name := range []string{"million-line-writer", "tight-loop-5m", "gzip-pipeline", "slow-consumer", "node/write-with-backpressure", "node/ignore-backpressure"} {
		if !seen[name] {
			t.Errorf("registry lacks %s", name)
		}
	}
	w, _ := Lookup("tight-loop-5m")
	if w.Defaults.Lines != 5_000_000 {
		t.Errorf("tight-loop-5m defaults to %d lines, want the backpressure guide's 5000000", w.Defaults.Lines)
	}
	if _, err := Lookup("nope"); err == nil || !strings.Contains(err.Error(), "bpbench list") {
		t.Errorf("Lookup(nope) = %v; want an error pointing at bpbench list", err)
	}
}

func TestRunRejectsWrongVariantAndExternal(t *testing.T) {
	w, _ := Lookup("million-line-writer")
	if err := w.Run(context.Background(), Env{Variant: "sideways"}); err == nil {
		t.Error("Run accepted variant sideways")
	}
	n, _ := Lookup("node/ignore-backpressure")
	if err := n.Run(context.Background(), Env{Variant: Naive}); err == nil {
		t.Error("Run ran an external workload in process")
	}
}

func TestParamsSet(t *testing.T) {
	var p Params
	for _, c := range []struct{ name, value string }{{PLines, "10"}, {PHWM, "16KiB"}, {PSink, "null"}, {PRate, "1MiB"}, {PInputSize, "2MiB"}} {
		if err := p.Set(c.name, c.value); err != nil {
			t.Fatalf("Set(%s, %s): %v", c.name, c.value, err)
		}
		if got := p.Value(c.name); got != c.value {
			t.Errorf("Value(%s) = %q, want %q", c.name, got, c.value)
		}
	}
	for _, c := range []struct{ name, value string }{{PLines, "-1"}, {PLines, "x"}, {PHWM, "12XB"}, {PRate, "0"}, {PInputSize, "-5MiB"}, {PSink, ""}, {"colour", "red"}} {
		if err := p.Set(c.name, c.value); err == nil {
			t.Errorf("Set(%s, %q) accepted bad input", c.name, c.value)
		}
	}
}

func TestNodeCommand(t *testing.T) {
	w, _ := Lookup("node/ignore-backpressure")
	argv, err := w.Command(Params{Lines: 10}, Naive, 128<<20)
	if errors.Is(err, ErrNoNode) {
		t.Skip("node not on PATH")
	}
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(argv, " ")
	if !strings.Contains(joined, "--max-old-space-size=128") || !strings.HasSuffix(joined, os.DevNull+" 10") {
		t.Errorf("argv %q: want the heap cap and the sink and line count", joined)
	}
	script, err := os.ReadFile(argv[len(argv)-3])
	if err != nil || string(script) != string(ignoreBackpressureJS) {
		t.Errorf("script not written: %v", err)
	}
	// The shipped copies are the backpressure guide's scripts: the loop the article shows.
	if !strings.Contains(string(ignoreBackpressureJS), "for (let i = 0; i < n; i++) dest.write(`line ${i}\\n`);") {
		t.Errorf("ignore-backpressure.js is not the backpressure guide's tight loop:\n%s", ignoreBackpressureJS)
	}
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
}

// A naive variant whose source fails ends with the source's error instead
// of waiting forever for a destination nobody ends.
func TestPipeNaivePropagatesSourceError(t *testing.T) {
	boom := errors.New("boom")
	src, err := streamcore.NewReadable[[]byte](streamcore.SourceFunc[[]byte](func(_ context.Context, r *streamcore.Readable[[]byte], _ int) {
		r.Push([]byte("x"))
		r.Destroy(boom)
	}), streamcore.ReadableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dst, _ := streamcore.NewWritable[[]byte](streamcore.Discard[[]byte]{}, streamcore.WritableOptions{})
	pipeNaive(src, dst)
	if err := waitAll(context.Background(), dst, src); !errors.Is(err, boom) {
		t.Fatalf("waitAll = %v, want the source's error", err)
	}
}

// An explicit highWaterMark of 0 is honoured (CONFORMANCE D1): every write
// reports backpressure.
func TestExplicitZeroHWM(t *testing.T) {
	var p Params
	if err := p.Set(PHWM, "0"); err != nil {
		t.Fatal(err)
	}
	s := runIn(t, t.TempDir(), "million-line-writer", Drain, Params{Lines: 50, HWM: p.HWM, Sink: "out.txt"})
	if s.FalseReturns != 50 {
		t.Errorf("hwm 0: %d of 50 writes returned false, want all", s.FalseReturns)
	}
	w, _ := Lookup("million-line-writer")
	if got := w.Resolve(p).Value(PHWM); got != "0B" {
		t.Errorf("resolved hwm %q, want 0B", got)
	}
}

// The backpressure guide's last rule as a workload: drain-on writes the same lines as
// drain, but its persistent listeners pile up (doubling at every drain) and
// their re-entrant writes buffer far past the highWaterMark.
func TestMillionLineWriterDrainOnPilesUpListeners(t *testing.T) {
	dir := t.TempDir()
	p := Params{Lines: 100_000, HWM: streamcore.HWM(16 << 10)}
	p.Sink = "on.txt"
	on := runIn(t, dir, "million-line-writer", DrainOn, p)
	p.Sink = "once.txt"
	once := runIn(t, dir, "million-line-writer", Drain, p)
	a, _ := os.ReadFile(filepath.Join(dir, "on.txt"))
	b, _ := os.ReadFile(filepath.Join(dir, "once.txt"))
	if len(a) == 0 || string(a) != string(b) {
		t.Fatalf("drain-on wrote %d bytes, drain %d; want the same lines", len(a), len(b))
	}
	if once.DrainListeners != 0 {
		t.Errorf("drain: %d listeners left; WaitDrain attaches none", once.DrainListeners)
	}
	// About 17 stalls: 2^16 listeners or more by the end.
	if on.DrainListeners < 1000 {
		t.Errorf("drain-on: %d drain listeners at the end; want them piled up (thousands)", on.DrainListeners)
	}
	if limit := int64(16<<10 + 16); once.PeakBuffered > limit {
		t.Errorf("drain: peak buffered %d > HWM + one line", once.PeakBuffered)
	}
	if on.PeakBuffered < 8*(16<<10) {
		t.Errorf("drain-on: peak buffered %d; want the re-entrant writes far past the HWM (16KiB)", on.PeakBuffered)
	}
	t.Logf("drain-on: %d listeners, peak buffered %d, %d drains; drain: peak %d, %d drains", on.DrainListeners, on.PeakBuffered, on.Drains, once.PeakBuffered, once.Drains)
}

func TestGlobMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, name string
		want          bool
	}{
		{"*", "node/ignore-backpressure", true},
		{"*", "tight-loop-5m", true},
		{"tight-*", "tight-loop-5m", true},
		{"tight-*", "million-line-writer", false},
		{"node/*", "node/write-with-backpressure", true},
		{"node/*", "gzip-pipeline", false},
		{"gzip-pipelin?", "gzip-pipeline", true},
		{"gzip.pipeline", "gzip-pipeline", false},
	} {
		if got := globMatch(c.pattern, c.name); got != c.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", c.pattern, c.name, got, c.want)
		}
	}
}

// The default --workload selects the whole registry, Node scripts included.
func TestDefaultSelectsEveryWorkload(t *testing.T) {
	ws, err := Select([]string{"*"})
	if err != nil || len(ws) != len(All()) {
		t.Fatalf("selectWorkloads(*) = %d workloads, %v; want all %d", len(ws), err, len(All()))
	}
}

// The tight loop's drain variant reuses its line blocks after each drain:
// every line must still reach the sink intact and in order (a block reused
// too early would overwrite lines the sink had not taken yet).
func TestTightLoopDrainLinesIntact(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.txt")
	s := runIn(t, dir, "tight-loop-5m", Drain, Params{Lines: 300_000, Sink: out})
	if i := exactLines(t, out); i != 300_000 || s.Drains == 0 {
		t.Fatalf("%d lines after %d drains; want 300000 lines and some drains", i, s.Drains)
	}
}

// exactLines checks that the file at path holds "line 0", "line 1", … in
// order and returns how many.
func exactLines(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	i := 0
	for sc.Scan() {
		if want := "line " + strconv.Itoa(i); sc.Text() != want {
			t.Fatalf("line %d is %q, want %q", i, sc.Text(), want)
		}
		i++
	}
	return i
}
