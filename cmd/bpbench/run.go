package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/bpbench/bpbench/internal/child"
)

// Exit codes (DESIGN.md, and 130 for an interrupt): 0 ok, 1 a run could not be measured (or, for
// gate, a regression), 2 bad usage or unreadable input.
const (
	exitOK          = 0
	exitFailed      = 1
	exitBadUsage    = 2
	exitInterrupted = 130 // Ctrl-C or SIGTERM, as shells report SIGINT
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
		{"list", "[-v]", "list workloads with their variants, parameters and defaults", cmdList},
		{"workload", "NAME [--variant drain|naive|drain-on] [params]", "run one workload in this process (what the harness's child runs)", cmdWorkload},
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
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, version())
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

// version is the module version and VCS revision the binary was built
// from, as the Go toolchain recorded them.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "bpbench (unknown version)"
	}
	v := "bpbench " + bi.Main.Version
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = " (modified)"
			}
		}
	}
	if rev != "" {
		v += " " + rev + dirty
	}
	return v + " " + bi.GoVersion
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "bpbench: a memory-safety benchmark and regression harness for stream backpressure")
	fmt.Fprintln(w, "\nUsage:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  bpbench %s %s\n        %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nRun bpbench COMMAND -h for a command's flags. Exit codes: 0 ok, 1 a run could not be measured or the gate found a regression, 2 bad usage, 130 interrupted.")
}

// newFlags returns a flag set that reports errors instead of exiting: a
// bad flag is printed by usageError (the error first, then a short usage);
// -h prints the flags to stdout.
func newFlags(e *env, name, args string) *cmdFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // parseInterleaved prints the flags for -h
	return &cmdFlags{FlagSet: fs, help: e.stdout, args: args}
}

// cmdFlags is a command's flag set, with where -h prints and the
// command's argument summary.
type cmdFlags struct {
	*flag.FlagSet
	help io.Writer
	args string
}

// parseInterleaved parses flags and positional arguments in any order
// (bpbench merge a b --out c; bpbench workload NAME --lines 10).
func parseInterleaved(fs *cmdFlags, args []string) ([]string, error) {
	pos, err := child.ParseInterleaved(fs.FlagSet, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(fs.help, "Usage: bpbench %s %s\n\nFlags:\n", fs.Name(), fs.args)
		fs.SetOutput(fs.help)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return pos, err
}

// usageError prints a bad-usage message — the error first, then a short
// usage line — and returns exit code 2 (0 for -h, whose usage was printed).
func usageError(e *env, cmd string, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	msg := strings.TrimPrefix(err.Error(), "harness: ")
	if !strings.HasPrefix(msg, "bpbench") {
		msg = "bpbench " + cmd + ": " + msg
	}
	fmt.Fprintln(e.stderr, msg)
	if isFlagError(err) {
		for _, c := range commands() {
			if c.name == cmd {
				fmt.Fprintf(e.stderr, "Usage: bpbench %s %s (bpbench %s -h lists the flags)\n", cmd, c.args, cmd)
			}
		}
	}
	return exitBadUsage
}

// isFlagError reports whether err came from parsing the command line.
func isFlagError(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "flag provided but not defined") || strings.HasPrefix(msg, "invalid value") ||
		strings.HasPrefix(msg, "invalid boolean") || strings.HasPrefix(msg, "flag needs an argument") || strings.HasPrefix(msg, "bad flag syntax")
}
