package harness

import (
	"fmt"
	"time"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/internal/size"
)

// exitFacts are what is known about how a run ended.
type exitFacts struct {
	killedFor results.Outcome // why the harness killed it; "" if it exited by itself
	killAt    time.Duration   // when the harness killed it
	killRSS   int64           // the RSS that crossed the cap
	hardLimit int64
	timeout   time.Duration
	stderrOOM bool   // it printed an out-of-memory message (Go or Node)
	signal    string // the signal that ended it, e.g. "SIGKILL"; "" if it exited
	exitCode  int
	wall      time.Duration
	waitErr   error // from exec.Cmd.Wait, e.g. a grandchild holding stderr
	probing   bool  // it is expected to speak the probe protocol (Cell.Probe)
	reported  bool  // its probe reported at least once

	mechanism      string        // CapCgroup1, CapCgroup2 or CapWatchdog
	cgroupOOMKills int64         // OOM kills the run's cgroup counted; -1 unknown (no cgroup, or the kernel does not say)
	cgroupOOMAt    time.Duration // when a sample first saw them; 0 if none did
	hostOOMKills   int64         // under the watchdog: OOM kills the machine counted during the run (/proc/vmstat); -1 unknown

	// A long-running run (Config.Duration > 0).
	duration, grace time.Duration
	notReady        string        // why it never passed its readiness check; "" when it did
	readyAt         time.Duration // when it did; -1 never
	stopped         bool          // alive at the end of the window: the harness sent SIGTERM
	stopKilled      bool          // and SIGKILL after the grace
	load            *results.Load // its load generator, or nil
}

// verdict is a run's outcome and what the record says about it.
type verdict struct {
	outcome    results.Outcome
	timeToOOM  *float64
	notStarted bool
	note       string
}

// classify decides how a run ended, from facts: the harness's own kill
// first (oom when the watchdog fired, timeout, interrupted), then the
// kernel's OOM killer acting at the run's cgroup cap (its oom_kill count
// rose: oom even when the program it killed was a grandchild and the
// leader exited 0), then a child that died of its own memory limit (Go's
// or Node's out-of-memory error), then a clean exit; anything else is a
// crash. A SIGKILL nobody counted — the program's own, or a kill at a few
// MiB — is a crash with its signal, not an oom; under the watchdog, where
// no cgroup counts, a SIGKILL during which the machine's OOM count rose
// (/proc/vmstat) is an oom. A run expected to speak the probe (Cell.Probe)
// that never reported stopped before its workload started, whatever its
// exit: a configuration problem (a cap too small to start, a sink it
// cannot open, a --baseline-bin that is not bpbench), not a measurement,
// and never ok. A timeout is not: the machine may just have been slow to
// start it.
func classify(f exitFacts) verdict {
	var v verdict
	note := func(s string) {
		if v.note == "" {
			v.note = s
		} else {
			v.note += "; " + s
		}
	}
	oomAt := func(d time.Duration) {
		t := d.Seconds()
		v.outcome, v.timeToOOM = results.OOM, &t
	}
	switch {
	case f.killedFor == results.OOM:
		oomAt(f.killAt)
		note(fmt.Sprintf("RSS %s crossed the hard limit %s after %.3fs; killed", size.Human(f.killRSS), size.Human(f.hardLimit), f.killAt.Seconds()))
	case f.killedFor == results.Timeout:
		v.outcome = results.Timeout
		note(fmt.Sprintf("still running after the %v timeout; killed", f.timeout))
	case f.killedFor == results.Interrupted:
		v.outcome = results.Interrupted
		note("the harness was interrupted; killed")
	case f.cgroupOOMKills > 0:
		at := f.wall
		if f.cgroupOOMAt > 0 {
			at = min(at, f.cgroupOOMAt)
		}
		oomAt(at)
		limit := "its limit"
		if f.hardLimit > 0 {
			limit = "the hard limit " + size.Human(f.hardLimit)
		}
		note(fmt.Sprintf("the kernel's OOM killer killed %d process(es) of the run's %s at %s", f.cgroupOOMKills, f.mechanism, limit))
	case f.stderrOOM:
		oomAt(f.wall)
		note("the child reported running out of memory")
	case f.duration > 0 && f.notReady != "":
		v.outcome, v.notStarted = results.Crash, true
		note("never ready, so nothing was measured: " + f.notReady)
	case f.duration > 0 && f.stopped:
		v.outcome = results.OK
		if f.stopKilled {
			note(fmt.Sprintf("alive at the end of the %v window; it did not exit within %v of SIGTERM and was killed", f.duration, f.grace))
		} else {
			note(fmt.Sprintf("alive at the end of the %v window; stopped with SIGTERM", f.duration))
		}
	case f.duration > 0:
		v.outcome = results.Crash
		how := fmt.Sprintf("exited with status %d", f.exitCode)
		if f.signal != "" {
			how = "was killed by " + f.signal
		}
		note(fmt.Sprintf("%s %.2fs into its %v window, before it ended: a long-running program is expected to run until it is stopped", how, (f.wall - f.readyAt).Seconds(), f.duration))
	case f.signal == "SIGKILL" && f.mechanism == CapWatchdog && f.hostOOMKills > 0:
		oomAt(f.wall)
		note(fmt.Sprintf("killed by SIGKILL while the kernel counted %d OOM kill(s) on this machine (/proc/vmstat): most likely its OOM killer", f.hostOOMKills))
	case f.signal == "SIGKILL":
		v.outcome = results.Crash
		if f.mechanism == CapWatchdog {
			note("killed by SIGKILL that the harness did not send and the kernel did not count as an OOM kill")
		} else {
			note("killed by SIGKILL that the run's memory cgroup did not count as an OOM kill")
		}
	case f.signal == "" && f.exitCode == 0:
		v.outcome = results.OK
		if f.waitErr != nil {
			note(f.waitErr.Error())
		}
	default:
		v.outcome = results.Crash
	}
	if f.load.Failed() {
		l := f.load
		what := l.Error
		if what == "" {
			what = fmt.Sprintf("exited with status %d", l.ExitCode)
			if l.Signal != "" {
				what = "was killed by " + l.Signal
			}
			what += fmt.Sprintf(" %.2fs after it started, before the window ended", l.EndedSeconds-l.StartedSeconds)
		}
		note("the load generator " + what + ": the program was measured with less load than asked (its output is in runs.json, load.output_tail)")
	}
	if f.probing && !f.reported && (v.outcome == results.Crash || v.outcome == results.OOM || v.outcome == results.OK) {
		v.notStarted = true
		if v.outcome == results.OK {
			v.outcome = results.Crash
			note("it exited 0 without the workload ever reporting through the probe: it is not the program expected (a --baseline-bin that is not bpbench?), or it never ran the workload")
		} else {
			note("the workload never reported: it stopped before it started")
		}
	}
	return v
}
