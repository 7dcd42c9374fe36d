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
	probing   bool  // it speaks the probe protocol
	reported  bool  // its probe reported at least once
}

// verdict is a run's outcome and what the record says about it.
type verdict struct {
	outcome    results.Outcome
	timeToOOM  *float64
	notStarted bool
	note       string
}

// classify decides how a run ended. The harness's own kill comes first
// (oom at the cap, timeout, interrupted), then a child that died of its own
// memory limit, then SIGKILL from outside (the kernel's or a cgroup's OOM
// killer), then a clean exit; anything else is a crash. A probing child
// that crashed or was killed out of memory without ever reporting stopped
// before its workload started: a configuration problem (a cap too small to
// start, a sink it cannot open), not a measurement. A timeout is not: the
// machine may just have been slow to start it.
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
	case f.stderrOOM:
		oomAt(f.wall)
		note("the child reported running out of memory")
	case f.signal == "SIGKILL":
		oomAt(f.wall)
		note("killed by SIGKILL from outside the harness: most likely the kernel or cgroup OOM killer")
	case f.signal == "" && f.exitCode == 0:
		v.outcome = results.OK
		if f.waitErr != nil {
			note(f.waitErr.Error())
		}
	default:
		v.outcome = results.Crash
	}
	if f.probing && !f.reported && (v.outcome == results.Crash || v.outcome == results.OOM) {
		v.notStarted = true
		note("the workload never reported: it stopped before it started")
	}
	return v
}
