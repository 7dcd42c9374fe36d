package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/bpbench/bpbench/harness"
	"github.com/bpbench/bpbench/internal/cli"
	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/internal/size"
	"github.com/bpbench/bpbench/reports"
)

// defaultWatchThreshold is watch's --threshold in MiB per minute.
const defaultWatchThreshold = 1.0

// watchFlags are bpbench watch's flags.
func watchFlags(fs *flag.FlagSet) verb {
	forDur := fs.Duration("for", 5*time.Minute, "how long to watch; 0 until the process exits or Ctrl-C")
	interval := fs.Duration("interval", harness.DefaultAttachInterval, "how often to read the process tree's RSS. Watch reads RSS only: the probe's heap and buffered bytes reach bpbench over a pipe bpbench run hands a program it starts, which a running process does not have (run it with bpbench run --cmd --duration for them)")
	out := fs.String("out", "bpbench-watch", "output folder (results.txt, runs.json, samples/), written when watching ends")
	threshold := fs.Float64("threshold", defaultWatchThreshold, "exit 1 when RSS grows faster than this, in MiB per minute, over the window (the fitted slope above it, its 95% confidence interval above zero)")
	return func(ctx context.Context, e *env, pos []string) int {
		if len(pos) != 1 {
			return usageError(e, "watch", cli.Errorf("give one process id, e.g. bpbench watch $(pgrep -n node) --for 5m"))
		}
		pid, err := strconv.Atoi(pos[0])
		if err != nil || pid <= 0 {
			return usageError(e, "watch", cli.Errorf("%q is not a process id: give the number pgrep or ps shows, e.g. bpbench watch 12345", pos[0]))
		}
		switch {
		case *forDur < 0:
			return usageError(e, "watch", cli.Errorf("--for %v: give a positive duration, or 0 to watch until the process exits", *forDur))
		case *interval <= 0:
			return usageError(e, "watch", cli.Errorf("--interval %v: give a positive duration, e.g. 1s", *interval))
		case *threshold < 0:
			return usageError(e, "watch", cli.Errorf("--threshold %g: give MiB per minute of 0 or more, e.g. 1", *threshold))
		case *forDur > 0 && *forDur < 2**interval:
			return usageError(e, "watch", cli.Errorf("--for %v is shorter than two --interval %v: a slope needs samples; watch longer or sample more often", *forDur, *interval))
		}
		return cmdWatch(ctx, e, harness.AttachConfig{Pid: pid, For: *forDur, Interval: *interval}, *out, *threshold)
	}
}

func cmdWatch(ctx context.Context, e *env, cfg harness.AttachConfig, out string, threshold float64) int {
	created, err := checkOutDir(out)
	if err != nil {
		return usageError(e, "watch", err)
	}
	unlock, code := claimOut(e, "watch", out)
	if unlock == nil {
		return code
	}
	defer unlock()
	var first time.Duration = -1
	var firstRSS int64
	var ts, ys []float64
	cfg.Sampled = func(s results.Sample) {
		if first < 0 {
			first, firstRSS = s.T, s.RSS
		}
		ts, ys = append(ts, s.T.Seconds()), append(ys, float64(s.RSS))
		line := fmt.Sprintf("%7.1fs  RSS %9s (%s since the start)", s.T.Seconds(), size.Human(s.RSS), signedSize(s.RSS-firstRSS))
		if len(ts) >= 3 {
			line += fmt.Sprintf("  %+.1f MiB/min", reports.PerMinute(reports.FitTrend(ts, ys).Slope))
		}
		if e.isTerminal {
			fmt.Fprintf(e.stderr, "\r\033[K%s", line)
		} else {
			fmt.Fprintln(e.stderr, line)
		}
	}
	r, err := harness.Attach(ctx, cfg)
	if e.isTerminal && len(ts) > 0 {
		fmt.Fprintln(e.stderr)
	}
	if err != nil {
		unlock()
		if created {
			os.Remove(out + "/" + results.LockFile)
			os.Remove(out)
		}
		switch {
		case errors.Is(err, harness.ErrNoProcess):
			return usageError(e, "watch", cli.Errorf("no process %d is running: check the id with ps or pgrep (the process may have exited)", cfg.Pid))
		case errors.Is(err, harness.ErrNotYours):
			return usageError(e, "watch", cli.Errorf("process %d is not yours: watch a process you started, or run bpbench watch as its user (or root)", cfg.Pid))
		}
		return usageError(e, "watch", err)
	}
	set := &results.Set{Runs: []results.Run{r}}
	if err := set.WriteDir(out); err != nil {
		fmt.Fprintf(e.stderr, "bpbench watch: cannot write %s: %v\n", out, err)
		return exitFailed
	}
	name := r.Param("name")
	if r.Note != "" {
		fmt.Fprintf(e.stdout, "%s (pid %d): %s\n", name, cfg.Pid, r.Note)
	}
	if len(ts) < 3 {
		fmt.Fprintf(e.stdout, "%s (pid %d): %d samples, too few to judge growth (watch longer, or with a shorter --interval); wrote %s\n", name, cfg.Pid, len(ts), out)
		return exitOK
	}
	t := reports.FitTrend(ts, ys)
	span := time.Duration((ts[len(ts)-1] - ts[0]) * float64(time.Second))
	figure := fmt.Sprintf("RSS %s → %s, %+.1f MiB/min (95%% CI %+.1f to %+.1f) over %v", size.Human(int64(ys[0])), size.Human(int64(ys[len(ys)-1])),
		reports.PerMinute(t.Slope), reports.PerMinute(t.Lo), reports.PerMinute(t.Hi), span.Round(time.Millisecond))
	if reports.PerMinute(t.Slope) > threshold && t.Lo > 0 {
		fmt.Fprintf(e.stdout, "GROWING: %s (pid %d): %s, above the %g MiB/min threshold; wrote %s\n", name, cfg.Pid, figure, threshold, out)
		return exitFailed
	}
	fmt.Fprintf(e.stdout, "flat: %s (pid %d): %s, within the %g MiB/min threshold; wrote %s\n", name, cfg.Pid, figure, threshold, out)
	return exitOK
}

// signedSize is a size with its sign, e.g. +1.5MiB or -32.0KiB.
func signedSize(b int64) string {
	if b < 0 {
		return "-" + size.Human(-b)
	}
	return "+" + size.Human(b)
}
