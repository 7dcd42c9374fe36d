package harness

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/bpbench/bpbench/internal/results"

	"github.com/bpbench/bpbench/probe"
)

// measure runs cell c once as planned run p and returns its record. The
// error is for a run that could not be measured at all. It spawns the
// child (spawn.go), watches it until it exits — samples and watchdog
// (watch.go) — then collects what the child left and classifies how it
// ended (outcome.go).
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
	facts := env.facts
	r.Machine = &facts
	r.Samples = "samples/" + r.ID + ".csv"
	if c.Side == results.SideBase {
		r.Commit = cmp.Or(cfg.BaseCommit, "base")
	}

	var cg *runCgroup
	hostOOM := int64(-1) // the machine's OOM kills before the run, under the watchdog
	if cfg.cgroups != nil {
		var err error
		if cg, err = cfg.cgroups.newRun(cfg.HardLimit); err != nil {
			return r, &StartError{r.ID, "cannot make the run's memory cgroup in " + cfg.cgroups.dir, err}
		}
		defer cg.remove()
	} else {
		r.CapNote = env.capNote
		hostOOM = vmstatOOMKills()
	}
	ch, err := spawn(cfg, c, r.ID, cg)
	if err != nil {
		return r, err
	}
	defer ch.cleanup()
	r.Pid = ch.pid
	var win *window
	if cfg.Duration > 0 {
		r.DurationSeconds = cfg.Duration.Seconds()
		win = newWindow(ctx, cfg, c, ch.start, &pidSet{})
	}
	w := watch(ctx, cfg, ch, cg, win)
	waitErr := ch.reap(w.descendants, cg)
	if win != nil {
		if w.readyAt >= 0 {
			t := w.readyAt.Seconds()
			r.ReadySeconds = &t
		}
		if w.stoppedAt >= 0 {
			t := w.stoppedAt.Seconds()
			r.StoppedSeconds = &t
		}
		r.Load = win.record()
	}
	cgOOM := int64(-1)
	if cg != nil {
		if n := cg.peak(); n >= 0 {
			r.CgroupPeakBytes = &n
		}
		if cgOOM = cg.oomKills(); cgOOM >= 0 {
			r.OOMKills = &cgOOM
		}
	} else if hostOOM >= 0 {
		if n := vmstatOOMKills(); n >= 0 {
			hostOOM = n - hostOOM
		} else {
			hostOOM = -1
		}
	}

	wall := w.exitAt.Sub(ch.start)
	r.WallSeconds = wall.Seconds()
	r.ExitCode, r.Signal = exitInfo(ch.cmd.ProcessState)
	r.StderrTail = ch.stderr.tail()

	// The child's own peak: the tree's, with shared pages once (see
	// procFiles.pss). ru_maxrss counts only if it beats the harness's own
	// high-water mark, which it inherited at exec, and not when the child
	// began as this executable joining a cgroup v1: then it holds that
	// executable's own peak too.
	peak := max(w.maxRSS, w.maxHWM)
	if ru := rusageMaxRSS(ch.cmd.ProcessState); ru > probe.SelfHWM() && (cg == nil || cg.host.version != 1) {
		peak = max(peak, ru)
	}
	ps := ch.probe
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
	ps.fillViolations(&r)
	series := w.series
	if final := ps.final; final != nil {
		peak = max(peak, final.HWM)
		r.Note = final.Err
		t := wall
		if n := len(series); n > 0 {
			t = max(t, series[n-1].T)
		}
		series = append(series, results.Sample{T: t, RSS: -1, Heap: final.Heap, Buffered: final.Buf, GoTotal: final.Total, GCCycles: final.GC,
			FalseReturns: final.Falses, Drains: final.Drains, DrainWait: time.Duration(final.DrainWait), Written: final.Written})
	}
	r.PeakRSSBytes = peak
	r.Series = series

	v := classify(exitFacts{
		killedFor: w.killedFor, killAt: w.killAt, killRSS: w.killRSS, hardLimit: cfg.HardLimit, timeout: cfg.Timeout,
		stderrOOM: ch.stderr.oom, signal: r.Signal, exitCode: r.ExitCode, wall: wall, waitErr: waitErr,
		probing: ch.probing && c.Probe, reported: ps.lines > 0,
		mechanism: env.facts.CapMechanism, cgroupOOMKills: cgOOM, cgroupOOMAt: w.cgroupOOMAt, hostOOMKills: hostOOM,
		duration: cfg.Duration, grace: cfg.Grace, notReady: w.notReady, readyAt: w.readyAt, stopped: w.stoppedAt >= 0, stopKilled: w.stopKilled,
		load: r.Load,
	})
	r.Outcome, r.TimeToOOMSeconds, r.NotStarted = v.outcome, v.timeToOOM, v.notStarted
	if v.note != "" {
		if r.Note == "" {
			r.Note = v.note
		} else {
			r.Note = v.note + "; " + r.Note
		}
	}
	if w.notReady != "" && v.outcome != results.Interrupted {
		return r, &NotReadyError{Run: r.ID, Check: cfg.Ready, Timeout: cfg.ReadyTimeout, Reason: w.notReady}
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
		if k == "GOMEMLIMIT" || k == joinEnv || k == probe.EnvFD || k == probe.EnvInterval || (probing && k == "NODE_OPTIONS") {
			continue
		}
		env = append(env, kv)
	}
	if cfg.MemLimit > 0 {
		env = append(env, "GOMEMLIMIT="+strconv.FormatInt(cfg.MemLimit, 10))
	}
	if probing {
		env = append(env, probe.EnvFD+"="+strconv.Itoa(probe.FD), probe.EnvInterval+"="+cfg.Interval.String())
		if cfg.nodePreload != "" {
			opts := "--require " + nodeQuote(cfg.nodePreload)
			if old := os.Getenv("NODE_OPTIONS"); old != "" {
				opts = old + " " + opts
			}
			env = append(env, "NODE_OPTIONS="+opts)
		}
	}
	return append(env, c.Env...)
}

// nodeQuote quotes a path for NODE_OPTIONS, which splits at spaces
// except inside double quotes, where a backslash escapes the next
// character.
func nodeQuote(path string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(path) + `"`
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
