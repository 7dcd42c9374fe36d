// Package caps is the cap flags of bpbench run and tune — --count,
// --memlimit, --hard-limit, --interval, --timeout, and run's --warmup and
// --shard — read into one validated harness.Config, with each refusal a
// *cli.UsageError that names the flag and the fix.
package caps

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/bpbench/bpbench/harness"
	"github.com/bpbench/bpbench/internal/cli"
	"github.com/bpbench/bpbench/internal/size"
)

// Defaults are the caps' defaults, as every verb that measures has them.
const (
	DefaultMemLimit = "128MiB" // the seed's --max-old-space-size=128
	DefaultTimeout  = 2 * time.Minute
)

// The bounds of --count and --interval: beyond them a run measures the
// machine's patience or bpbench's own sampler, not the program.
const (
	MaxCount    = 1000
	MinInterval = time.Millisecond
)

// Options say which cap flags a verb has. The zero value has --count
// (default 1), --memlimit, --hard-limit, --interval and --timeout.
type Options struct {
	Count     int    // --count's default; 0 means 1
	CountHelp string // --count's help; "" says what the gate needs
	Warmup    bool   // a --warmup flag (default true); without it every cell warms up
	Shard     bool   // a --shard flag
	// Window adds the flags of a long-running program: --duration,
	// --grace, --ready, --ready-timeout and --load (see harness.Config).
	Window bool
	// MachineRoot is the folder Config reads the machine's memory below
	// (ReadMachineMemory's root); "" is "/". Tests give a fixture.
	MachineRoot string
}

// Flags are the cap flags defined on a flag set.
type Flags struct {
	count             *int
	memlimit, hard    *string
	interval, timeout *time.Duration
	warmup            *bool
	shard             *string
	machineRoot       string

	fs                      *flag.FlagSet
	duration, grace, readyT *time.Duration
	ready, load             *string
}

// Add defines the cap flags on fs.
func Add(fs *flag.FlagSet, o Options) *Flags {
	f := &Flags{machineRoot: o.MachineRoot, fs: fs}
	count := max(o.Count, 1)
	help := o.CountHelp
	if help == "" {
		help = "runs per cell (5 or more let the gate test significance)"
	}
	f.count = fs.Int("count", count, help)
	f.memlimit = fs.String("memlimit", DefaultMemLimit, "GOMEMLIMIT for each child (node: --max-old-space-size); 0 sets none, and then no hard cap unless --hard-limit")
	f.hard = fs.String("hard-limit", "", fmt.Sprintf("the hard cap: memory at which a child is killed and recorded oom (default %g × memlimit); at most the machine's memory", harness.HardLimitFactor))
	f.interval = fs.Duration("interval", harness.DefaultInterval, "sampling interval")
	f.timeout = fs.Duration("timeout", DefaultTimeout, "per-run time limit (outcome timeout); 0 for none")
	if o.Warmup {
		f.warmup = fs.Bool("warmup", true, "run each cell once, briefly, before measuring")
	}
	if o.Shard {
		f.shard = fs.String("shard", "", "run only shard I of N (I/N, e.g. 0/3); combine the folders with bpbench merge")
	}
	if o.Window {
		f.duration = fs.Duration("duration", 0, "with --cmd: a long-running program (a server): run it this long once it is ready, then stop it (SIGTERM, then SIGKILL after --grace); outcome ok if it stayed within the cap and was alive to the end. With --duration, --timeout defaults to none")
		f.grace = fs.Duration("grace", harness.DefaultGrace, "with --duration: time between SIGTERM and SIGKILL when the program and its load are stopped")
		f.ready = fs.String("ready", "", "with --duration: wait until the program is ready before the window starts: tcp:PORT or tcp:HOST:PORT (a connection is accepted), or a shell command run until it exits 0")
		f.readyT = fs.Duration("ready-timeout", harness.DefaultReadyTimeout, "with --ready: how long the program may take to become ready; a program never ready is stopped and nothing is measured")
		f.load = fs.String("load", "", "with --duration: a load generator (a shell command) started once the program is ready, outside the cap and not measured, stopped at the end; its exit status and output are kept in runs.json")
	}
	return f
}

// Config returns the harness.Config the flags ask for, validated: every
// field Config.Validate checks, plus what the command line asks more of
// (a count of 1 or more, a positive interval, a --hard-limit above zero
// when given, and a hard cap this machine can reach: see CheckMachine).
// Cells and the rest are the caller's.
func (f *Flags) Config() (harness.Config, error) {
	var cfg harness.Config
	var err error
	if *f.count < 1 {
		return cfg, cli.Errorf("--count %d: give a count of 1 or more", *f.count)
	}
	if *f.count > MaxCount {
		return cfg, cli.Errorf("--count %d: at most %d runs per cell: more would run for hours; for a finer measurement make each run longer (--lines, --input-size), or split the work over machines with --shard", *f.count, MaxCount)
	}
	cfg.Count = *f.count
	cfg.Warmup = f.warmup == nil || *f.warmup
	if cfg.MemLimit, err = size.Parse(*f.memlimit); err != nil {
		return cfg, cli.Errorf("--memlimit: %w", err)
	}
	if *f.hard != "" {
		if cfg.HardLimit, err = size.Parse(*f.hard); err != nil {
			return cfg, cli.Errorf("--hard-limit: %w", err)
		}
		if cfg.HardLimit == 0 {
			return cfg, cli.Errorf("--hard-limit 0: give a size above zero, or leave it out for the default")
		}
	}
	if *f.interval <= 0 {
		return cfg, cli.Errorf("--interval %v: give a positive duration, e.g. 5ms", *f.interval)
	}
	if *f.interval < MinInterval {
		return cfg, cli.Errorf("--interval %v: at least %v (each sample reads /proc for the whole process tree; below that the sampler measures itself, not the program)", *f.interval, MinInterval)
	}
	cfg.Interval = *f.interval
	cfg.Timeout = *f.timeout
	if f.duration != nil {
		cfg.Duration, cfg.Grace, cfg.ReadyTimeout = *f.duration, *f.grace, *f.readyT
		cfg.Ready, cfg.Load = *f.ready, *f.load
		if cfg.Duration > 0 && !f.set("timeout") {
			cfg.Timeout = 0 // the window ends each run
		}
		if cfg.Grace <= 0 {
			return cfg, cli.Errorf("--grace %v: give a positive duration, e.g. 5s", cfg.Grace)
		}
		if cfg.ReadyTimeout <= 0 {
			return cfg, cli.Errorf("--ready-timeout %v: give a positive duration, e.g. 30s", cfg.ReadyTimeout)
		}
	}
	if f.shard != nil && *f.shard != "" {
		if cfg.Shard, err = harness.ParseShard(*f.shard); err != nil {
			// ParseShard's message is for Go callers; a user is told the flag.
			return cfg, cli.Errorf("--shard %q: bad shard: write I/N with 0 <= I < N, e.g. 0/3", *f.shard)
		}
	}
	if err := Check(cfg); err != nil {
		return cfg, err
	}
	return cfg, CheckMachine(cfg, f.machineRoot)
}

// set reports whether the flag name was given on the command line.
func (f *Flags) set(name string) bool {
	found := false
	f.fs.Visit(func(fl *flag.Flag) { found = found || fl.Name == name })
	return found
}

// ErrCapAboveMachine is wrapped by CheckMachine's refusal.
var ErrCapAboveMachine = errors.New("the hard cap is above the machine's memory")

// CheckMachine refuses a cfg whose hard cap — cfg.HardLimit, or
// harness.HardLimitFactor × MemLimit when that is zero — is above the
// memory this machine gives bpbench (ReadMachineMemory below root): such a
// cap never fires, the kernel runs out of memory first, and every run would
// be recorded as measured under a cap it never had. The refusal is a
// *cli.UsageError wrapping ErrCapAboveMachine that names the flag to
// change: --hard-limit when it was given, else --memlimit. A cfg with no
// cap (MemLimit and HardLimit zero) passes, as does any cfg when the
// machine's memory cannot be read (outside Linux).
func CheckMachine(cfg harness.Config, root string) error {
	hard := cfg.HardLimit
	if hard == 0 {
		hard = int64(harness.HardLimitFactor * float64(cfg.MemLimit))
	}
	if hard == 0 {
		return nil
	}
	m, err := ReadMachineMemory(root)
	if err != nil || m.Bytes == 0 || hard <= m.Bytes {
		return nil
	}
	const why = "a cap that cannot fire is not a cap, and every run would be recorded as capped"
	var msg string
	switch {
	case cfg.HardLimit > 0:
		msg = fmt.Sprintf("--hard-limit %s is above the memory this machine gives bpbench (%s): %s; give a --hard-limit of at most %s, or --memlimit 0 without --hard-limit to measure without a cap",
			size.Format(cfg.HardLimit), m, why, size.Human(m.Bytes))
	case cfg.MemLimit > m.Bytes:
		msg = fmt.Sprintf("--memlimit %s is above the memory this machine gives bpbench (%s): %s; give a --memlimit below %s, or --memlimit 0 to measure without a cap",
			size.Format(cfg.MemLimit), m, why, size.Human(m.Bytes))
	default:
		msg = fmt.Sprintf("--memlimit %s: its hard limit, %s (%g × memlimit), is above the memory this machine gives bpbench (%s): %s; give a --hard-limit of at most %s explicitly, or a lower --memlimit",
			size.Format(cfg.MemLimit), size.Human(hard), harness.HardLimitFactor, m, why, size.Human(m.Bytes))
	}
	return &cli.UsageError{Msg: msg, Err: ErrCapAboveMachine}
}

// Check is cfg.Validate, its refusal rendered as the flag that set the
// field: a *cli.UsageError wrapping the *harness.ConfigError.
func Check(cfg harness.Config) error {
	err := cfg.Validate()
	var ce *harness.ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	if ce.Field == "Timeout" && cfg.Duration > 0 && cfg.Timeout < cfg.Duration {
		return usage(ce, "--timeout %v is shorter than --duration %v: every run would time out before its window ends; give a --timeout of at least %v, or leave --timeout out (with --duration the window ends each run)",
			cfg.Timeout, cfg.Duration, cfg.Duration)
	}
	switch ce.Field {
	case "HardLimit":
		if cfg.HardLimit > 0 && cfg.HardLimit < cfg.MemLimit {
			return usage(ce, "--hard-limit %s is below --memlimit %s: the hard cap must sit above GOMEMLIMIT, or a drain-aware run is killed for memory the Go runtime may use; raise it or leave it out (default %g × memlimit)",
				size.Format(cfg.HardLimit), size.Format(cfg.MemLimit), harness.HardLimitFactor)
		}
		return usage(ce, "--hard-limit %s: %s", size.Format(cfg.HardLimit), ce.Reason)
	case "MemLimit":
		return usage(ce, "--memlimit %s: %s", size.Format(cfg.MemLimit), ce.Reason)
	case "Count":
		return usage(ce, "--count %d: give a count of 1 or more", cfg.Count)
	case "Timeout":
		return usage(ce, "--timeout %v: give a positive duration, or 0 for none", cfg.Timeout)
	case "Shard":
		return usage(ce, "--shard %s: %s", ce.Value, ce.Reason)
	case "Duration":
		return usage(ce, "--duration %v: give a positive duration, e.g. 30s", cfg.Duration)
	case "Ready":
		if cfg.Duration == 0 {
			return usage(ce, "--ready waits for a long-running program before its window starts; give --duration too, e.g. --duration 30s --ready %s", cfg.Ready)
		}
		return usage(ce, "--ready %s", ce.Reason)
	case "Load":
		return usage(ce, "--load drives a long-running program during its window; give --duration too, e.g. --duration 30s --load '...'")
	}
	return &cli.UsageError{Err: err}
}

// usage is a *cli.UsageError for ce, with a message that names the flag.
func usage(ce *harness.ConfigError, format string, a ...any) error {
	return &cli.UsageError{Msg: fmt.Sprintf(format, a...), Err: ce}
}
