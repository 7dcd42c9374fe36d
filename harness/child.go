package harness

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"github.com/bpbench/bpbench/internal/results"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/bpbench/bpbench/internal/size"
	"github.com/bpbench/bpbench/probe"
)

// watchdogPeriod is the time between two watchdog checks once the child's
// RSS is within reach of the hard cap (nearCap): between samples the
// watchdog reads /proc/PID/statm alone (one pread). It bounds the overshoot
// past the cap to what the child can fault in within this period.
const watchdogPeriod = time.Millisecond

// watchdogFar is the longest time between two watchdog checks, however long
// the sampling interval: the cap holds with --interval 1m too.
const watchdogFar = 5 * time.Millisecond

// nearCap reports whether the watchdog should check every watchdogPeriod
// rather than at each sample: when rss is above 3/4 of the cap, or growing
// (from prev, dt ago) fast enough to reach it within two intervals.
func nearCap(rss, prev int64, dt time.Duration, hardLimit int64, interval time.Duration) bool {
	if hardLimit <= 0 {
		return false
	}
	if rss >= hardLimit/4*3 {
		return true
	}
	if dt <= 0 || rss <= prev {
		return false
	}
	growth := float64(rss-prev) / dt.Seconds() * (2 * interval).Seconds()
	return float64(rss)+growth >= float64(hardLimit)
}

// measure runs cell c once as planned run p and returns its record. The
// error is for a run that could not be measured at all.
func measure(ctx context.Context, cfg *Config, env machine, c Cell, p planned) (results.Run, error) {
	r := results.Run{
		Index: p.index, ID: fmt.Sprintf("%s-rep%d", c.id(), p.rep),
		Name: "Benchmark" + c.Name(), Bench: c.Bench, Workload: c.Workload, Variant: c.Variant, Side: c.Side,
		Params: c.Params, Rep: p.rep, Argv: c.Argv,
		GOOS: env.goos, GOARCH: env.goarch, CPU: env.cpu, Commit: env.commit,
		MemLimit: cfg.MemLimit, HardLimit: cfg.HardLimit,
		IntervalSeconds: max(cfg.Interval, 0).Seconds(), TimeoutSeconds: cfg.Timeout.Seconds(),
		Shard: cfg.Shard.String(), ExitCode: -1, Count: cfg.Count, Suite: env.suite,
	}
	r.Samples = "samples/" + r.ID + ".csv"
	if c.Side == results.SideBase {
		r.Commit = cmp.Or(cfg.BaseCommit, "base")
	}

	dir := c.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", runDirPrefix+strconv.Itoa(os.Getpid())+"-")
		if err != nil {
			return r, fmt.Errorf("run %s: working directory: %w", r.ID, err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	probing := c.Probe && cfg.Interval > 0

	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	cmd.Dir = dir
	cmd.Env = childEnv(os.Environ(), cfg, c, probing)
	cmd.SysProcAttr = sysProcAttr()
	cmd.WaitDelay = 2 * time.Second // grandchildren that escaped the group may hold stderr
	stderr := &tailWriter{}
	cmd.Stderr = stderr

	ps := newProbeState()
	var pr *os.File
	if probing {
		var pw *os.File
		var err error
		pr, pw, err = os.Pipe()
		if err != nil {
			return r, fmt.Errorf("run %s: probe pipe: %w", r.ID, err)
		}
		defer pr.Close()
		cmd.ExtraFiles = []*os.File{pw} // fd 3 = probe.FD
		defer pw.Close()
	}

	start := time.Now()
	if err := startLocked(cmd); err != nil {
		return r, fmt.Errorf("run %s: cannot start %s: %w", r.ID, c.Argv[0], err)
	}
	pid := cmd.Process.Pid
	r.Pid = pid
	if probing {
		cmd.ExtraFiles[0].Close() // the child has its copy; EOF comes when it exits
		if err := ps.attach(pr); err != nil {
			killGroup(pid)
			cmd.Wait()
			return r, fmt.Errorf("run %s: probe pipe: %w", r.ID, err)
		}
	}

	exited := make(chan struct{})
	var exitAt time.Time
	go func() {
		waitExited(pid)
		exitAt = time.Now()
		close(exited)
	}()

	// Both may fail if the child is already gone; then there is nothing to sample.
	procs, _ := openProc(pid)
	var maxRSS, maxHWM int64
	if procs != nil {
		// A first look right after exec: a command that exits within a
		// millisecond has no other sample.
		maxHWM, maxRSS = procs.hwm(), procs.rss()
	}
	var rss *rssSampler
	if procs != nil && cfg.Interval > 0 {
		rss, _ = newRSSSampler(ctx, pid)
	}

	var (
		killedFor results.Outcome
		killAt    time.Duration
		killRSS   int64
		series    []results.Sample
	)
	kill := func(why results.Outcome) {
		if killedFor == "" {
			killGroup(pid)
			killedFor, killAt = why, time.Since(start)
		}
	}

	// One timer drives both the samples (every Interval) and the watchdog.
	// Far from the cap the watchdog looks at each sample and at least every
	// watchdogFar; once the RSS is within reach of it (see nearCap) every
	// watchdogPeriod, each time with a single pread of /proc/PID/statm.
	var wake *time.Timer
	var tick <-chan time.Time
	if procs != nil && cfg.Interval > 0 {
		first := cfg.Interval
		if cfg.HardLimit > 0 {
			first = min(first, watchdogFar)
		}
		wake = time.NewTimer(first)
		defer wake.Stop()
		tick = wake.C
	}
	var timeout <-chan time.Time
	if cfg.Timeout > 0 {
		t := time.NewTimer(cfg.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	done := ctx.Done()
	nextSample := cfg.Interval
	var prevRSS int64
	var prevT time.Duration

loop:
	for {
		select {
		case <-exited:
			break loop
		case <-done:
			kill(results.Interrupted)
			done, tick, timeout = nil, nil, nil
		case <-timeout:
			kill(results.Timeout)
			done, tick, timeout = nil, nil, nil
		case <-tick:
			now := time.Since(start)
			var cur int64
			if now >= nextSample {
				// A full sample: RSS from outside, VmHWM, the probe's latest.
				ps.poll()
				for nextSample <= now {
					nextSample += cfg.Interval
				}
				if procs.refresh() > 0 || rss == nil {
					cur = procs.rss() // the whole tree: a shell's child counts
				} else {
					cur, _ = rss.rss(ctx)
				}
				if cur > 0 { // 0: exited since the last look, a zombie has no memory
					maxHWM = max(maxHWM, procs.hwm())
					s := results.Sample{T: now, RSS: cur, Heap: -1, Buffered: -1, GoTotal: -1, GCCycles: -1, FalseReturns: -1, Drains: -1, DrainWait: -1, Written: -1}
					ps.fill(&s)
					series = append(series, s)
				}
			} else {
				cur = procs.rss()
			}
			maxRSS = max(maxRSS, cur)
			if cfg.HardLimit > 0 && cur > cfg.HardLimit {
				kill(results.OOM)
				killRSS = cur
				// Read the peak while the memory may still be mapped; the
				// kill is already on its way.
				maxHWM = max(maxHWM, procs.hwm())
				ps.poll()
				if len(series) == 0 || series[len(series)-1].T != now {
					s := results.Sample{T: now, RSS: cur, Heap: -1, Buffered: -1, GoTotal: -1, GCCycles: -1, FalseReturns: -1, Drains: -1, DrainWait: -1, Written: -1}
					ps.fill(&s)
					series = append(series, s)
				}
				done, tick, timeout = nil, nil, nil
				continue
			}
			delay := nextSample - time.Since(start)
			if cfg.HardLimit > 0 {
				delay = min(delay, watchdogFar)
				if nearCap(cur, prevRSS, now-prevT, cfg.HardLimit, min(cfg.Interval, watchdogFar)) {
					delay = min(delay, watchdogPeriod)
				}
			}
			prevRSS, prevT = cur, now
			wake.Reset(max(delay, 0))
		}
	}

	// The leader is a zombie now: its group id cannot be reused, so kill
	// whatever it left behind — its group, the descendants seen last, and
	// any orphan reparented to this process (the subreaper), such as a
	// grandchild that left the group with setsid — then reap it.
	killGroup(pid)
	if procs != nil {
		killTree(procs.descendants())
	}
	killTree(orphans(pid))
	waitErr := cmd.Wait()
	if procs != nil {
		procs.close()
	}
	if probing {
		// The rest of the reports, up to EOF; a process outside the group
		// that still holds the pipe cannot hold the run beyond WaitDelay.
		pr.SetReadDeadline(time.Now().Add(cmd.WaitDelay))
		ps.readAll(pr)
	}
	wall := exitAt.Sub(start)
	r.WallSeconds = wall.Seconds()
	r.ExitCode, r.Signal = exitInfo(cmd.ProcessState)
	r.StderrTail = stderr.tail()

	// The child's own peak. ru_maxrss counts only if it beats the harness's
	// own high-water mark, which it inherited at exec.
	peak := max(maxRSS, maxHWM)
	if ru := rusageMaxRSS(cmd.ProcessState); ru > selfHWM() {
		peak = max(peak, ru)
	}
	if ps.lines > 0 {
		heap, buf := ps.peakHeap, ps.maxBuf
		r.PeakHeapBytes, r.MaxBufferedBytes = &heap, &buf
		if ps.bound >= 0 {
			bound := ps.bound
			r.BufferBoundBytes = &bound
		}
		if w := ps.last.Written; w >= 0 {
			r.BytesWritten = &w
		}
	}
	final := ps.final
	if final != nil {
		peak = max(peak, final.HWM)
		r.Note = final.Err
		t := wall
		if n := len(series); n > 0 {
			t = max(t, series[n-1].T)
		}
		s := results.Sample{T: t, RSS: -1, Heap: final.Heap, Buffered: final.Buf, GoTotal: final.Total, GCCycles: final.GC,
			FalseReturns: final.Falses, Drains: final.Drains, DrainWait: time.Duration(final.DrainWait), Written: final.Written}
		series = append(series, s)
	}
	r.PeakRSSBytes = peak
	r.Series = series

	note := func(s string) {
		if r.Note == "" {
			r.Note = s
		} else {
			r.Note = s + "; " + r.Note
		}
	}
	switch {
	case killedFor == results.OOM:
		r.Outcome = results.OOM
		t := killAt.Seconds()
		r.TimeToOOMSeconds = &t
		note(fmt.Sprintf("RSS %s crossed the hard limit %s after %.3fs; killed", size.Human(killRSS), size.Human(cfg.HardLimit), t))
	case killedFor == results.Timeout:
		r.Outcome = results.Timeout
		note(fmt.Sprintf("still running after the %v timeout; killed", cfg.Timeout))
	case killedFor == results.Interrupted:
		r.Outcome = results.Interrupted
		note("the harness was interrupted; killed")
	case stderr.oom:
		r.Outcome = results.OOM
		t := wall.Seconds()
		r.TimeToOOMSeconds = &t
		note("the child reported running out of memory")
	case r.Signal == "SIGKILL":
		r.Outcome = results.OOM
		t := wall.Seconds()
		r.TimeToOOMSeconds = &t
		note("killed by SIGKILL from outside the harness: most likely the kernel or cgroup OOM killer")
	case r.ExitCode == 0:
		r.Outcome = results.OK
		if waitErr != nil {
			note(waitErr.Error())
		}
	default:
		r.Outcome = results.Crash
	}
	if probing && ps.lines == 0 && r.Outcome != results.OK && r.Outcome != results.Interrupted {
		r.NotStarted = true
		note("the workload never reported: it stopped before it started")
	}
	return r, nil
}

// startLocked starts cmd from a locked OS thread: Pdeathsig fires when the
// thread that started the child exits, and Go only ends threads that exit
// locked, so the signal comes when the harness dies, not before.
func startLocked(cmd *exec.Cmd) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return cmd.Start()
}

// childEnv is the harness's environment without its own GOMEMLIMIT and
// probe variables, then the run's, then the cell's extra variables (which
// win, being last).
func childEnv(base []string, cfg *Config, c Cell, probing bool) []string {
	env := make([]string, 0, len(base)+3+len(c.Env))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if k == "GOMEMLIMIT" || k == probe.EnvFD || k == probe.EnvInterval {
			continue
		}
		env = append(env, kv)
	}
	if cfg.MemLimit > 0 {
		env = append(env, "GOMEMLIMIT="+strconv.FormatInt(cfg.MemLimit, 10))
	}
	if probing {
		env = append(env, probe.EnvFD+"="+strconv.Itoa(probe.FD), probe.EnvInterval+"="+cfg.Interval.String())
	}
	return append(env, c.Env...)
}

// oomMessages are what a child prints when it dies of its own memory limit.
var oomMessages = [][]byte{
	[]byte("fatal error: runtime: out of memory"), // Go, mmap failed
	[]byte("fatal error: out of memory"),          // Go, allocator
	[]byte("JavaScript heap out of memory"),       // Node, --max-old-space-size
}

const oomMessageMax = 40 // longer than any of oomMessages

// tailWriter keeps the last stderrTail bytes written to it and notices an
// out-of-memory message anywhere in the stream. os/exec calls Write from
// one goroutine; read it after cmd.Wait.
type tailWriter struct {
	buf []byte
	oom bool
}

func (w *tailWriter) Write(p []byte) (int, error) {
	from := max(len(w.buf)-oomMessageMax, 0)
	w.buf = append(w.buf, p...)
	if !w.oom {
		for _, m := range oomMessages {
			if bytes.Contains(w.buf[from:], m) {
				w.oom = true
			}
		}
	}
	if len(w.buf) > 2*stderrTail {
		w.buf = append(w.buf[:0], w.buf[len(w.buf)-stderrTail:]...)
	}
	return len(p), nil
}

func (w *tailWriter) tail() string {
	b := w.buf
	if len(b) > stderrTail {
		b = b[len(b)-stderrTail:]
	}
	return strings.ToValidUTF8(string(b), "")
}
