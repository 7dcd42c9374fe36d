package harness

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/probe"
)

func TestPlanInterleavesAndShards(t *testing.T) {
	got := func(ps []planned) (s []int) {
		for _, p := range ps {
			s = append(s, p.cell*10+p.rep)
		}
		return s
	}
	mk := func(bench, variant string, expect time.Duration) Cell {
		return Cell{Bench: bench, Variant: variant, Argv: []string{"x"}, Expect: expect}
	}
	three := []Cell{mk("A", "", 0), mk("B", "", 0), mk("C", "", 0)}
	// Cell c, rep r as c*10+r: rep 0 of every cell, then rep 1, ...
	if all := got(plan(three, 2, Shard{})); !slices.Equal(all, []int{0, 10, 20, 1, 11, 21}) {
		t.Errorf("plan = %v", all)
	}
	// A pair's two variants stay together; odd reps swap their order.
	pairs := []Cell{mk("A", "drain", 4*time.Second), mk("A", "naive", 4*time.Second), mk("B", "drain", time.Second), mk("B", "naive", time.Second),
		mk("C", "drain", 2*time.Second), mk("C", "naive", time.Second), mk("D", "drain", 0), mk("D", "naive", 0)}
	if all := got(plan(pairs[:4], 2, Shard{})); !slices.Equal(all, []int{0, 10, 20, 30, 11, 1, 31, 21}) {
		t.Errorf("paired plan = %v", all)
	}
	var union []int
	var loads []time.Duration
	for i := range 3 {
		var load time.Duration
		groups := map[string]bool{}
		for _, p := range plan(pairs, 2, Shard{I: i, N: 3}) {
			union = append(union, p.index)
			groups[pairs[p.cell].Bench] = true
			load += pairs[p.cell].Expect
		}
		loads = append(loads, load)
		for g := range groups {
			for _, p := range plan(pairs, 2, Shard{}) {
				if c := pairs[p.cell]; c.Bench == g && !slices.ContainsFunc(plan(pairs, 2, Shard{I: i, N: 3}), func(q planned) bool { return q.index == p.index }) {
					t.Errorf("shard %d/3 has part of %s: run %d is elsewhere", i, g, p.index)
				}
			}
		}
	}
	slices.Sort(union)
	if !slices.Equal(union, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}) {
		t.Errorf("shards cover %v", union)
	}
	// Per rep A costs 8s, C 3s, B 2s and D 2s (no Expect counts as 1s a
	// cell): A alone, C alone, B and D together (D's Expect is 0 in loads).
	if !slices.Equal(loads, []time.Duration{16 * time.Second, 6 * time.Second, 4 * time.Second}) {
		t.Errorf("shard loads %v; want the longest group alone and the rest balanced", loads)
	}
	if sh, err := ParseShard("1/3"); err != nil || sh != (Shard{1, 3}) {
		t.Errorf("ParseShard(1/3) = %v, %v", sh, err)
	}
	for _, bad := range []string{"3/3", "-1/2", "1", "a/b", "0/0"} {
		if _, err := ParseShard(bad); !errors.Is(err, ErrBadShard) {
			t.Errorf("ParseShard(%q) = %v; want ErrBadShard", bad, err)
		}
	}
}

// checkConfig checks cfg as Run does: Validate, then normalize.
func checkConfig(cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	_, err := normalize(cfg)
	return err
}

func TestConfigErrors(t *testing.T) {
	ok := Cell{Bench: "X", Argv: []string{"sh"}}
	for name, cfg := range map[string]Config{
		"no cells":       {},
		"negative count": {Cells: []Cell{ok}, Count: -1},
		"bad shard":      {Cells: []Cell{ok}, Shard: Shard{2, 2}},
		"duplicate":      {Cells: []Cell{ok, ok}},
		"no argv":        {Cells: []Cell{{Bench: "X"}}},
		"space in bench": {Cells: []Cell{{Bench: "A B", Argv: []string{"sh"}}}},
		"slash in param": {Cells: []Cell{{Bench: "X", Argv: []string{"sh"}, Params: []results.Param{{Key: "sink", Value: "/dev/null"}}}}},
		"reserved param": {Cells: []Cell{{Bench: "X", Argv: []string{"sh"}, Params: []results.Param{{Key: "memlimit", Value: "1"}}}}},
		"missing cmd":    {Cells: []Cell{{Bench: "X", Argv: []string{"./no/such/bpbench-cmd"}}}},
		"negative limit": {Cells: []Cell{ok}, MemLimit: -1},
	} {
		if err := checkConfig(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if err := checkConfig(Config{Cells: []Cell{ok}, Shard: Shard{2, 2}}); !errors.Is(err, ErrBadShard) || !errors.Is(err, ErrInvalidConfig) || strings.Count(err.Error(), "harness:") != 1 {
		t.Errorf("bad shard: %v; want ErrBadShard, prefixed once", err)
	}
	cfg, err := normalize(Config{Cells: []Cell{ok}, MemLimit: 100})
	if err != nil || cfg.Count != 1 || cfg.HardLimit != 125 || cfg.Interval != DefaultInterval || !filepath.IsAbs(cfg.Cells[0].Argv[0]) {
		t.Errorf("defaults: %+v, %v", cfg, err)
	}
}

func TestProbeState(t *testing.T) {
	ps := newProbeState()
	ps.feed([]byte("s heap=10 buf=5 peakbuf=7\nnoise\ns hea"))
	ps.feed([]byte("p=30 buf=1 peakbuf=9\n" + strings.Repeat("z", 70<<10) + "\n"))
	ps.readAll(strings.NewReader("f heap=20 hwm=99"))
	if ps.lines != 3 || ps.peakHeap != 30 || ps.maxBuf != 9 || ps.final == nil || ps.final.HWM != 99 || ps.bound != -1 {
		t.Errorf("probe state: %d lines, peak heap %d, max buffered %d, bound %d, final %+v", ps.lines, ps.peakHeap, ps.maxBuf, ps.bound, ps.final)
	}
	// written and bound are optional; the largest bound counts.
	ps = newProbeState()
	ps.feed([]byte("s buf=1 written=100 bound=65600\ns buf=2 written=200 bound=131136\n"))
	s := results.NoSample()
	if !ps.fill(&s) || s.Written != 200 || ps.bound != 131136 {
		t.Errorf("written %d, bound %d", s.Written, ps.bound)
	}
}

func TestStderrTail(t *testing.T) {
	var w tailWriter
	w.Write([]byte(strings.Repeat("x", 10000) + "fatal error: runtime: out "))
	if w.oom {
		t.Fatal("oom before the message is complete")
	}
	w.Write([]byte("of memory\n" + strings.Repeat("goroutine dump\n", 1000)))
	if !w.oom {
		t.Error("message split across writes not seen")
	}
	if tail := w.tail(); len(tail) != stderrTail || !strings.HasSuffix(tail, "goroutine dump\n") {
		t.Errorf("tail has %d bytes", len(tail))
	}
}

func TestNearCap(t *testing.T) {
	const limit, iv = 100 << 20, 5 * time.Millisecond
	for _, tc := range []struct {
		rss, prev int64
		dt        time.Duration
		want      bool
	}{
		{10 << 20, 9 << 20, iv, false}, // far and slow
		{76 << 20, 76 << 20, iv, true}, // above 3/4
		{60 << 20, 40 << 20, iv, true}, // 20MiB per interval: reaches the cap within two
		{60 << 20, 55 << 20, iv, false},
		{60 << 20, 70 << 20, iv, false}, // shrinking
		{99 << 20, 0, 0, true},
	} {
		if got := nearCap(tc.rss, tc.prev, tc.dt, limit, iv); got != tc.want {
			t.Errorf("nearCap(%d, %d, %v) = %v", tc.rss>>20, tc.prev>>20, tc.dt, got)
		}
	}
	if nearCap(1<<40, 0, iv, 0, iv) {
		t.Error("no cap, yet near it")
	}
}

// classify is a pure function of how a run ended.
func TestClassify(t *testing.T) {
	for _, c := range []struct {
		name       string
		f          exitFacts
		want       results.Outcome
		oomAt      float64 // -1: no time to OOM
		notStarted bool
		note       string
	}{
		{"clean exit", exitFacts{}, results.OK, -1, false, ""},
		{"killed at the cap", exitFacts{killedFor: results.OOM, killAt: 2 * time.Second, killRSS: 200 << 20, hardLimit: 192 << 20, signal: "SIGKILL", exitCode: -1, probing: true, reported: true},
			results.OOM, 2, false, "RSS 200.0MiB crossed the hard limit 192.0MiB after 2.000s; killed"},
		{"timeout wins over its SIGKILL", exitFacts{killedFor: results.Timeout, timeout: time.Minute, signal: "SIGKILL", exitCode: -1}, results.Timeout, -1, false, "still running after the 1m0s timeout; killed"},
		{"interrupted", exitFacts{killedFor: results.Interrupted, signal: "SIGKILL", exitCode: -1, probing: true}, results.Interrupted, -1, false, "the harness was interrupted; killed"},
		{"Go or Node out of memory", exitFacts{stderrOOM: true, exitCode: 2, wall: 3 * time.Second}, results.OOM, 3, false, "the child reported running out of memory"},
		{"SIGKILL nobody counted (watchdog)", exitFacts{mechanism: CapWatchdog, hostOOMKills: 0, signal: "SIGKILL", exitCode: -1, wall: time.Second}, results.Crash, -1, false, "killed by SIGKILL that the harness did not send and the kernel did not count as an OOM kill"},
		{"SIGKILL nobody counted (cgroup)", exitFacts{mechanism: CapCgroup1, cgroupOOMKills: 0, signal: "SIGKILL", exitCode: -1, wall: time.Second}, results.Crash, -1, false, "killed by SIGKILL that the run's memory cgroup did not count as an OOM kill"},
		{"SIGKILL while the machine counted an OOM kill (watchdog)", exitFacts{mechanism: CapWatchdog, hostOOMKills: 1, signal: "SIGKILL", exitCode: -1, wall: time.Second}, results.OOM, 1, false, "killed by SIGKILL while the kernel counted 1 OOM kill(s) on this machine (/proc/vmstat): most likely its OOM killer"},
		{"the machine's count does not count under a cgroup", exitFacts{mechanism: CapCgroup2, cgroupOOMKills: 0, hostOOMKills: 1, signal: "SIGKILL", exitCode: -1, wall: time.Second}, results.Crash, -1, false, "killed by SIGKILL that the run's memory cgroup did not count as an OOM kill"},
		{"the cgroup's OOM killer, leader exited 0", exitFacts{mechanism: CapCgroup1, cgroupOOMKills: 1, cgroupOOMAt: 300 * time.Millisecond, hardLimit: 80 << 20, wall: 2 * time.Second}, results.OOM, 0.3, false, "the kernel's OOM killer killed 1 process(es) of the run's cgroup1 at the hard limit 80.0MiB"},
		{"nonzero exit", exitFacts{exitCode: 3}, results.Crash, -1, false, ""},
		{"other signal", exitFacts{signal: "SIGSEGV", exitCode: -1}, results.Crash, -1, false, ""},
		{"crashed before reporting", exitFacts{exitCode: 1, probing: true}, results.Crash, -1, true, "the workload never reported: it stopped before it started"},
		{"killed at the cap before reporting", exitFacts{killedFor: results.OOM, killAt: 8 * time.Millisecond, killRSS: 2 << 20, hardLimit: 1 << 20, probing: true},
			results.OOM, 0.008, true, "RSS 2.0MiB crossed the hard limit 1.0MiB after 0.008s; killed; the workload never reported: it stopped before it started"},
		{"exit 0 without the probe it was expected to speak", exitFacts{probing: true}, results.Crash, -1, true, "it exited 0 without the workload ever reporting through the probe: it is not the program expected (a --baseline-bin that is not bpbench?), or it never ran the workload"},
		{"a timeout before reporting is a timeout", exitFacts{killedFor: results.Timeout, timeout: 100 * time.Millisecond, probing: true}, results.Timeout, -1, false, "still running after the 100ms timeout; killed"},
		{"exit 0 but stderr held open", exitFacts{waitErr: errors.New("exec: WaitDelay expired before I/O complete")}, results.OK, -1, false, "exec: WaitDelay expired before I/O complete"},
	} {
		v := classify(c.f)
		got := -1.0
		if v.timeToOOM != nil {
			got = *v.timeToOOM
		}
		if v.outcome != c.want || got != c.oomAt || v.notStarted != c.notStarted || v.note != c.note {
			t.Errorf("%s: got %s (oom at %v, not started %v, note %q); want %s (%v, %v, %q)", c.name, v.outcome, got, v.notStarted, v.note, c.want, c.oomAt, c.notStarted, c.note)
		}
	}
}

// The suite fingerprint is the cells' names and sides, not host paths, so
// shards from machines with other folders merge; another cell changes it.
func TestSuiteFingerprint(t *testing.T) {
	a := Config{Count: 5, Cells: []Cell{{Bench: "W", Variant: "drain", Argv: []string{"/home/a/bpbench-workload", "w", "--sink", "/home/a/out"}}}}
	b := Config{Count: 5, Cells: []Cell{{Bench: "W", Variant: "drain", Argv: []string{"/tmp/x/bpbench-workload", "w", "--sink", "/tmp/x/out"}}}}
	if suiteFingerprint(a) != suiteFingerprint(b) {
		t.Error("the same suite in other folders has another fingerprint")
	}
	c := b
	c.Cells = append(slices.Clone(c.Cells), Cell{Bench: "W", Variant: "naive"})
	d := b
	d.Count = 6
	if suiteFingerprint(c) == suiteFingerprint(b) || suiteFingerprint(d) == suiteFingerprint(b) {
		t.Error("another cell or count keeps the fingerprint")
	}
}

// What the probe reports of backpressure ignored reaches the run: counts
// (nil when not reported, 0 kept as 0) and one violation per kind with a
// call site.
func TestFillViolations(t *testing.T) {
	l, ok := probe.Parse(`f waf=12 wafbytes=1200 waffile="/src/flood.js" wafline=12 waffunc="flood" xdrain=0`)
	if !ok {
		t.Fatal("the line does not parse")
	}
	ps := &probeState{lines: 1, last: l}
	var r results.Run
	ps.fillViolations(&r)
	if r.WritesAfterFalse == nil || *r.WritesAfterFalse != 12 || *r.BytesAfterFalse != 1200 {
		t.Errorf("writes after false %v, bytes %v; want 12 and 1200", r.WritesAfterFalse, r.BytesAfterFalse)
	}
	if r.ExtraDrainListeners == nil || *r.ExtraDrainListeners != 0 || r.PushesAfterFalse != nil {
		t.Errorf("extra drain listeners %v (want 0), pushes %v (want nil: not reported)", r.ExtraDrainListeners, r.PushesAfterFalse)
	}
	want := []results.Violation{{Kind: results.WriteAfterFalse, Site: "/src/flood.js:12", Function: "flood", Count: 12, Bytes: 1200}}
	if !slices.Equal(r.Violations, want) {
		t.Errorf("violations %+v; want %+v", r.Violations, want)
	}
	var none results.Run
	(&probeState{}).fillViolations(&none)
	if none.WritesAfterFalse != nil || none.Violations != nil {
		t.Errorf("a run that never reported has violations: %+v", none)
	}
}
