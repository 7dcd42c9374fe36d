package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/bpbench/bpbench/internal/size"
	"github.com/bpbench/bpbench/probe"
	"github.com/bpbench/bpbench/streamcore"
	"github.com/bpbench/bpbench/workloads"
)

func cmdWorkload(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "workload", "NAME [--variant drain|naive] [--lines N] [--hwm SIZE] [--sink PATH|null] [--rate SIZE] [--input-size SIZE]")
	variant := fs.String("variant", "", "drain (honour backpressure) or naive (ignore it); default drain, or the workload's only variant")
	quiet := fs.Bool("q", false, "print nothing when done")
	pf := addParamFlags(fs, false)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return usageError(e, "workload", err)
	}
	if len(pos) != 1 {
		return usageError(e, "workload", errors.New("give exactly one workload name (bpbench list shows them)"))
	}
	w, err := workloads.Lookup(pos[0])
	if err != nil {
		return usageError(e, "workload", err)
	}
	if *variant == "" {
		*variant = string(w.Variants[0])
		if w.HasVariant(workloads.Drain) {
			*variant = string(workloads.Drain)
		}
	}
	v, err := workloads.ParseVariant(*variant)
	if err == nil && !w.HasVariant(v) {
		err = fmt.Errorf("workload %s has no %s variant", w.Name, v)
	}
	if err != nil {
		return usageError(e, "workload", err)
	}
	p, err := pf.params(w, true)
	if err != nil {
		return usageError(e, "workload", err)
	}
	if w.External() {
		return runExternal(ctx, e, w, p, v)
	}

	var mu sync.Mutex
	var tracked []func() streamcore.Stats
	stats := func() streamcore.Stats {
		mu.Lock()
		defer mu.Unlock()
		var t streamcore.Stats
		for _, f := range tracked {
			t = t.Add(f())
		}
		return t
	}
	pr := probe.Start(ctx)
	pr.Track(func() probe.Stats { return probeStats(stats()) })
	defer injectFault(&v, &p)()
	start := time.Now()
	err = w.Run(ctx, workloads.Env{Variant: v, Params: p, Track: func(f func() streamcore.Stats) {
		mu.Lock()
		tracked = append(tracked, f)
		mu.Unlock()
	}})
	pr.Stop(err)
	if err != nil {
		fmt.Fprintf(e.stderr, "bpbench workload %s --variant %s: %v\n", w.Name, v, err)
		return exitFailed
	}
	if !*quiet {
		s := stats()
		fmt.Fprintf(e.stderr, "%s %s: %.3fs, %d writes, %d returned false, %d drains, peak buffered %s, waited for drain %v\n",
			w.Name, v, time.Since(start).Seconds(), s.Writes, s.FalseReturns, s.Drains, size.Human(s.PeakBuffered), s.DrainWait.Round(time.Microsecond))
	}
	return exitOK
}

// probeStats is what the probe reports of a workload's streams.
func probeStats(s streamcore.Stats) probe.Stats {
	return probe.Stats{Buffered: s.Buffered, PeakBuffered: s.PeakBuffered, Writes: s.Writes, FalseReturns: s.FalseReturns,
		Drains: s.Drains, DrainWait: s.DrainWait, Written: -1, Bound: -1}
}

// runExternal runs a Node workload by hand, like node script.js, with the
// heap capped at GOMEMLIMIT when it is set.
func runExternal(ctx context.Context, e *env, w *workloads.Workload, p workloads.Params, v workloads.Variant) int {
	var memlimit int64
	if s := os.Getenv("GOMEMLIMIT"); s != "" {
		memlimit, _ = size.Parse(s)
	}
	argv, err := w.Command(p, v, memlimit)
	if err != nil {
		fmt.Fprintf(e.stderr, "bpbench workload %s: %v\n", w.Name, err)
		return exitFailed
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.stdin, e.stdout, e.stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(e.stderr, "bpbench workload %s: %v\n", w.Name, err)
		return exitFailed
	}
	return exitOK
}
