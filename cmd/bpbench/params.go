package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/bpbench/bpbench/harness"
	"github.com/bpbench/bpbench/internal/cli"
	"github.com/bpbench/bpbench/internal/results"
)

// defaultCount is run's --count: benchmath gives a confidence interval
// from 6 runs on (with 5 every interval in compare and gate is ± ∞), and
// the gate's Mann-Whitney U test can reach p < 0.05 from 4.
const defaultCount = 6

// countHelp is run's --count help.
const countHelp = "runs per cell (6 or more give compare and the gate a confidence interval; 4 or more a significance test)"

// cmdFlags are run's flags about a user's own command (--cmd).
type cmdFlags struct {
	name    *string
	baseDir *string
}

func cmdFlagsOf(fs *flag.FlagSet) cmdFlags {
	return cmdFlags{
		name:    fs.String("name", "", "the benchmark name of --cmd (BenchmarkCmd/name=NAME), the same at base and head; default: the command's words without their folders, e.g. myserver-load"),
		baseDir: fs.String("baseline-dir", "", "with --cmd: also run the command in this folder (a checkout of the base, e.g. made with git worktree add), interleaved with this one, into the same folder; bpbench gate DIR compares the sides"),
	}
}

// apply checks --name and --baseline-dir against the rest of o and
// records them in it.
func (f cmdFlags) apply(o *runOptions) error {
	if *f.name != "" {
		if o.cmd == "" {
			return cli.Errorf("--name names a --cmd run; give --cmd 'COMMAND' too (the built-in workloads have their own names)")
		}
		if err := checkName(*f.name); err != nil {
			return err
		}
	}
	o.name = *f.name
	if o.cmd != "" && o.name == "" {
		o.name = cmdName(o.cmd)
	}
	if *f.baseDir == "" {
		return nil
	}
	if o.cmd == "" {
		return cli.Errorf("--baseline-dir runs your --cmd in a checkout of the base; give --cmd 'COMMAND' too (for the built-in workloads use --baseline-bin)")
	}
	if o.globs != nil {
		return cli.Errorf("--baseline-dir measures only --cmd; leave --workload out (measure the built-in workloads with --baseline-bin)")
	}
	fi, err := os.Stat(*f.baseDir)
	if err != nil || !fi.IsDir() {
		return cli.Errorf("--baseline-dir %s: not a folder; check out the base first, e.g. git worktree add /tmp/base origin/main", *f.baseDir)
	}
	if o.baseDir, err = filepath.Abs(*f.baseDir); err != nil {
		return cli.Errorf("--baseline-dir: %w", err)
	}
	return nil
}

// nameChars are the characters a --name may hold: nothing a benchmark
// name gives a meaning to ('/', '=', white space) or a shell or a file
// name might trip on.
var nameChars = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)

func checkName(name string) error {
	if len(name) > 64 || !nameChars.MatchString(name) {
		return cli.Errorf("--name %q: use letters, digits, '.', '_', '+' and '-' (at most 64, starting with a letter or digit), e.g. --name my-server", name)
	}
	return nil
}

// cmdName is the name of a --cmd run given no --name: the command's words
// without their folders (a path names the same program at base and head),
// joined by '-', with anything a name may not hold dropped, e.g.
// "./bin/myserver --load 3" is myserver-load-3 and "node app.js" is
// node-app.js. tune's {hwm} placeholder is left out.
func cmdName(cmd string) string {
	var words []string
	for _, w := range strings.Fields(strings.ReplaceAll(cmd, "{hwm}", "")) {
		w = strings.TrimRight(w, "/")
		if i := strings.LastIndexByte(w, '/'); i >= 0 {
			w = w[i+1:]
		}
		w = strings.Map(func(r rune) rune {
			if r < 128 && (r == '.' || r == '_' || r == '+' || r == '-' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
				return r
			}
			return '-'
		}, w)
		if w = strings.Trim(w, "-."); w != "" {
			words = append(words, w)
		}
	}
	name := strings.Join(words, "-")
	for strings.Contains(name, "--") {
		name = strings.ReplaceAll(name, "--", "-")
	}
	if len(name) > 48 {
		name = strings.TrimRight(name[:48], "-.")
	}
	if name == "" || checkName(name) != nil {
		return "cmd"
	}
	return name
}

// commandCell is a user's own command, run in the current folder and
// named by the words of cmd (see cmdName). A plain command line (a
// program and plain arguments) runs directly, so the harness measures and
// caps the program itself; anything else runs with sh -c, and the harness
// measures and caps the shell with every process it starts.
func commandCell(cmd string) (harness.Cell, error) {
	fields := strings.Fields(cmd)
	if len(fields) == 0 {
		return harness.Cell{}, cli.Errorf("--cmd is empty: give the command to measure, e.g. --cmd './server --once'")
	}
	argv := []string{"sh", "-c", cmd}
	if !needsShell(cmd, fields) {
		if _, err := exec.LookPath(fields[0]); err != nil {
			return harness.Cell{}, cli.Errorf("--cmd: %q is not an executable on PATH or a path to one: check the spelling or give its full path", fields[0])
		}
		argv = fields
	}
	return harness.Cell{
		Bench:    "Cmd",
		Workload: "cmd",
		Params:   []results.Param{cmdParam(cmd)},
		Argv:     argv,
		Dir:      ".",
		MayProbe: true, // a Go program with probe.Start, or node with the injected preload
	}, nil
}

// cmdParam names a --cmd cell given no --name (see cmdName).
func cmdParam(cmd string) results.Param {
	return results.Param{Key: "name", Value: cmdName(cmd)}
}

// commandCells are run's cells for --cmd: the command named by o.name
// and, with --baseline-dir, the same command run in the base's folder,
// the two sides of one benchmark.
func commandCells(o *runOptions) ([]harness.Cell, error) {
	head, err := commandCell(o.cmd)
	if err != nil {
		return nil, err
	}
	head.Params = []results.Param{{Key: "name", Value: o.name}}
	if o.baseDir == "" {
		return []harness.Cell{head}, nil
	}
	base := head
	base.Dir = o.baseDir
	base.Side = results.SideBase
	head.Side = results.SideHead
	// A program given by a relative path is each side's own, built in its
	// folder (the harness resolves a relative argv[0] from where bpbench
	// runs, so the base's is made absolute here).
	if prog := head.Argv[0]; head.Argv[0] != "sh" && strings.ContainsRune(prog, '/') && !filepath.IsAbs(prog) {
		p := filepath.Join(o.baseDir, prog)
		if fi, err := os.Stat(p); err != nil || fi.IsDir() {
			return nil, cli.Errorf("--cmd: %s is not in --baseline-dir %s: build the base there first (the command runs from each side's folder)", prog, o.baseDir)
		}
		base.Argv = append([]string{p}, head.Argv[1:]...)
	}
	return []harness.Cell{base, head}, nil
}

// nextStep is the hint run prints after writing dest: the command that
// makes sense of what it measured.
func nextStep(o *runOptions, dest string) string {
	switch {
	case o.baseBin != "" || o.baseDir != "":
		return fmt.Sprintf("judge head against base with: bpbench gate %s", dest)
	case o.cmd != "" && o.globs == nil:
		return fmt.Sprintf("see its memory curves with: bpbench report %s; measure a change with the same --cmd and --name, then: bpbench gate --baseline %s NEW_DIR (or measure both at once with --baseline-dir BASE_CHECKOUT)", dest, dest)
	default:
		return fmt.Sprintf("compare drain and naive with: bpbench compare %s", dest)
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
