package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit codes (DESIGN.md): 0 ok, 1 a run could not be measured (or, for
// gate, a regression), 2 bad usage or unreadable input.
const (
	exitOK       = 0
	exitFailed   = 1
	exitBadUsage = 2
)

type command struct {
	name, args, summary string
	run                 func(ctx context.Context, e *env, args []string) int
}

// env is the command's standard streams.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	isTerminal     bool
}

func commands() []command {
	return []command{
		{"run", "[flags]", "run the paired suite under memory caps and write an output folder", cmdRun},
		{"list", "", "list workloads with their variants, parameters and defaults", cmdList},
		{"workload", "NAME [--variant drain|naive] [params]", "run one workload in this process (what the harness's child runs)", cmdWorkload},
		{"compare", "OLD [NEW]", "benchstat-style table: drain vs naive in one folder, or OLD vs NEW", cmdCompare},
		{"gate", "--baseline OLD NEW | DIR", "exit 1 when NEW regressed against OLD (or head against base in DIR), saying why", cmdGate},
		{"plot", "DIR [--format svg|png]", "memory curves and summary charts of an output folder", cmdPlot},
		{"report", "DIR [--baseline DIR]", "one-file report.html (and report.md) with the verdict, tables and charts", cmdReport},
		{"tune", "--workload NAME --budget SIZE", "sweep the highWaterMark and recommend one that fits a memory budget", cmdTune},
		{"merge", "DIR... --out DIR [--allow-partial]", "merge output folders of shards (--shard I/N) into one", cmdMerge},
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, isTerminal: isTerminal(stderr)}
	if len(args) == 0 {
		usage(stderr)
		return exitBadUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(stderr, "bpbench: unknown command %q; run bpbench help to see the commands\n", args[0])
	return exitBadUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "bpbench: a memory-safety benchmark and regression harness for stream backpressure")
	fmt.Fprintln(w, "\nUsage:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  bpbench %s %s\n        %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nRun bpbench COMMAND -h for a command's flags. Exit codes: 0 ok, 1 a run could not be measured, 2 bad usage.")
}

// newFlags returns a flag set that reports errors to e.stderr instead of
// exiting.
func newFlags(e *env, name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: bpbench %s %s\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parseInterleaved parses flags and positional arguments in any order
// (bpbench merge a b --out c; bpbench workload NAME --lines 10).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// usageError prints a bad-usage message and returns exit code 2.
func usageError(e *env, cmd string, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "bpbench") {
		msg = "bpbench " + cmd + ": " + msg
	}
	fmt.Fprintln(e.stderr, msg)
	return exitBadUsage
}
