package harness

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"time"

	hostfacts "github.com/bpbench/bpbench/internal/machine"
	"github.com/bpbench/bpbench/internal/results"
)

// DefaultAttachInterval is the sampling interval of Attach when
// AttachConfig.Interval is zero.
const DefaultAttachInterval = time.Second

// Errors of Attach for a process it cannot watch; the error wraps one.
var (
	ErrNoProcess = errors.New("no such process")
	ErrNotYours  = errors.New("the process is not this user's")
)

// AttachConfig is what Attach watches and how. The zero value of each
// field but Pid takes its documented default.
type AttachConfig struct {
	Pid      int           // the process to watch, with its descendants
	For      time.Duration // how long to watch; 0 = until it exits or ctx ends
	Interval time.Duration // between samples; 0 = DefaultAttachInterval
	// Sampled, when set, is told of each sample as it is taken, from
	// Attach's goroutine, so that a caller can draw a live line.
	Sampled func(s results.Sample)
}

// Attach samples a running process that it did not start — its tree's
// memory, with shared pages once, as runs do (see Peaks) — every Interval
// for For, or until it exits or ctx ends, and returns what it saw as one
// run of workload "watch": outcome ok (watching is a measurement whatever
// the process does), its samples, its peak, and a note when the process
// exited before the window ended. It never signals the process: there is
// no cap. The error is for a process that cannot be watched: it wraps
// ErrNoProcess or ErrNotYours.
func Attach(ctx context.Context, cfg AttachConfig) (results.Run, error) {
	var r results.Run
	if err := supported(); err != nil {
		return r, err
	}
	if cfg.Pid <= 0 {
		return r, fmt.Errorf("harness: pid %d: %w", cfg.Pid, ErrNoProcess)
	}
	if err := watchable(cfg.Pid); err != nil {
		return r, fmt.Errorf("harness: pid %d: %w", cfg.Pid, err)
	}
	procs, err := openProc(cfg.Pid)
	if err != nil {
		return r, fmt.Errorf("harness: pid %d: %w (%v)", cfg.Pid, ErrNoProcess, err)
	}
	defer procs.close()
	procs.attached = true
	interval := cmp.Or(cfg.Interval, DefaultAttachInterval)
	name := cmp.Or(fileSafe(processName(cfg.Pid)), "process")
	c := Cell{Bench: "Watch", Workload: "watch", Params: []results.Param{{Key: "name", Value: name}}, Argv: processArgv(cfg.Pid)}
	facts := hostfacts.Read(ctx, hostfacts.Options{})
	zero := 0.0
	r = results.Run{
		ID: c.id() + "-pid" + strconv.Itoa(cfg.Pid), Name: "Benchmark" + c.Name(), Bench: c.Bench, Workload: c.Workload, Params: c.Params,
		Argv: c.Argv, Pid: cfg.Pid, GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPU: cpuName(), Commit: "unknown",
		IntervalSeconds: interval.Seconds(), Count: 1, Machine: &facts, Outcome: results.OK, ExitCode: 0,
		DurationSeconds: cfg.For.Seconds(), ReadySeconds: &zero,
	}
	r.Samples = "samples/" + r.ID + ".csv"
	start := time.Now()
	var end <-chan time.Time
	if cfg.For > 0 {
		t := time.NewTimer(cfg.For)
		defer t.Stop()
		end = t.C
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	sample := func() bool {
		procs.refresh()
		cur := procs.pss()
		if cur <= 0 || isZombie(cfg.Pid) {
			return false
		}
		s := results.NoSample()
		s.T, s.RSS = time.Since(start), cur
		r.Series = append(r.Series, s)
		r.PeakRSSBytes = max(r.PeakRSSBytes, cur, procs.hwm())
		if cfg.Sampled != nil {
			cfg.Sampled(s)
		}
		return true
	}
	alive := sample()
loop:
	for alive {
		select {
		case <-ctx.Done():
			r.Note = fmt.Sprintf("watching was stopped after %.1fs", time.Since(start).Seconds())
			break loop
		case <-end:
			alive = sample()
			break loop
		case <-tick.C:
			alive = sample()
		}
	}
	wall := time.Since(start)
	r.WallSeconds = wall.Seconds()
	if !alive {
		r.Note = fmt.Sprintf("the process exited after %.1fs of watching", wall.Seconds())
		if cfg.For > 0 {
			r.Note += fmt.Sprintf(", before the %v window ended: what was seen until then is kept", cfg.For)
		}
	} else if r.Note == "" {
		stopped := wall.Seconds()
		r.StoppedSeconds = &stopped
	}
	return r, nil
}
