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
	"github.com/bpbench/bpbench/internal/cli"
)

// Exit codes (the manual in doc.go): 0 ok, 1 a run could not be measured (or, for
// gate, a regression), 2 bad usage or unreadable input.
const (
	exitOK          = 0
	exitFailed      = 1
	exitBadUsage    = cli.ExitUsage
	exitInterrupted = 130 // Ctrl-C or SIGTERM, as shells report SIGINT
)

// A command is one verb: its name, its usage (the arguments after the
// name), a one-line summary, and its flags. bpbench help, bpbench VERB -h,
// the usage block of doc.go and the README's verb list all come from this
// table (TestUsageText holds doc.go and the README to it).
type command struct {
	name, args, summary string
	// flags defines the verb's flags on fs and returns what runs the verb
	// once they are parsed, with the positional arguments.
	flags func(fs *flag.FlagSet) verb
}

// verb runs a command after its flags are parsed.
type verb func(ctx context.Context, e *env, pos []string) int

// env is the command's standard streams.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	isTerminal     bool
}

func commands() []command {
	return []command{
		{"run", "[flags]", "run the paired suite under memory caps and write an output folder", runFlags},
		{"list", "[-v]", "list workloads with their variants, parameters and defaults", listFlags},
		{"workload", child.Usage, "run one workload in this process (what the harness's child runs)", workloadFlags},
		{"compare", "OLD [NEW] [--format text|markdown|csv|json] [--alpha P]", "benchstat-style table: drain vs naive in one folder, or OLD vs NEW", compareFlags},
		{"gate", "--baseline OLD NEW | DIR [--threshold UNIT=PCT]... [flags]", "exit 1 when NEW regressed against OLD (or head against base in DIR), saying why", gateFlags},
		{"plot", "DIR [--format svg|png] [--out DIR]", "memory curves and summary charts of an output folder", plotFlags},
		{"report", "DIR [--baseline DIR] [--format svg|png]", "one-file report.html (and report.md) with the verdict, tables and charts", reportFlags},
		{"tune", "--workload NAME | --cmd 'CMD {hwm}' --budget SIZE [flags]", "sweep the highWaterMark and recommend one that fits a memory budget", tuneFlags},
		{"watch", "PID [--for 5m] [--interval 1s] [--out DIR] [--threshold MiB/min]", "sample a running process's memory, write an output folder, exit 1 when it grows faster than the threshold", watchFlags},
		{"merge", "DIR... --out DIR [--allow-partial]", "merge output folders of shards (--shard I/N) into one", mergeFlags},
		{"history", "[add DIR | check | export | plot] [--db PATH] [--benchmark GLOB] [--metric UNIT] [--format F] [flags]", "keep result sets across commits; list, check, export or plot their change points", historyFlags},
	}
}

// flagSet is the command's flag set, its flags defined, reporting errors
// instead of exiting or printing.
func (c command) flagSet() (*flag.FlagSet, verb) {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs, c.flags(fs)
}

// run parses the command's flags and runs it; -h prints its help.
func (c command) run(ctx context.Context, e *env, args []string) int {
	fs, do := c.flagSet()
	pos, err := cli.ParseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		c.help(e.stdout)
		return exitOK
	}
	if err != nil {
		return usageError(e, c.name, err)
	}
	return do(ctx, e, pos)
}

// help prints the command's usage, summary and every flag it takes.
func (c command) help(w io.Writer) {
	fs, _ := c.flagSet()
	fmt.Fprintf(w, "Usage: bpbench %s %s\n\n%s.\n\nFlags:\n", c.name, c.args, capitalize(c.summary))
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
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
	for _, l := range usageLines() {
		fmt.Fprintln(w, "  "+l)
	}
	fmt.Fprintln(w, "\nRun bpbench COMMAND -h for a command's flags. Exit codes: 0 ok, 1 a run could not be measured, or gate or history check found a regression, 2 bad usage, 130 interrupted.")
}

// usageLines are the verbs as bpbench help, doc.go's usage block and the
// README list them: bpbench, the name and the arguments, and under them
// the summary.
func usageLines() []string {
	var out []string
	for _, c := range commands() {
		out = append(out, "bpbench "+c.name+" "+c.args, "        "+c.summary)
	}
	return out
}

// usageError prints a refused command line — the error first, then the
// usage line when the flags did not parse — and returns exitBadUsage.
func usageError(e *env, cmd string, err error) int {
	fmt.Fprintf(e.stderr, "bpbench %s: %v\n", cmd, err)
	if cli.IsBadFlag(err) {
		for _, c := range commands() {
			if c.name == cmd {
				fmt.Fprintf(e.stderr, "Usage: bpbench %s %s (bpbench %s -h lists the flags)\n", cmd, c.args, cmd)
			}
		}
	}
	return exitBadUsage
}
