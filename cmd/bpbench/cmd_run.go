package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/bpbench/bpbench/internal/cli"
	"github.com/bpbench/bpbench/internal/cli/caps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bpbench/bpbench/harness"
	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/workloads"
)

// runOptions are bpbench run's settings after parsing.
type runOptions struct {
	globs    []string
	variants []workloads.Variant
	cmd      string
	name     string // --name, or a name made from cmd's words
	baseBin  string // --baseline-bin
	baseDir  string // --baseline-dir, absolute
	cfg      harness.Config
	out      string
}

// runFlags are bpbench run's flags.
func runFlags(fs *flag.FlagSet) verb {
	workload := fs.String("workload", "*", "workloads to run: a name or glob, or a comma-separated list (bpbench list shows them)")
	variant := fs.String("variant", "all", "drain, naive, drain-on, both (drain and naive) or all (every variant a workload has)")
	capFlags := caps.Add(fs, caps.Options{Count: defaultCount, CountHelp: countHelp, Warmup: true, Shard: true, Window: true})
	out := fs.String("out", "bpbench-out", "output folder")
	cmd := fs.String("cmd", "", "measure your own command instead of the built-in workloads, e.g. --cmd './myserver --load' (heap and buffers too when it is a Go program calling probe.Start, or node)")
	baseBin := fs.String("baseline-bin", "", "also run every cell with this bpbench binary (the base of a pull request), interleaved, into the same folder; bpbench gate DIR compares the sides")
	baseCommit := fs.String("baseline-commit", "", "the commit --baseline-bin or --baseline-dir was built from, recorded in its runs")
	cf := cmdFlagsOf(fs)
	pf := cli.AddParamFlags(fs, cli.ParamOptions{HWMList: true})
	return func(ctx context.Context, e *env, pos []string) int {
		cmdSet := false
		fs.Visit(func(f *flag.Flag) { cmdSet = cmdSet || f.Name == "cmd" })
		opts, err := runOptionsOf(pos, capFlags, *workload, *variant, *out, *cmd, cmdSet, *baseBin, *baseCommit)
		if err == nil {
			err = cf.apply(opts)
		}
		if err != nil {
			return usageError(e, "run", err)
		}
		return cmdRun(ctx, e, opts, pf)
	}
}

func cmdRun(ctx context.Context, e *env, opts *runOptions, pf *cli.ParamFlags) int {
	cells, notes, err := buildCells(opts, pf)
	if err != nil {
		return usageError(e, "run", err)
	}
	for _, n := range notes {
		fmt.Fprintln(e.stderr, "note:", n)
	}
	created, err := checkOutDir(opts.out)
	if err != nil {
		return usageError(e, "run", err)
	}
	opts.cfg.Cells = cells
	m := measureInto(ctx, e, "run", opts.cfg, opts.out, created)
	if m.res == nil || m.dest == "" {
		return m.code
	}
	if line := capLine(m.res); line != "" {
		fmt.Fprintln(e.stdout, line)
	}
	windowNotes(e, opts.cfg, m.res)
	fmt.Fprintf(e.stdout, "\nwrote %s (results.txt, runs.json, samples/); %s\n", m.dest, nextStep(opts, m.dest))
	return m.code
}

// windowNotes tells what went wrong around long-running runs: a program
// never ready (naming --ready), a load generator that failed.
func windowNotes(e *env, cfg harness.Config, res *results.Set) {
	notReady, loads := false, 0
	for i := range res.Runs {
		r := &res.Runs[i]
		if r.DurationSeconds > 0 && r.NotStarted && r.ReadySeconds == nil && !notReady {
			notReady = true
			fmt.Fprintf(e.stderr, "bpbench run: --ready %s did not pass within --ready-timeout %v, so the program was stopped and nothing was measured: check that --cmd starts the server and that --ready matches it (the port it listens on), or raise --ready-timeout\n",
				shellQuote(cfg.Ready), cfg.ReadyTimeout)
		}
		if l := r.Load; l.Failed() {
			loads++
			if loads == 1 {
				what := l.Error
				if what == "" {
					what = fmt.Sprintf("exited with status %d", l.ExitCode)
					if l.Signal != "" {
						what = "was killed by " + l.Signal
					}
				}
				said := ""
				if tail := lastLine(l.OutputTail); tail != "" {
					said = "; it said: " + tail
				}
				fmt.Fprintf(e.stderr, "bpbench run: note: the --load generator %s %.1fs into run %s's window, before it ended%s (the runs are kept; see load in runs.json)\n",
					what, l.EndedSeconds-l.StartedSeconds, r.ID, said)
			}
		}
	}
	if loads > 1 {
		fmt.Fprintf(e.stderr, "bpbench run: note: the --load generator failed in %d runs\n", loads)
	}
}

// shellQuote quotes s for a shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`|&;<>()*?[]#~{}") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// capLine says once how the runs' memory was capped: by the kernel (a
// memory cgroup per run) or by the watchdog, and then why.
func capLine(res *results.Set) string {
	for _, r := range res.Runs {
		if r.Machine == nil || r.Machine.CapMechanism == "" {
			continue
		}
		if r.Machine.CapMechanism == harness.CapWatchdog {
			return "cap: watchdog (RSS sampled, the tree killed past the hard limit): " + r.CapNote
		}
		return "cap: " + r.Machine.CapMechanism + " (a memory cgroup per run: the kernel enforces the hard limit)"
	}
	return ""
}

// runOptionsOf checks bpbench run's flags and positional arguments.
func runOptionsOf(pos []string, capFlags *caps.Flags, workload, variant, out, cmd string, cmdSet bool, baseBin, baseCommit string) (*runOptions, error) {
	if len(pos) > 0 {
		return nil, cli.Errorf("unexpected argument %q: bpbench run takes only flags (use --workload NAME)", pos[0])
	}
	o := &runOptions{out: out, cmd: cmd}
	if baseBin != "" {
		if cmd != "" {
			return nil, cli.Errorf("--baseline-bin compares two bpbench binaries on the built-in workloads; it cannot run with --cmd")
		}
		fi, err := os.Stat(baseBin)
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return nil, cli.Errorf("--baseline-bin %s: not an executable file; build the base first, e.g. git worktree add /tmp/base main && go build -o /tmp/bpbench-base /tmp/base/cmd/bpbench", baseBin)
		}
		if o.baseBin, err = filepath.Abs(baseBin); err != nil {
			return nil, cli.Errorf("--baseline-bin: %w", err)
		}
	}
	var err error
	if o.cfg, err = capFlags.Config(); err != nil {
		return nil, err
	}
	o.cfg.BaseCommit = baseCommit
	switch variant {
	case "all":
		o.variants = []workloads.Variant{workloads.Drain, workloads.Naive, workloads.DrainOn}
	case "both":
		o.variants = []workloads.Variant{workloads.Drain, workloads.Naive}
	default:
		v, err := workloads.ParseVariant(variant)
		if err != nil {
			return nil, cli.Errorf("--variant: %w (or both, or all)", err)
		}
		o.variants = []workloads.Variant{v}
	}
	if cmdSet && strings.TrimSpace(cmd) == "" {
		return nil, cli.Errorf("--cmd is empty: give the command to measure, e.g. --cmd './server --once', or leave --cmd out to run the built-in suite")
	}
	o.globs = strings.Split(workload, ",")
	if cmd != "" && workload == "*" {
		o.globs = nil // --cmd alone measures just the command
	}
	if o.cfg.Duration > 0 {
		if cmd == "" {
			return nil, cli.Errorf("--duration runs a long-running program given with --cmd, e.g. --cmd './server' --duration 30s --ready tcp:8080; the built-in workloads end by themselves")
		}
		if o.globs != nil {
			return nil, cli.Errorf("--duration measures only --cmd: leave --workload out (the built-in workloads end by themselves)")
		}
	}
	return o, nil
}

// buildCells expands the selected workloads, variants and --hwm values
// into the harness's cells, plus notes on what was skipped.
func buildCells(o *runOptions, pf *cli.ParamFlags) ([]harness.Cell, []string, error) {
	var cells []harness.Cell
	var notes []string
	if o.cmd != "" {
		cmdCells, err := commandCells(o)
		if err != nil {
			return nil, nil, err
		}
		cells = append(cells, cmdCells...)
	}
	selected, err := cli.Select(o.globs)
	if err != nil {
		return nil, nil, err
	}
	hwms, err := pf.HWMs()
	if err != nil {
		return nil, nil, err
	}
	var headChild, baseChild []string
	if slices.ContainsFunc(selected, func(w *workloads.Workload) bool { return !w.External() }) {
		exe, err := os.Executable()
		if err != nil {
			return nil, nil, fmt.Errorf("cannot find bpbench's own executable to run workloads: %v", err)
		}
		var note string
		if o.baseBin != "" {
			headChild, baseChild, note = sidesCommands(exe, o.baseBin)
		} else {
			headChild, note = childCommand(exe)
		}
		if note != "" {
			notes = append(notes, note)
		}
	}
	used := map[string]bool{}
	params := pf.Checked(false)
	suite, err := workloads.Suite(selected, o.variants, hwms, func(w *workloads.Workload) (workloads.Params, error) {
		for _, n := range w.Uses {
			used[n] = true
		}
		return params(w)
	})
	if err != nil {
		return nil, nil, err
	}
	skipped := map[string]bool{}
	for _, wc := range suite {
		w := wc.Workload
		if skipped[w.Name] {
			continue
		}
		if o.baseBin != "" && w.External() {
			notes = append(notes, fmt.Sprintf("skipping %s with --baseline-bin: it runs the same script on both sides", w.Name))
			skipped[w.Name] = true
			continue
		}
		c, err := harnessCell(headChild, wc, o.cfg.MemLimit)
		if errors.Is(err, workloads.ErrNoNode) {
			notes = append(notes, fmt.Sprintf("skipping %s: %v", w.Name, err))
			skipped[w.Name] = true
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if o.baseBin != "" {
			base := c
			base.Side = results.SideBase
			base.Argv = append(slices.Clone(baseChild), c.Argv[len(headChild):]...)
			c.Side = results.SideHead
			cells = append(cells, base)
		}
		cells = append(cells, c)
	}
	for _, n := range pf.Given() {
		if !used[n] && len(selected) > 0 {
			return nil, nil, cli.Errorf("--%s is used by none of the selected workloads; bpbench list shows which take it", n)
		}
	}
	if len(cells) == 0 {
		return nil, notes, cli.Errorf("nothing to run: the selected workloads have none of the selected variants (bpbench list shows them)")
	}
	return cells, notes, nil
}

// harnessCell is how the harness runs a workload's cell: a Go workload as
// child (see childCommand) followed by the cell's arguments, a Node one as
// node itself with the probe the harness preloads.
func harnessCell(child []string, wc workloads.Cell, memlimit int64) (harness.Cell, error) {
	c := harness.Cell{Bench: wc.Workload.Bench, Workload: wc.Workload.Name, Variant: string(wc.Variant), Params: wc.Labels(), Expect: wc.Expect()}
	if wc.Workload.External() {
		argv, err := wc.Command(memlimit)
		if err != nil {
			return c, err
		}
		c.Argv = argv
		c.MayProbe = true
		return c, nil
	}
	c.Argv = append(slices.Clone(child), wc.Args()...)
	c.Probe = true
	return c, nil
}

// shellWords are first words that need a shell: its builtins and keywords.
func shellWords() map[string]bool {
	return map[string]bool{"exec": true, "cd": true, "exit": true, "export": true, "set": true, "unset": true, ".": true,
		"source": true, "eval": true, "if": true, "for": true, "while": true, "until": true, "case": true, "!": true, "{": true,
		"time": true, "ulimit": true, "umask": true, "trap": true, "wait": true, "command": true, "builtin": true, "alias": true}
}

// needsShell reports whether a command line uses anything beyond a program
// and its plain arguments.
func needsShell(cmd string, fields []string) bool {
	return strings.ContainsAny(cmd, "|&;<>()$`\\\"'*?[]#~=%{}\n") || shellWords()[fields[0]]
}

// checkOutDir makes sure the output folder can be written before anything
// is measured, and reports whether it created it.
func checkOutDir(dir string) (created bool, err error) {
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		created = true
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, fmt.Errorf("cannot create output folder %s: %v; pass --out with a writable folder", dir, err)
	}
	f, err := os.CreateTemp(dir, ".bpbench-check-*")
	if err != nil {
		if created {
			os.Remove(dir)
		}
		return false, fmt.Errorf("cannot write to output folder %s: %v; fix its permissions or pass --out with a writable folder", dir, err)
	}
	f.Close()
	return created, os.Remove(f.Name())
}
