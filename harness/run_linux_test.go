package harness

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/internal/size"

	"golang.org/x/sys/unix"

	"github.com/bpbench/bpbench/probe"
)

// Tests that need a child process re-run the test binary: TestMain acts as
// the child when BPBENCH_TEST_CHILD names a mode.
const envTestChild = "BPBENCH_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(envTestChild); mode != "" {
		os.Exit(testChild(mode))
	}
	// Run writes the node probe and the runs' working folders under the
	// temp folder: give the tests their own, removed at the end, so that
	// they leave nothing behind.
	tmp, err := os.MkdirTemp("", "bpbench-harness-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("TMPDIR", tmp)
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

// testChild is the child side of the tests; it returns the exit code.
func testChild(mode string) int {
	if code, ok := cgroupTestChild(mode); ok {
		return code
	}
	ctx := context.Background()
	var n, reports atomic.Int64
	fakeStats := func() probe.Stats {
		reports.Add(1) // the probe asks for the figures of each report it sends
		k := n.Load()
		return probe.Stats{Buffered: k % 4096, PeakBuffered: 65536, Writes: k, FalseReturns: 7, Drains: 3, DrainWait: 1500 * time.Microsecond, Written: -1, Bound: -1}
	}
	touch := func(b []byte) {
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
	}
	// work keeps the child busy for d without waiting on anything.
	work := func(d time.Duration) {
		for end := time.Now().Add(d); time.Now().Before(end); {
			n.Add(1)
		}
	}
	// sampled returns once the harness has read this child's probe reports
	// in k separate samples, so that tests count on events, not on time:
	// each round waits for a report sent after the round began (the probe
	// asks for the figures of the next one only once it has written the
	// last) and for the pipe to be empty (the harness read it, and it
	// records a sample row in the same step). Without a probe it returns
	// at once.
	sampled := func(p *probe.Probe, k int) {
		if p == nil {
			return
		}
		unread := func() int {
			n, err := unix.IoctlGetInt(probe.FD, unix.TIOCINQ) // FIONREAD: bytes in the pipe
			if err != nil {
				return 0
			}
			return n
		}
		for range k {
			next := reports.Load() + 2
			for reports.Load() < next || unread() > 0 {
				work(time.Millisecond)
			}
		}
	}
	switch mode {
	case "ok": // a quick Go workload speaking the probe protocol, sampled 4 times
		p := startProbe(ctx, fakeStats)
		stop := p.Stop
		hold := make([]byte, 8<<20)
		touch(hold)
		sampled(p, 4)
		var err error
		if want := os.Getenv("BPBENCH_TEST_WANT_MEMLIMIT"); want != "" {
			if got := debug.SetMemoryLimit(-1); strconv.FormatInt(got, 10) != want {
				err = fmt.Errorf("GOMEMLIMIT is %d, want %s", got, want)
			}
		}
		runtime.KeepAlive(hold)
		stop(err)
		if err != nil {
			return 7
		}
		return 0
	case "small": // a small peak, for the peak-RSS test
		stop := startProbe(ctx, fakeStats).Stop
		hold := make([]byte, 4<<20)
		touch(hold)
		runtime.KeepAlive(hold)
		stop(nil)
		return 0
	case "hwm": // a brief 48MiB peak, then memory returned to the OS; prints its own VmHWM
		stop := startProbe(ctx, fakeStats).Stop
		hold := make([]byte, 48<<20)
		touch(hold)
		runtime.KeepAlive(hold)
		hold = nil
		debug.FreeOSMemory()
		fmt.Fprintf(os.Stderr, "vmhwm=%d\n", probe.SelfHWM())
		stop(nil)
		return 0
	case "oom": // once sampled, allocate and hold until killed
		sampled(startProbe(ctx, fakeStats), 1)
		var hold [][]byte
		for {
			b := make([]byte, 256<<10)
			touch(b)
			hold = append(hold, b)
			n.Add(int64(len(b)))
			runtime.KeepAlive(hold)
		}
	case "sleep": // sampled 10 times if probed; never ends by itself
		sampled(startProbe(ctx, fakeStats), 10)
		time.Sleep(time.Hour)
		return 0
	case "panic": // once sampled
		sampled(startProbe(ctx, fakeStats), 1)
		panic("boom: test crash")
	case "exit3":
		return 3
	case "signal":
		syscall.Kill(os.Getpid(), syscall.SIGTERM)
		time.Sleep(time.Hour)
		return 0
	case "gooom":
		fmt.Fprintln(os.Stderr, "fatal error: runtime: out of memory")
		return 2
	case "quick":
		return 0
	case "tree": // start a grandchild, tell the test both pids, sleep
		gc := exec.Command(os.Args[0])
		gc.Env = append(os.Environ(), envTestChild+"=sleep")
		if err := gc.Start(); err != nil {
			return 9
		}
		f, err := os.OpenFile(os.Getenv("BPBENCH_TEST_READY"), os.O_WRONLY, 0)
		if err != nil {
			return 10
		}
		fmt.Fprintf(f, "%d %d\n", os.Getpid(), gc.Process.Pid)
		f.Close()
		time.Sleep(time.Hour)
		return 0
	case "spin": // CPU- and allocation-bound fixed work on every core
		stop := startProbe(ctx, fakeStats).Stop
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				buf := make([]byte, 16<<10)
				var keep [][]byte
				for i := range 6000 {
					sum := sha256.Sum256(buf)
					buf[i%len(buf)] = sum[0]
					keep = append(keep, make([]byte, 4096))
					if len(keep) > 1000 {
						keep = keep[:0]
					}
				}
			})
		}
		wg.Wait()
		stop(nil)
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown %s=%q\n", envTestChild, mode)
	return 99
}

func testExe(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// testCell is a cell that runs this test binary as child mode.
func testCell(t testing.TB, mode string, probe bool, params ...results.Param) Cell {
	return Cell{
		Bench: "Test" + strings.ToUpper(mode[:1]) + mode[1:], Workload: "test-" + mode, Variant: "v",
		Params: params, Argv: []string{testExe(t)}, Env: []string{envTestChild + "=" + mode, "GORACE=atexit_sleep_ms=0"}, Probe: probe,
	}
}

func baseConfig(cells ...Cell) Config {
	return Config{Cells: cells, MemLimit: 64 << 20, Commit: "test"}
}

// runOne runs a single-cell config and returns its only run.
func runOne(t *testing.T, cfg Config) results.Run {
	t.Helper()
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 1 {
		t.Fatalf("got %d runs, want 1", len(res.Runs))
	}
	r := res.Runs[0]
	t.Logf("%s: outcome=%s wall=%.3fs peak_rss=%d exit=%d signal=%s samples=%d note=%q",
		r.Name, r.Outcome, r.WallSeconds, r.PeakRSSBytes, r.ExitCode, r.Signal, len(r.Series), r.Note)
	return r
}

// probeRows counts samples that carry probe figures.
func probeRows(ss []results.Sample) int {
	n := 0
	for _, s := range ss {
		if s.Heap >= 0 && s.Buffered >= 0 {
			n++
		}
	}
	return n
}

func TestOutcomeOK(t *testing.T) {
	c := testCell(t, "ok", true)
	c.Env = append(c.Env, "BPBENCH_TEST_WANT_MEMLIMIT="+strconv.Itoa(48<<20))
	cfg := baseConfig(c)
	cfg.MemLimit = 48 << 20
	r := runOne(t, cfg)
	if r.Outcome != results.OK || r.ExitCode != 0 || r.Signal != "" {
		t.Fatalf("outcome %s exit %d signal %q stderr %q; want ok", r.Outcome, r.ExitCode, r.Signal, r.StderrTail)
	}
	if r.PeakRSSBytes < 8<<20 || r.PeakRSSBytes > 200<<20 {
		t.Errorf("peak RSS %d; the child touched 8MiB", r.PeakRSSBytes)
	}
	if r.PeakHeapBytes == nil || *r.PeakHeapBytes < 8<<20 {
		t.Errorf("peak heap %v; want >= 8MiB", r.PeakHeapBytes)
	}
	if r.MaxBufferedBytes == nil || *r.MaxBufferedBytes != 65536 {
		t.Errorf("max buffered %v; want the probe's PeakBuffered 65536", r.MaxBufferedBytes)
	}
	if r.TimeToOOMSeconds != nil {
		t.Errorf("time to results.OOM set on an ok run")
	}
	if n := probeRows(r.Series); n < 3 {
		t.Errorf("%d samples with probe figures; want at least 3 (the child waited to be sampled 4 times)", n)
	}
	last := r.Series[len(r.Series)-1]
	if last.RSS != -1 || last.FalseReturns != 7 || last.Drains != 3 || last.DrainWait != 1500*time.Microsecond || last.GCCycles < 0 || last.GoTotal < last.Heap {
		t.Errorf("final row %+v: want the probe's final report", last)
	}
	for i, s := range r.Series[:len(r.Series)-1] {
		if s.RSS <= 0 {
			t.Errorf("sample %d has no RSS: %+v", i, s)
		}
		if i > 0 && s.T < r.Series[i-1].T {
			t.Errorf("sample %d goes back in time", i)
		}
	}
}

// A child that grows past the cap is killed and recorded oom, by the
// kernel's cgroup where bpbench may make one and by the watchdog always.
func TestOutcomeOOM(t *testing.T) {
	t.Run("default", func(t *testing.T) { testOutcomeOOM(t, "") })
	t.Run("watchdog", func(t *testing.T) { testOutcomeOOM(t, noCgroup) })
}

func testOutcomeOOM(t *testing.T, cgroupRoot string) {
	cfg := baseConfig(testCell(t, "oom", true))
	cfg.CgroupRoot = cgroupRoot
	cfg.MemLimit, cfg.HardLimit = 32<<20, 64<<20
	cfg.Timeout = 30 * time.Second // a broken watchdog fails the test instead of hanging it
	r := runOne(t, cfg)
	if r.Outcome != results.OOM || r.Signal != "SIGKILL" {
		t.Fatalf("outcome %s signal %q note %q; want oom by SIGKILL", r.Outcome, r.Signal, r.Note)
	}
	if r.TimeToOOMSeconds == nil || *r.TimeToOOMSeconds <= 0 || *r.TimeToOOMSeconds > r.WallSeconds {
		t.Errorf("time to results.OOM %v, wall %v", r.TimeToOOMSeconds, r.WallSeconds)
	}
	over := float64(r.PeakRSSBytes)/float64(cfg.HardLimit) - 1
	t.Logf("peak RSS %d = hard limit %+.2f%% (cap: %s)", r.PeakRSSBytes, 100*over, r.Machine.CapMechanism)
	if len(r.Series) < 2 || probeRows(r.Series) < 1 {
		t.Fatalf("%d samples (%d with probe figures) kept on kill", len(r.Series), probeRows(r.Series))
	}
	if r.Machine.CapMechanism == "watchdog" {
		// The watchdog kills once a sample crosses the cap: the peak is
		// that sample, a little above the cap.
		if over < 0 || over > 0.10 {
			t.Errorf("peak RSS %d is %+.1f%% off the %d cap; want within 10%% above", r.PeakRSSBytes, 100*over, cfg.HardLimit)
		}
		if last := r.Series[len(r.Series)-1]; last.RSS <= cfg.HardLimit {
			t.Errorf("last sample %+v: want the RSS that crossed the cap", last)
		}
		return
	}
	// The kernel kills at the cap itself, between two samples: the
	// cgroup's own peak is the cap (give or take the few pages the kernel
	// forces past it), and the RSS sampled before the kill is near it and
	// not above it by more than the file pages charged elsewhere.
	if r.OOMKills == nil || *r.OOMKills < 1 {
		t.Errorf("oom_kills %v; want the kernel's count of 1 or more", r.OOMKills)
	}
	const slack = 64 * 4096
	if r.CgroupPeakBytes == nil || *r.CgroupPeakBytes < cfg.HardLimit-slack || *r.CgroupPeakBytes > cfg.HardLimit+slack {
		t.Errorf("cgroup peak %v; want the %d cap within %d bytes", r.CgroupPeakBytes, cfg.HardLimit, slack)
	}
	// (+6-8% seen: the test binary's own pages are mapped from page cache
	// another cgroup paid for.)
	if over < -0.5 || over > 0.25 {
		t.Errorf("peak RSS %d is %+.1f%% off the %d cap; want between half the cap and 25%% above it", r.PeakRSSBytes, 100*over, cfg.HardLimit)
	}
}

func TestOutcomeTimeout(t *testing.T) {
	cfg := baseConfig(testCell(t, "sleep", true))
	// The child is sampled 10 times (about 100ms) before it sleeps: the
	// timeout leaves it ten times that on a busy machine.
	cfg.Timeout = time.Second
	r := runOne(t, cfg)
	if r.Outcome != results.Timeout || r.Signal != "SIGKILL" || r.TimeToOOMSeconds != nil {
		t.Fatalf("outcome %s signal %q; want timeout by SIGKILL", r.Outcome, r.Signal)
	}
	if r.WallSeconds < 1 || r.WallSeconds > 10 {
		t.Errorf("wall %.3fs; want just over the 1s timeout", r.WallSeconds)
	}
	if n := probeRows(r.Series); n < 10 {
		t.Errorf("%d of %d samples carry probe figures; want the 10 the child waited for kept", n, len(r.Series))
	}
}

func TestOutcomeCrashAndOthers(t *testing.T) {
	for _, tc := range []struct {
		mode    string
		outcome results.Outcome
		exit    int
		signal  string
		stderr  string
	}{
		{"panic", results.Crash, 2, "", "boom: test crash"},
		{"exit3", results.Crash, 3, "", ""},
		{"signal", results.Crash, -1, "SIGTERM", ""},
		{"gooom", results.OOM, 2, "", "out of memory"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			r := runOne(t, baseConfig(testCell(t, tc.mode, tc.mode == "panic")))
			if r.Outcome != tc.outcome || r.ExitCode != tc.exit || r.Signal != tc.signal {
				t.Errorf("outcome %s exit %d signal %q; want %s %d %q", r.Outcome, r.ExitCode, r.Signal, tc.outcome, tc.exit, tc.signal)
			}
			if !strings.Contains(r.StderrTail, tc.stderr) {
				t.Errorf("stderr tail %q; want %q", r.StderrTail, tc.stderr)
			}
			if tc.mode == "panic" && probeRows(r.Series) < 1 {
				t.Errorf("crashed run kept %d samples with probe figures; want the one the child waited for before it panicked", probeRows(r.Series))
			}
		})
	}
}

func TestExternalCommand(t *testing.T) {
	c := Cell{Bench: "Cmd", Workload: "cmd", Argv: []string{"sh", "-c", "exec cat /proc/self/status >/dev/null"}}
	r := runOne(t, baseConfig(c))
	if r.Outcome != results.OK || r.PeakHeapBytes != nil || r.MaxBufferedBytes != nil || r.Name != "BenchmarkCmd" {
		t.Errorf("got %+v; want ok with no heap or buffer figures", r)
	}
	if !filepath.IsAbs(r.Argv[0]) {
		t.Errorf("argv[0] %q not resolved", r.Argv[0])
	}
	_, err := Run(context.Background(), baseConfig(Cell{Bench: "Cmd", Argv: []string{"no-such-command-bpbench"}}))
	if err == nil || !strings.Contains(err.Error(), "not found in PATH") {
		t.Errorf("missing command: err %v", err)
	}
}

// A command that exists but cannot be started stops the suite with a
// *StartError naming the run, whose cause errors.Is finds.
func TestStartError(t *testing.T) {
	notExec := filepath.Join(t.TempDir(), "not-executable")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), baseConfig(Cell{Bench: "Cmd", Argv: []string{notExec}}))
	var se *StartError
	if !errors.As(err, &se) || se.Run == "" || !errors.Is(err, fs.ErrPermission) || !strings.HasPrefix(err.Error(), "harness: run ") {
		t.Fatalf("Run = %v; want a *StartError wrapping fs.ErrPermission", err)
	}
	if res == nil || len(res.Runs) != 0 {
		t.Errorf("Run returned %v; want an empty result set with the error", res)
	}
}

// A harness holding a large heap still reports a small child's peak as
// small: ru_maxrss would report the harness's.
func TestPeakRSSIsTheChilds(t *testing.T) {
	big := make([]byte, 200<<20)
	for i := 0; i < len(big); i += 4096 {
		big[i] = 1
	}
	if hwm := probe.SelfHWM(); hwm < 200<<20 {
		t.Fatalf("the test's own VmHWM is %d; want >= 200MiB", hwm)
	}
	r := runOne(t, baseConfig(testCell(t, "small", true)))
	runtime.KeepAlive(big)
	if r.Outcome != results.OK {
		t.Fatalf("outcome %s: %s", r.Outcome, r.StderrTail)
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru)
	t.Logf("child peak %d; ru_maxrss of children %d", r.PeakRSSBytes, ru.Maxrss<<10)
	if r.PeakRSSBytes < 4<<20 || r.PeakRSSBytes > 100<<20 {
		t.Errorf("child peak RSS %d; want small (it touched 4MiB) though the harness holds 200MiB", r.PeakRSSBytes)
	}
}

// The reported peak is the child's VmHWM, within 5%, even when the peak
// was brief and the memory was returned before the child exited.
func TestPeakRSSMatchesChildVmHWM(t *testing.T) {
	cfg := baseConfig(testCell(t, "hwm", true))
	cfg.HardLimit = 1 << 30 // the race detector's shadow memory adds to RSS
	r := runOne(t, cfg)
	if r.Outcome != results.OK {
		t.Fatalf("outcome %s: %s", r.Outcome, r.StderrTail)
	}
	var hwm int64
	if _, err := fmt.Sscanf(strings.TrimSpace(r.StderrTail), "vmhwm=%d", &hwm); err != nil || hwm < 48<<20 {
		t.Fatalf("child's VmHWM not reported (%q): %v", r.StderrTail, err)
	}
	if d := float64(r.PeakRSSBytes-hwm) / float64(hwm); d < -0.05 || d > 0.05 {
		t.Errorf("reported peak %d is %.1f%% from the child's VmHWM %d; want within 5%%", r.PeakRSSBytes, 100*d, hwm)
	}
}

func TestInterleavingAndEvents(t *testing.T) {
	a, b := testCell(t, "quick", false, results.Param{Key: "k", Value: "a"}), testCell(t, "quick", false, results.Param{Key: "k", Value: "b"})
	// a2 is a's other variant: the same program on the same input, so a's
	// warm-up serves it and it gets none of its own.
	a2 := a
	a2.Variant = "w"
	var events []string
	cfg := baseConfig(a, a2, b)
	cfg.Count, cfg.Warmup = 2, true
	cfg.Events = func(ev Event) {
		s := fmt.Sprintf("%d:%s", ev.Kind, ev.Cell.Label("/"))
		if ev.Kind == RunDone {
			s += fmt.Sprintf(" rep=%d %s %d/%d", ev.Rep, ev.Run.Outcome, ev.Done, ev.Total)
		}
		events = append(events, s)
	}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res.Runs {
		got = append(got, fmt.Sprintf("%s%s#%d@%d", r.Params[0].Value, r.Variant, r.Rep, r.Index))
	}
	// Within a group the variants alternate their order rep by rep (ABBA).
	want := []string{"av#0@0", "aw#0@1", "bv#0@2", "aw#1@4", "av#1@3", "bv#1@5"}
	if !slices.Equal(got, want) {
		t.Errorf("run order %v; want %v", got, want)
	}
	if len(events) != 2+12+1 || events[0] != "0:test-quick/v k=a" || events[1] != "0:test-quick/v k=b" ||
		events[2] != "1:test-quick/v k=a" || events[3] != "2:test-quick/v k=a rep=0 ok 1/6" || events[len(events)-1] != "3:" {
		t.Errorf("events %q", events)
	}
}

func TestShardAndMerge(t *testing.T) {
	cells := []Cell{testCell(t, "quick", false, results.Param{Key: "k", Value: "a"}), testCell(t, "quick", false, results.Param{Key: "k", Value: "b"}), testCell(t, "quick", false, results.Param{Key: "k", Value: "c"})}
	var dirs []string
	var indexes []int
	for i := range 2 {
		cfg := baseConfig(cells...)
		cfg.Count, cfg.Shard = 3, Shard{I: i, N: 2}
		res, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Runs {
			if r.Shard != fmt.Sprintf("%d/2", i) || r.Count != 3 || r.Suite == "" {
				t.Errorf("shard %d/2 ran run %d (shard %q, count %d, suite %q)", i, r.Index, r.Shard, r.Count, r.Suite)
			}
		}
		dir := filepath.Join(t.TempDir(), "out")
		if err := res.WriteDir(dir); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	merged, err := results.Merge(dirs, results.MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range merged.Runs {
		indexes = append(indexes, r.Index)
	}
	if !slices.Equal(indexes, []int{0, 1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Errorf("merged indexes %v; want the whole suite in order", indexes)
	}
	if _, err := results.Merge([]string{dirs[0], dirs[1], dirs[0]}, results.MergeOptions{}); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("merging a shard twice: err %v", err)
	}
}

// Cancelling Run's ctx kills the child's whole process group, reaps the
// child and returns the interrupted run with ctx.Err().
func TestCancelKillsGroupNoZombie(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "ready")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	c := testCell(t, "tree", false)
	c.Env = append(c.Env, "BPBENCH_TEST_READY="+fifo)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pids := make(chan [2]int, 1)
	go func() {
		defer cancel()
		f, err := os.Open(fifo) // blocks until the child opens it for writing
		if err != nil {
			return
		}
		defer f.Close()
		var p [2]int
		line, _ := bufio.NewReader(f).ReadString('\n')
		fmt.Sscan(line, &p[0], &p[1])
		pids <- p
	}()
	res, err := Run(ctx, baseConfig(c))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v; want context.Canceled", err)
	}
	if len(res.Runs) != 1 || res.Runs[0].Outcome != results.Interrupted {
		t.Fatalf("runs %+v; want the interrupted run", res.Runs)
	}
	p := <-pids
	if p[0] != res.Runs[0].Pid {
		t.Errorf("child says pid %d, run says %d", p[0], res.Runs[0].Pid)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", p[0])); !os.IsNotExist(err) {
		t.Errorf("child %d still in /proc (zombie?): %v", p[0], err)
	}
	// The grandchild was killed with the group; it is not ours to reap, so
	// wait for its death through a pidfd.
	fd, err := unix.PidfdOpen(p[1], 0)
	if err == unix.ESRCH {
		return // already gone
	}
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	if n, err := unix.Poll(fds, 10_000); err != nil || n != 1 {
		t.Errorf("grandchild %d still alive after the group was killed (poll %d, %v)", p[1], n, err)
	}
}

// BenchmarkSampling compares a CPU- and allocation-bound child that keeps
// every core busy (the worst case for a sampler competing for CPU), run
// unsampled and sampled at 5ms (probe, gopsutil RSS, VmHWM, watchdog).
// The two alternate within each iteration so that background load hits
// both alike. Metrics, all per sampled run:
//
//	overhead-%      extra wall time of the sampled runs
//	sampler-cpu-%   the harness's extra CPU time, as a share of the wall time
//	probe-cpu-%     the child's extra CPU time (its probe), same share
//
// On a machine shared with other work the wall time is noisy; the two CPU
// figures bound what sampling can take from a workload that saturates the
// machine: (sampler + probe) / cores.
func BenchmarkSampling(b *testing.B) {
	off := baseConfig(testCell(b, "spin", false))
	off.Interval, off.MemLimit, off.HardLimit = -1, 256<<20, 1<<30
	on := baseConfig(testCell(b, "spin", true))
	on.Interval, on.MemLimit, on.HardLimit = 5*time.Millisecond, 256<<20, 1<<30
	cpu := func(who int) time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(who, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	type total struct {
		wall              float64
		harness, workload time.Duration
	}
	var off_, on_ total
	run := func(cfg Config, t *total) {
		h0, w0 := cpu(syscall.RUSAGE_SELF), cpu(syscall.RUSAGE_CHILDREN)
		res, err := Run(context.Background(), cfg)
		t.harness += cpu(syscall.RUSAGE_SELF) - h0
		t.workload += cpu(syscall.RUSAGE_CHILDREN) - w0
		if err != nil || res.Runs[0].Outcome != results.OK {
			b.Fatalf("%v %+v", err, res)
		}
		t.wall += res.Runs[0].WallSeconds
	}
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			run(off, &off_)
			run(on, &on_)
		} else {
			run(on, &on_)
			run(off, &off_)
		}
	}
	n := float64(b.N)
	b.ReportMetric(off_.wall/n, "unsampled-sec/op")
	b.ReportMetric(on_.wall/n, "sampled-sec/op")
	b.ReportMetric(100*(on_.wall-off_.wall)/off_.wall, "overhead-%")
	b.ReportMetric(100*(on_.harness-off_.harness).Seconds()/on_.wall, "sampler-cpu-%")
	b.ReportMetric(100*(on_.workload-off_.workload).Seconds()/on_.wall, "probe-cpu-%")
}

// The watchdog looks every few milliseconds whatever the sampling interval:
// a minute between samples does not turn the cap off.
func TestWatchdogIndependentOfInterval(t *testing.T) {
	cfg := baseConfig(testCell(t, "oom", false))
	cfg.MemLimit, cfg.HardLimit, cfg.Interval = 32<<20, 64<<20, time.Minute
	cfg.Timeout = 30 * time.Second
	cfg.CgroupRoot = noCgroup // the watchdog's own test
	r := runOne(t, cfg)
	if r.Outcome != results.OOM || r.WallSeconds > 20 {
		t.Fatalf("outcome %s after %.1fs with a 1m interval; want oom at the cap", r.Outcome, r.WallSeconds)
	}
	if over := float64(r.PeakRSSBytes)/float64(cfg.HardLimit) - 1; over > 0.10 {
		t.Errorf("peak RSS %d is %+.1f%% over the cap", r.PeakRSSBytes, 100*over)
	}
}

// A shell that forks (dash does for "cmd; true") is measured and capped
// with its children: the grandchild that outgrows the cap makes the run oom.
func TestShellGrandchildIsCapped(t *testing.T) {
	c := Cell{Bench: "Cmd", Workload: "cmd", Argv: []string{"sh", "-c", testExe(t) + "; true"},
		Env: []string{envTestChild + "=oom", "GORACE=atexit_sleep_ms=0"}}
	cfg := baseConfig(c)
	cfg.MemLimit, cfg.HardLimit, cfg.Timeout = 32<<20, 64<<20, 30*time.Second
	cfg.CgroupRoot = noCgroup // the watchdog's own test
	r := runOne(t, cfg)
	if r.Outcome != results.OOM {
		t.Fatalf("outcome %s, peak %s: the shell's child outgrew the cap unseen", r.Outcome, size.Human(r.PeakRSSBytes))
	}
	if r.PeakRSSBytes < cfg.HardLimit {
		t.Errorf("peak RSS %s below the %s cap it crossed", size.Human(r.PeakRSSBytes), size.Human(cfg.HardLimit))
	}
}

// A process forked after the run's last full sample is found by the
// watchdog's own look at the tree (every few milliseconds), not only at
// the next sample: with a minute between samples, a grandchild started
// 50ms in that outgrows the cap still makes the run oom.
func TestWatchdogFindsLateGrandchild(t *testing.T) {
	c := Cell{Bench: "Cmd", Workload: "cmd", Argv: []string{"sh", "-c", "sleep 0.05; " + testExe(t) + "; true"},
		Env: []string{envTestChild + "=oom", "GORACE=atexit_sleep_ms=0"}}
	cfg := baseConfig(c)
	cfg.MemLimit, cfg.HardLimit, cfg.Interval, cfg.Timeout = 32<<20, 64<<20, time.Minute, 30*time.Second
	cfg.CgroupRoot = noCgroup // the watchdog's own test
	r := runOne(t, cfg)
	if r.Outcome != results.OOM || r.WallSeconds > 20 {
		t.Fatalf("outcome %s after %.1fs, peak %s: the late grandchild outgrew the cap unseen", r.Outcome, r.WallSeconds, size.Human(r.PeakRSSBytes))
	}
	if r.PeakRSSBytes < cfg.HardLimit {
		t.Errorf("peak RSS %s below the %s cap it crossed", size.Human(r.PeakRSSBytes), size.Human(cfg.HardLimit))
	}
}

// A grandchild that leaves the process group (setsid) does not outlive
// the run: the harness is its subreaper and kills it.
func TestSetsidGrandchildDoesNotOutlive(t *testing.T) {
	dir := t.TempDir()
	c := Cell{Bench: "Cmd", Workload: "cmd", Dir: dir, Argv: []string{"sh", "-c",
		`setsid sh -c 'echo $$ > pid; exec sleep 1000' & while [ ! -s pid ]; do :; done; exit 0`}}
	r := runOne(t, baseConfig(c))
	if r.Outcome != results.OK {
		t.Fatalf("outcome %s: %s", r.Outcome, r.StderrTail)
	}
	b, err := os.ReadFile(filepath.Join(dir, "pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 {
		t.Fatalf("pid file %q", b)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
		state, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("the setsid grandchild %d outlived the run: %s", pid, state)
	}
}

// A working folder left by a harness that was killed is removed by the
// next Run; one of a live harness is left alone.
func TestStaleRunDirsRemoved(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(os.TempDir(), fmt.Sprintf("%s%d-x", runDirPrefix, dead.Process.Pid))
	live := filepath.Join(os.TempDir(), fmt.Sprintf("%s%d-x", runDirPrefix, os.Getppid()))
	for _, d := range []string{stale, live} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	defer os.RemoveAll(live)
	runOne(t, baseConfig(testCell(t, "quick", false)))
	if _, err := os.Stat(stale); err == nil {
		os.RemoveAll(stale)
		t.Error("a stale run folder was kept")
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a live harness's run folder was removed: %v", err)
	}
}

// startProbe starts the child's probe with one source; nil when the
// child was not started as a probed run.
func startProbe(ctx context.Context, stats func() probe.Stats) *probe.Probe {
	p := probe.Start(ctx)
	p.Track(stats)
	return p
}
