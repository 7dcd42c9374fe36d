package harness

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	hostfacts "github.com/bpbench/bpbench/internal/machine"
	"github.com/bpbench/bpbench/internal/private"
	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/probe"
)

// Defaults applied by Run to zero Config fields.
const (
	// DefaultInterval is the sampling interval when Config.Interval is zero.
	DefaultInterval = 5 * time.Millisecond
	// HardLimitFactor is the hard cap, as a multiple of MemLimit, when
	// Config.HardLimit is zero. It models a container whose GOMEMLIMIT is
	// set to 80% of its memory limit: GOMEMLIMIT is soft, and the quarter on
	// top leaves room for memory the Go runtime does not count toward it
	// (the Go GC guide advises 5-10% of headroom; .NET's default heap limit
	// in a container is 75% of it) and for the watchdog's sampling lag. A
	// drain-aware workload stays far below either; a producer that ignores
	// backpressure crosses both. The cap is also where a naive Go run's time
	// goes: past GOMEMLIMIT the collector runs back to back, and a higher
	// cap mostly measures that spiral for longer.
	HardLimitFactor = 1.25
	// DefaultWarmupTimeout caps one warm-up run when Config.WarmupTimeout is zero.
	DefaultWarmupTimeout = 250 * time.Millisecond
	// stderrTail is how much of the end of a child's stderr a results.Run keeps.
	stderrTail = 4 << 10
)

// Cell is one thing to measure; the harness knows nothing about workloads
// except this.
type Cell struct {
	Bench    string          // benchmark name stem, e.g. "MillionLineWriter", "Node/IgnoreBackpressure" or "Cmd"
	Workload string          // "million-line-writer", "node/ignore-backpressure", "cmd"
	Variant  string          // "drain", "naive", or "" for external commands
	Params   []results.Param // ordered key=value shown in the benchmark name after the variant (hwm=64KiB) and in runs.json params
	Argv     []string        // command to run; argv[0] is resolved with exec.LookPath unless it contains a path separator
	Env      []string        // extra environment, appended after the harness's own
	Probe    bool            // the child speaks the probe protocol (Go programs calling probe.Start): a run that never reports did not start
	// MayProbe offers the probe to a command that may speak it — a user's
	// Go program calling probe.Start, or any node it runs, through the
	// preload script the harness injects with NODE_OPTIONS — without
	// expecting it to.
	MayProbe bool
	Dir      string // working directory for the child; "" = a fresh temporary directory per run, removed after

	// Side is results.SideBase or results.SideHead when the suite measures
	// a baseline binary against this one (--baseline-bin): the two cells of
	// a pair have the same name and differ in Side and Argv.
	Side string
	// Expect is the expected wall time of one run, used only to balance
	// shards; 0 counts as one second.
	Expect time.Duration
}

// group is the key of the cells a shard keeps together: the same
// benchmark and parameters, whatever the variant and side.
func (c Cell) group() string {
	return Cell{Bench: c.Bench, Params: c.Params}.Name()
}

// Name is the cell's benchmark name without the "Benchmark" prefix:
// Bench, then "variant=V" when Variant is set, then each param, joined by "/".
// This is the name results.txt uses, so `benchstat -col /variant` pairs
// drain and naive.
func (c Cell) Name() string {
	var b strings.Builder
	b.WriteString(c.Bench)
	if c.Variant != "" {
		b.WriteString("/variant=")
		b.WriteString(c.Variant)
	}
	for _, p := range c.Params {
		b.WriteString("/")
		b.WriteString(p.Key)
		b.WriteString("=")
		b.WriteString(p.Value)
	}
	return b.String()
}

// EventKind says what an Event reports.
type EventKind int

// Events of a Run, in order: a WarmupStart per warm-up run when Config.Warmup is
// set, then RunStart and RunDone for each measured run, then Finished once
// (also after an error or cancellation).
const (
	WarmupStart EventKind = iota
	RunStart
	RunDone
	Finished
)

// Event is one step of a Run, for drawing progress.
type Event struct {
	Kind  EventKind
	Cell  Cell         // the cell (not for Finished)
	Rep   int          // the repetition (RunStart, RunDone)
	Run   *results.Run // the finished run (RunDone)
	Done  int          // runs finished so far
	Total int          // runs planned in this shard
}

// Label is the cell as progress lines show it: workload, variant and side
// joined by sep, then the params.
func (c Cell) Label(sep string) string {
	parts := []string{c.Workload}
	if c.Variant != "" {
		parts = append(parts, c.Variant)
	}
	if c.Side != "" {
		parts = append(parts, c.Side)
	}
	s := strings.Join(parts, sep)
	for _, p := range c.Params {
		s += " " + p.Key + "=" + p.Value
	}
	return s
}

// Shard selects a deterministic subset of a suite's cells: the suite's
// cells are grouped by benchmark and parameters (both variants, and both
// sides of a --baseline-bin suite, stay in one group, so every pair is
// measured on one machine), and the groups are dealt to N shards by
// expected time, longest first, each to the shard with the least so far.
// The zero value (and N == 1) selects everything.
type Shard struct{ I, N int }

// ErrBadShard is the error, wrapped with the shard and what is wrong with
// it, of a shard that selects nothing or cannot be read.
var ErrBadShard = errors.New("harness: bad shard")

// ParseShard reads "I/N" as written on the command line (--shard 0/3).
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("%w %q: write I/N with 0 <= I < N, e.g. 0/3", ErrBadShard, s)
	}
	sh := Shard{I: i, N: n}
	if n < 1 {
		return Shard{}, fmt.Errorf("%w %q: N must be at least 1", ErrBadShard, s)
	}
	return sh, sh.check()
}

func (s Shard) check() error {
	if s == (Shard{}) {
		return nil
	}
	if s.N < 1 || s.I < 0 || s.I >= s.N {
		return fmt.Errorf("%w %d/%d: want 0 <= I < N, e.g. 0/3", ErrBadShard, s.I, s.N)
	}
	return nil
}

func (s Shard) String() string {
	if s.N <= 1 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.I, s.N)
}

// cells reports which cells belong to shard s.
func (s Shard) cells(cells []Cell) []bool {
	keep := make([]bool, len(cells))
	if s.N <= 1 {
		for i := range keep {
			keep[i] = true
		}
		return keep
	}
	type grp struct {
		first int
		cost  time.Duration
		cells []int
	}
	var groups []*grp
	byKey := map[string]*grp{}
	for i, c := range cells {
		g := byKey[c.group()]
		if g == nil {
			g = &grp{first: i}
			byKey[c.group()] = g
			groups = append(groups, g)
		}
		g.cells = append(g.cells, i)
		g.cost += cmp.Or(c.Expect, time.Second)
	}
	slices.SortStableFunc(groups, func(a, b *grp) int { return cmp.Compare(b.cost, a.cost) })
	load := make([]time.Duration, s.N)
	for _, g := range groups {
		to := 0
		for i := range load {
			if load[i] < load[to] {
				to = i
			}
		}
		load[to] += g.cost
		if to == s.I {
			for _, c := range g.cells {
				keep[c] = true
			}
		}
	}
	return keep
}

// Config is what Run measures and how. Zero fields take the documented default.
type Config struct {
	Cells []Cell
	Count int // repetitions per cell; 0 means 1, negative is an error

	// Warmup runs one cell of each group (a benchmark with its parameters,
	// whatever the variant) on each side once before the measured runs,
	// under the same caps but for at most WarmupTimeout, and discards the
	// result: it pages in the binary and makes the workload's input, so
	// that rep 0 is not an outlier. The variants of a group run the same
	// program on the same input, so one warm-up serves them all. It costs
	// at most WarmupTimeout per group and side.
	Warmup        bool
	WarmupTimeout time.Duration // 0 = DefaultWarmupTimeout

	MemLimit  int64         // GOMEMLIMIT for the child in bytes; 0 = leave GOMEMLIMIT unset
	HardLimit int64         // the hard cap: each run's memory cgroup limit, or the watchdog's RSS cap; 0 = HardLimitFactor × MemLimit (no cap when MemLimit is 0 too)
	Interval  time.Duration // sampling and watchdog interval; 0 = DefaultInterval; negative = no sampling, no watchdog and no probe (to measure the harness's own cost)
	Timeout   time.Duration // per run; 0 = none
	Shard     Shard         // zero value = every run
	Commit    string        // commit of the code measured; "" = `git rev-parse HEAD` in the current directory, or "unknown"
	// BaseCommit is recorded for cells with Side results.SideBase: the
	// commit the baseline binary was built from; "" = "base".
	BaseCommit string

	// CgroupRoot is the cgroup folder in which each run gets its own
	// memory cgroup (see "The cap model" in the package documentation):
	// "" = the memory cgroup this process runs in, found through
	// /proc/self/cgroup and the mount table; "none" = no cgroup, the
	// watchdog alone. When no cgroup can be made there, the watchdog caps
	// the runs and each run records why.
	CgroupRoot string

	// Long-running programs (see "Long-running programs" in the package
	// documentation). Duration > 0 runs each run's program for Duration
	// after it is ready, then stops it: SIGTERM to its process group, then
	// SIGKILL after Grace. Ready, when set, is the readiness check:
	// "tcp:PORT" or "tcp:HOST:PORT" (a TCP connection is accepted), or a
	// shell command run every 50ms until it exits 0, for at most
	// ReadyTimeout. Load, when set, is a shell command started once the
	// program is ready, outside the cap and not measured, and stopped like
	// the program at the end of the window. Ready and Load need Duration;
	// Duration turns Warmup off (the window's warm-up fraction is a
	// long-running program's warm-up) and needs a Timeout of 0 or at least
	// Duration.
	Duration     time.Duration
	Grace        time.Duration // 0 = DefaultGrace
	Ready        string
	ReadyTimeout time.Duration // 0 = DefaultReadyTimeout
	Load         string

	nodePreload string // path of probe.NodePreload() on disk, written by Run
	cgroups     *cgroupHost

	// Events, when set, is told of each run as it starts and ends (see
	// Event), from Run's goroutine, so that a caller can draw progress.
	Events func(Event)
}

// planned is one entry of the interleaved run list.
type planned struct {
	index int
	cell  int
	rep   int
}

// groups counts the cells' groups (see Shard).
func groups(cells []Cell) int {
	seen := map[string]bool{}
	for _, c := range cells {
		seen[c.group()] = true
	}
	return len(seen)
}

// plan returns the interleaved run list (rep 0 of every cell, then rep 1, …)
// restricted to shard. Within a group of cells (see Shard), odd reps run
// the group in reverse order, so neither variant nor side always goes first.
func plan(cells []Cell, count int, shard Shard) []planned {
	keep := shard.cells(cells)
	var out []planned
	n := len(cells)
	for rep := 0; rep < count; rep++ {
		order := make([]int, 0, n)
		for c := 0; c < n; {
			end := c + 1
			for end < n && cells[end].group() == cells[c].group() {
				end++
			}
			for k := c; k < end; k++ {
				if rep%2 == 0 {
					order = append(order, k)
				} else {
					order = append(order, c+end-1-k)
				}
			}
			c = end
		}
		for _, c := range order {
			if keep[c] {
				out = append(out, planned{index: rep*n + c, cell: c, rep: rep})
			}
		}
	}
	return out
}

// Run owns the process while it runs: it makes it the subreaper of its
// descendants and, after each run, kills every child of the process other
// than the run's leader (orphans of the run). Do not start other children
// concurrently.
//
// Run measures every selected run of cfg, one child process at a time, in
// interleaved order. It never loses a measured run: when ctx is cancelled
// it kills the running child, records it as results.Interrupted and returns what
// was measured with ctx.Err(). A run that cannot be started at all (the
// command vanished, fork failed) stops the suite with an error, again
// returning the runs measured before it; that error is a *StartError.
func Run(ctx context.Context, cfg Config) (*results.Set, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := supported(); err != nil {
		return nil, err
	}
	cfg, err := normalize(cfg)
	if err != nil {
		return nil, err
	}
	if err := becomeSubreaper(); err != nil {
		return nil, fmt.Errorf("harness: cannot become the subreaper of the runs' processes: %w", err)
	}
	cleanStaleRunDirs()
	if cfg.nodePreload, err = writeNodePreload(); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	defer os.RemoveAll(filepath.Dir(cfg.nodePreload))
	var capNote string
	cfg.cgroups, capNote = openCgroupHost(cfg.CgroupRoot)
	defer cfg.cgroups.close()
	env := machine{goos: runtime.GOOS, goarch: runtime.GOARCH, cpu: cpuName(), commit: cfg.Commit}
	var facts hostfacts.Options
	for _, c := range cfg.Cells {
		if hostfacts.UsesNode(c.Argv) {
			facts.Node = c.Argv[0]
			break
		}
	}
	env.facts = hostfacts.Read(ctx, facts)
	env.facts.CapMechanism, env.capNote = CapWatchdog, capNote
	if cfg.cgroups != nil {
		env.facts.CapMechanism = fmt.Sprintf("cgroup%d", cfg.cgroups.version)
	}
	if env.commit == "" {
		env.commit = gitCommit(ctx)
	}
	runs := plan(cfg.Cells, cfg.Count, cfg.Shard)
	if len(runs) == 0 {
		return nil, fmt.Errorf("harness: shard %s holds no cells: this suite has %d groups of cells (a workload's variants and sides stay together); use at most that many shards", cfg.Shard, groups(cfg.Cells))
	}
	env.suite = suiteFingerprint(cfg)
	events := cfg.Events
	if events == nil {
		events = func(Event) {}
	}
	total, finished := len(runs), 0
	emit := func(kind EventKind, c Cell, rep int, r *results.Run) {
		events(Event{Kind: kind, Cell: c, Rep: rep, Run: r, Done: finished, Total: total})
	}
	defer func() { emit(Finished, Cell{}, 0, nil) }()
	res := &results.Set{}

	if cfg.Warmup {
		seen := map[string]bool{}
		for _, p := range runs {
			c := cfg.Cells[p.cell]
			key := c.group() + "\x00" + c.Side
			if seen[key] {
				continue
			}
			seen[key] = true
			wcfg := cfg
			if wcfg.Timeout == 0 || wcfg.Timeout > wcfg.WarmupTimeout {
				wcfg.Timeout = wcfg.WarmupTimeout
			}
			emit(WarmupStart, c, 0, nil)
			if _, err := measure(ctx, &wcfg, env, c, p); err != nil {
				return res, err
			}
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
		}
	}

	for _, p := range runs {
		if ctx.Err() != nil {
			break
		}
		c := cfg.Cells[p.cell]
		emit(RunStart, c, p.rep, nil)
		r, err := measure(ctx, &cfg, env, c, p)
		var notReady *NotReadyError
		if errors.As(err, &notReady) {
			res.Runs = append(res.Runs, r) // recorded, not started
			finished++
			emit(RunDone, c, p.rep, &res.Runs[len(res.Runs)-1])
		}
		if err != nil {
			return res, err
		}
		res.Runs = append(res.Runs, r)
		finished++
		emit(RunDone, c, p.rep, &res.Runs[len(res.Runs)-1])
	}
	return res, ctx.Err()
}

// writeNodePreload writes probe.NodePreload() to a fresh folder of this
// user's, closed to others, in the temp folder, and returns the file's
// path; Run removes the folder when it returns. The folder is made by
// os.MkdirTemp, never reused: a folder someone else made in advance under
// a predictable name is never trusted.
func writeNodePreload() (string, error) {
	dir, err := os.MkdirTemp("", nodeDirPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return "", fmt.Errorf("cannot create a folder for the node probe: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil || !fi.IsDir() || !private.OwnedByUser(fi) || fi.Mode().Perm()&0o077 != 0 {
		os.RemoveAll(dir)
		return "", fmt.Errorf("%s is not a folder of this user's closed to others", dir)
	}
	path := filepath.Join(dir, "node-probe.js")
	if err := os.WriteFile(path, probe.NodePreload(), 0o600); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("the node probe: %w", err)
	}
	return path, nil
}

// runDirPrefix names a run's temporary working folder, followed by the
// harness's pid: a folder whose harness is gone (killed before it could
// remove it) is removed by the next Run.
const runDirPrefix = "bpbench-run-"

// nodeDirPrefix names the folder of the node probe, followed by the
// harness's pid, like runDirPrefix.
const nodeDirPrefix = "bpbench-node-"

// cleanStaleRunDirs removes the working folders of runs, and the node
// probe's folders, whose harness no longer exists.
func cleanStaleRunDirs() {
	for _, prefix := range []string{runDirPrefix, nodeDirPrefix} {
		cleanStale(prefix)
	}
}

func cleanStale(prefix string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"*"))
	for _, d := range dirs {
		rest := strings.TrimPrefix(filepath.Base(d), prefix)
		pidStr, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if !ok || err != nil || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		if fi, err := os.Stat(d); err == nil && fi.IsDir() && private.OwnedByUser(fi) {
			os.RemoveAll(d)
		}
	}
}

// machine is what a run records about where it was measured.
type machine struct {
	goos, goarch, cpu, commit, suite string
	facts                            results.Machine // cores, memory, kernel, versions, load at the start, cap mechanism
	capNote                          string          // why the watchdog caps the runs, when it does
}

// suiteFingerprint identifies the suite a run belongs to — its cells'
// names (benchmark, variant, params), sides and the count, not host paths —
// so that merge can refuse shards of different suites but accept shards
// run in other folders or by other users.
func suiteFingerprint(cfg Config) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "count=%d\n", cfg.Count)
	for _, c := range cfg.Cells {
		fmt.Fprintf(h, "%s|%s\n", c.Name(), c.Side)
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// normalize fills in cfg's defaults and checks its cells; Validate has
// checked the rest.
func normalize(cfg Config) (Config, error) {
	if len(cfg.Cells) == 0 {
		return cfg, errors.New("harness: no cells to run")
	}
	if cfg.Count == 0 {
		cfg.Count = 1
	}
	if cfg.HardLimit == 0 {
		cfg.HardLimit = int64(HardLimitFactor * float64(cfg.MemLimit))
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.WarmupTimeout <= 0 {
		cfg.WarmupTimeout = DefaultWarmupTimeout
	}
	if cfg.Duration > 0 {
		cfg.Warmup = false
		cfg.Grace = cmp.Or(cfg.Grace, DefaultGrace)
		cfg.ReadyTimeout = cmp.Or(cfg.ReadyTimeout, DefaultReadyTimeout)
	}
	cells := make([]Cell, len(cfg.Cells))
	names := map[string]bool{}
	ids := map[string]string{}
	for i, c := range cfg.Cells {
		if err := checkCell(c); err != nil {
			return cfg, err
		}
		name := c.Name()
		if c.Side != "" && c.Side != results.SideBase && c.Side != results.SideHead {
			return cfg, fmt.Errorf("harness: cell %s: side %q is neither %s nor %s", name, c.Side, results.SideBase, results.SideHead)
		}
		name += "@" + c.Side
		if names[name] {
			return cfg, fmt.Errorf("harness: two cells are both named %s: give them different params", name)
		}
		names[name] = true
		id := c.id()
		if other, ok := ids[id]; ok {
			return cfg, fmt.Errorf("harness: cells %s and %s map to the same samples file name %s", other, name, id)
		}
		ids[id] = name
		argv0, err := resolve(c.Argv[0])
		if err != nil {
			return cfg, fmt.Errorf("harness: cell %s: %w", name, err)
		}
		c.Argv = append([]string{argv0}, c.Argv[1:]...)
		cells[i] = c
	}
	cfg.Cells = cells
	return cfg, nil
}

var reservedParams = map[string]bool{"memlimit": true, "hard_limit": true, "variant": true}

func checkCell(c Cell) error {
	if c.Bench == "" || strings.IndexFunc(c.Bench, unicode.IsSpace) >= 0 {
		return fmt.Errorf("harness: cell %q: Bench must be a non-empty name without spaces", c.Bench)
	}
	if len(c.Argv) == 0 || c.Argv[0] == "" {
		return fmt.Errorf("harness: cell %s: no command to run", c.Name())
	}
	bad := func(s string) bool { return strings.ContainsAny(s, "/=") || strings.IndexFunc(s, unicode.IsSpace) >= 0 }
	if bad(c.Variant) {
		return fmt.Errorf("harness: cell %s: variant %q may not contain '/', '=' or spaces", c.Bench, c.Variant)
	}
	for _, p := range c.Params {
		if p.Key == "" || bad(p.Key) || strings.ContainsRune(p.Value, '/') || strings.IndexFunc(p.Value, unicode.IsSpace) >= 0 {
			return fmt.Errorf("harness: cell %s: param %q=%q: keys and values may not contain '/' or spaces (keys not '=' either)", c.Bench, p.Key, p.Value)
		}
		if reservedParams[p.Key] {
			return fmt.Errorf("harness: cell %s: param %q is reserved for the harness", c.Bench, p.Key)
		}
	}
	return nil
}

// resolve makes argv0 absolute, because the child runs in its own directory.
func resolve(argv0 string) (string, error) {
	if strings.ContainsRune(argv0, filepath.Separator) {
		abs, err := filepath.Abs(argv0)
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(abs); err != nil {
			return "", fmt.Errorf("command %s: %w", argv0, err)
		}
		return abs, nil
	}
	p, err := exec.LookPath(argv0)
	if errors.Is(err, exec.ErrDot) {
		err = nil
	}
	if err != nil {
		return "", fmt.Errorf("command %q not found in PATH: install it or give its full path", argv0)
	}
	return filepath.Abs(p)
}

// id is the cell's file-name-safe id: its name, and its side when set.
func (c Cell) id() string {
	id := fileSafe(c.Name())
	if c.Side != "" {
		id += "-" + c.Side
	}
	return id
}

// fileSafe maps a benchmark name to a file name: '/' becomes '_', and
// anything outside [A-Za-z0-9._=+-] becomes '_'.
func fileSafe(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("._=+-", r):
			return r
		}
		return '_'
	}, name)
}

// gitCommit returns `git rev-parse HEAD` of the current directory, or "unknown".
func gitCommit(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "HEAD").Output()
	s := strings.TrimSpace(string(out))
	if err != nil || s == "" || strings.ContainsAny(s, " \n") {
		return "unknown"
	}
	return s
}
