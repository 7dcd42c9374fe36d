package harness

import (
	"context"
	"time"

	"github.com/bpbench/bpbench/internal/results"
)

// watchdogPeriod is the time between two watchdog checks once the child's
// RSS is within reach of the hard cap (nearCap): between samples the
// watchdog reads /proc/PID/statm alone (one pread per process). It bounds
// the overshoot past the cap to what the child can fault in within this
// period.
const watchdogPeriod = time.Millisecond

// watchdogFar is the longest time between two watchdog checks, however long
// the sampling interval: the cap holds with --interval 1m too.
const watchdogFar = 5 * time.Millisecond

// nearCap reports whether the watchdog should check every watchdogPeriod
// rather than every watchdogFar: when rss is above 3/4 of the cap, or
// growing (from prev, dt ago) fast enough to reach it within two periods.
func nearCap(rss, prev int64, dt time.Duration, hardLimit int64, period time.Duration) bool {
	if hardLimit <= 0 {
		return false
	}
	if rss >= hardLimit/4*3 {
		return true
	}
	if dt <= 0 || rss <= prev {
		return false
	}
	growth := float64(rss-prev) / dt.Seconds() * (2 * period).Seconds()
	return float64(rss)+growth >= float64(hardLimit)
}

// watched is what watching a child saw.
type watched struct {
	killedFor      results.Outcome // why the harness killed it; "" if it exited by itself
	killAt         time.Duration
	killRSS        int64
	series         []results.Sample
	maxRSS, maxHWM int64
	descendants    []int // the child's descendants seen last
	exitAt         time.Time
	cgroupOOMAt    time.Duration // when a sample first saw the cgroup's oom_kill count above zero; 0 if none did

	// A long-running run's window (Config.Duration).
	readyAt    time.Duration // when the readiness check passed; -1 if it never did
	notReady   string        // why it never did; "" when it did
	stoppedAt  time.Duration // when the harness stopped it with SIGTERM at the end of the window; -1 if it did not
	stopKilled bool          // it outlived the grace after SIGTERM and was killed
}

// watch samples the child every Interval and enforces the timeout and ctx
// until the child exits, and the hard cap when no cgroup does (cg nil). One timer drives both the samples
// and the watchdog: far from the cap the watchdog looks at each sample and
// at least every watchdogFar; once the RSS is within reach of it (see
// nearCap) every watchdogPeriod, each time with a single pread of
// /proc/PID/statm per process of the child's tree.
//
// For a long-running run (win not nil) it also waits for the readiness
// check — SIGKILL if it never passes — then starts the load generator and
// the window, and at the window's end stops the load and sends SIGTERM to
// the child's group, then SIGKILL after the grace.
func watch(ctx context.Context, cfg *Config, ch *child, cg *runCgroup, win *window) watched {
	w := watched{readyAt: -1, stoppedAt: -1}
	hardLimit := cfg.HardLimit // the watchdog's cap
	if cg != nil {
		hardLimit = 0 // the kernel's
	}
	// Both may fail if the child is already gone; then there is nothing to sample.
	procs, _ := openProc(ch.pid)
	var readyC <-chan error
	var end, grace <-chan time.Time
	if win != nil {
		readyC = win.readyC
		defer win.stopChecking()
	}
	if procs != nil {
		defer procs.close()
		if win != nil {
			procs.outside = win.outside
		}
		// A first look right after exec: a command that exits within a
		// millisecond has no other sample.
		w.maxHWM, w.maxRSS = procs.hwm(), procs.rss()
	}
	var rss *rssSampler
	if procs != nil && cfg.Interval > 0 {
		rss, _ = newRSSSampler(ctx, ch.pid)
	}
	kill := func(why results.Outcome) {
		if w.killedFor == "" {
			killGroup(ch.pid)
			w.killedFor, w.killAt = why, time.Since(ch.start)
		}
	}
	sample := func(now time.Duration, cur int64) {
		s := results.NoSample()
		s.T, s.RSS = now, cur
		ch.probe.fill(&s)
		w.series = append(w.series, s)
	}

	var wake *time.Timer
	var tick <-chan time.Time
	if procs != nil && cfg.Interval > 0 {
		first := cfg.Interval
		if hardLimit > 0 {
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
	var prevT, refreshedAt time.Duration

loop:
	for {
		select {
		case <-ch.exited:
			break loop
		case err := <-readyC:
			readyC = nil
			if w.killedFor != "" {
				continue
			}
			if err != nil {
				w.notReady = err.Error()
				killGroup(ch.pid)
				tick, timeout = nil, nil
				continue
			}
			w.readyAt = time.Since(ch.start)
			win.startLoad()
			t := time.NewTimer(cfg.Duration)
			defer t.Stop()
			end = t.C
		case <-end:
			end = nil
			w.stoppedAt = time.Since(ch.start)
			win.endLoad() // first, so that the program's stop is not counted against it
			termGroup(ch.pid)
			t := time.NewTimer(cfg.Grace)
			defer t.Stop()
			grace = t.C
		case <-grace:
			grace = nil
			w.stopKilled = true
			killGroup(ch.pid)
		case <-done:
			kill(results.Interrupted)
			done, tick, timeout = nil, nil, nil
		case <-timeout:
			kill(results.Timeout)
			done, tick, timeout = nil, nil, nil
		case <-tick:
			now := time.Since(ch.start)
			var cur int64
			if now >= nextSample {
				// A full sample: RSS from outside, VmHWM, the probe's latest.
				ch.probe.poll()
				for nextSample <= now {
					nextSample += cfg.Interval
				}
				refreshedAt = now
				if procs.refresh() > 0 || rss == nil {
					cur = procs.pss() // the whole tree, shared pages once: a shell's child counts
				} else {
					cur, _ = rss.rss(ctx)
				}
				if cur > 0 { // 0: exited since the last look, a zombie has no memory
					w.maxHWM = max(w.maxHWM, procs.hwm())
					sample(now, cur)
				}
				w.maxRSS = max(w.maxRSS, cur)
				if cg != nil && w.cgroupOOMAt == 0 && cg.oomKills() > 0 {
					w.cgroupOOMAt = now
				}
			} else {
				if now-refreshedAt >= watchdogFar {
					procs.refresh() // a process forked since the last sample counts too
					refreshedAt = now
				}
				cur = procs.rss() // summed: an upper bound of the tree's PSS, checked below
				if procs.alone() {
					w.maxRSS = max(w.maxRSS, cur)
				}
			}
			if hardLimit > 0 && cur > hardLimit && !procs.alone() {
				cur = procs.pss() // shared pages once, as the peak counts them
			}
			if hardLimit > 0 && cur > hardLimit {
				w.maxRSS = max(w.maxRSS, cur)
				kill(results.OOM)
				w.killRSS = cur
				// Read the peak while the memory may still be mapped; the
				// kill is already on its way.
				w.maxHWM = max(w.maxHWM, procs.hwm())
				ch.probe.poll()
				if len(w.series) == 0 || w.series[len(w.series)-1].T != now {
					sample(now, cur)
				}
				done, tick, timeout = nil, nil, nil
				continue
			}
			delay := nextSample - time.Since(ch.start)
			if hardLimit > 0 {
				delay = min(delay, watchdogFar)
				if nearCap(cur, prevRSS, now-prevT, hardLimit, min(cfg.Interval, watchdogFar)) {
					delay = min(delay, watchdogPeriod)
				}
			}
			prevRSS, prevT = cur, now
			wake.Reset(max(delay, 0))
		}
	}
	w.exitAt = ch.exitAt
	if win != nil {
		if w.readyAt < 0 && w.notReady == "" && w.killedFor == "" {
			w.notReady = "it exited before the check passed"
		}
		win.stopLoad()
	}
	if procs != nil {
		w.descendants = procs.descendants()
	}
	return w
}
