// Package child is what a workload's child process runs: one workload in
// this process, reporting to the harness through package probe. Both
// bpbench workload and the lean bpbench-workload binary call Main; the lean
// one exists because bpbench itself links the plotting libraries (whose
// fonts are parsed at start) and is a larger binary: about 9MiB more RSS at
// start (3MiB against 12MiB), which every measured child would otherwise
// carry.
package child

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/bpbench/bpbench/internal/cli"
	"github.com/bpbench/bpbench/internal/size"
	"github.com/bpbench/bpbench/probe"
	"github.com/bpbench/bpbench/streamcore"
	"github.com/bpbench/bpbench/workloads"
)

// env is the command's standard streams and name.
type env struct {
	prog           string
	stdin          io.Reader
	stdout, stderr io.Writer
}

// usageError prints a bad-usage message — and the usage line when the
// flags did not parse — and returns cli.ExitUsage.
func usageError(e *env, err error) int {
	fmt.Fprintf(e.stderr, "%s: %v\n", e.prog, err)
	if cli.IsBadFlag(err) {
		fmt.Fprintf(e.stderr, "Usage: %s %s\n", e.prog, Usage)
	}
	return cli.ExitUsage
}

// Usage is the workload command's argument summary.
const Usage = "NAME [--variant drain|naive|drain-on] [--lines N] [--hwm SIZE] [--sink PATH|null] [--rate SIZE] [--input-size SIZE] [-q]"

// Flags are the workload command's flags: --variant, -q and the
// workload parameters.
type Flags struct {
	variant *string
	quiet   *bool
	params  *cli.ParamFlags
}

// AddFlags defines the workload command's flags on fs.
func AddFlags(fs *flag.FlagSet) *Flags {
	return &Flags{
		variant: fs.String("variant", "", "drain (honour backpressure), naive (ignore it) or drain-on; default drain, or the workload's only variant"),
		quiet:   fs.Bool("q", false, "print nothing when done"),
		params:  cli.AddParamFlags(fs, cli.ParamOptions{}),
	}
}

// Main runs one workload in this process, as bpbench workload NAME does:
// args are NAME and its flags. It reports to the harness through package
// probe when the harness started it, and returns the exit code: 0 done, 1
// the workload failed, 2 bad usage. prog names the command in messages.
func Main(ctx context.Context, prog string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := AddFlags(fs)
	pos, err := cli.ParseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stdout, "Usage: %s %s\n\nFlags:\n", prog, Usage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return 0
	}
	if err != nil {
		return usageError(&env{prog: prog, stderr: stderr}, err)
	}
	return Run(ctx, prog, f, pos, stdin, stdout, stderr)
}

// Run is Main after parsing: pos are the positional arguments (the
// workload's name) and f the flags parsed.
func Run(ctx context.Context, prog string, f *Flags, pos []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{prog: prog, stdin: stdin, stdout: stdout, stderr: stderr}
	variant, quiet, pf := f.variant, f.quiet, f.params
	if len(pos) != 1 {
		return usageError(e, cli.Errorf("give exactly one workload name (bpbench list shows them)"))
	}
	w, err := workloads.Lookup(pos[0])
	if err != nil {
		return usageError(e, err)
	}
	if *variant == "" {
		*variant = string(w.Variants[0])
		if w.HasVariant(workloads.Drain) {
			*variant = string(workloads.Drain)
		}
	}
	v, err := workloads.ParseVariant(*variant)
	if err == nil && !w.HasVariant(v) {
		err = cli.Errorf("workload %s has no %s variant", w.Name, v)
	}
	if err != nil {
		return usageError(e, err)
	}
	// Checked, not Params: a --sink in a folder that is missing or cannot
	// be written is bad input, refused before the workload starts.
	p, err := pf.Checked(true)(w)
	if err != nil {
		return usageError(e, err)
	}
	if err := w.Check(p); err != nil {
		return checkError(e, err)
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
		fmt.Fprintf(e.stderr, "%s %s --variant %s: %v\n", e.prog, w.Name, v, err)
		return 1
	}
	if !*quiet {
		s := stats()
		fmt.Fprintf(e.stderr, "%s %s: %.3fs, %d writes, %d returned false, %d drains, peak buffered %s, waited for drain %v\n",
			w.Name, v, time.Since(start).Seconds(), s.Writes, s.FalseReturns, s.Drains, size.Human(s.PeakBuffered), s.DrainWait.Round(time.Microsecond))
		if s.WritesAfterFalse > 0 {
			fmt.Fprintf(e.stderr, "%s: %d writes after write() returned false (%s), the first at %s\n",
				w.Name, s.WritesAfterFalse, size.Human(s.BytesAfterFalse), s.FirstWriteAfterFalse)
		}
		if s.ExtraDrainListeners > 0 {
			fmt.Fprintf(e.stderr, "%s: %d drain listeners attached while one was already there, the first at %s\n",
				w.Name, s.ExtraDrainListeners, s.FirstExtraDrainListener)
		}
	}
	return 0
}

// checkError reports a workload's Check error: bad input (exit 2) when
// the user must change a parameter or the inputs folder, else a failure
// (exit 1).
func checkError(e *env, err error) int {
	var pe *workloads.ParamError
	var fe *workloads.InputFolderError
	switch {
	case errors.As(err, &pe):
		return usageError(e, cli.Errorf("--%s %s %s", pe.Param, pe.Value, pe.Reason))
	case errors.As(err, &fe):
		return usageError(e, err)
	}
	fmt.Fprintf(e.stderr, "%s: %v\n", e.prog, err)
	return 1
}

// probeStats is what the probe reports of a workload's streams.
func probeStats(s streamcore.Stats) probe.Stats {
	return probe.Stats{Buffered: s.Buffered, PeakBuffered: s.PeakBuffered, Writes: s.Writes, FalseReturns: s.FalseReturns,
		Drains: s.Drains, DrainWait: s.DrainWait, Written: s.Written, Bound: s.Bound,
		WritesAfterFalse: s.WritesAfterFalse, BytesAfterFalse: s.BytesAfterFalse,
		FirstWriteAfterFalse:    probe.CallSite(s.FirstWriteAfterFalse),
		ExtraDrainListeners:     s.ExtraDrainListeners,
		FirstExtraDrainListener: probe.CallSite(s.FirstExtraDrainListener)}
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
		fmt.Fprintf(e.stderr, "%s %s: %v\n", e.prog, w.Name, err)
		return 1
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.stdin, e.stdout, e.stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(e.stderr, "%s %s: %v\n", e.prog, w.Name, err)
		return 1
	}
	return 0
}
