package workloads

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/bpbench/bpbench/internal/size"
	"github.com/bpbench/bpbench/streamcore"
)

// Variant is how a workload's producer treats backpressure.
type Variant string

// The two variants every paired workload has, and the mistake the backpressure guide's
// last rule warns about, which million-line-writer also has.
const (
	Drain Variant = "drain" // honours write()'s false and waits for drain
	Naive Variant = "naive" // ignores it
	// DrainOn honours false but waits with a persistent drain listener
	// attached at every stall (on instead of once): the listeners pile up
	// and each drain re-enters the write loop once per listener.
	DrainOn Variant = "drain-on"
)

// ParseVariant accepts "drain", "naive" or "drain-on".
func ParseVariant(s string) (Variant, error) {
	switch Variant(s) {
	case Drain, Naive, DrainOn:
		return Variant(s), nil
	}
	return "", fmt.Errorf("unknown variant %q: use drain or naive, or drain-on where a workload has it", s)
}

// Params are a workload's knobs. Each workload uses some of them (see
// Workload.Uses); the zero value of a field means "the workload's default".
type Params struct {
	Lines     int    // lines to write
	HWM       *int   // highWaterMark in bytes; nil means the workload's default, streamcore.HWM(0) an explicit zero
	Sink      string // output path, or "null" for the workload's null sink
	Rate      int64  // bytes per second a throttled sink accepts
	InputSize int64  // bytes of generated input
}

// Param names, as benchmark names and runs.json carry them (and the
// command line, as flags of the same names).
const (
	PLines     = "lines"
	PHWM       = "hwm"
	PSink      = "sink"
	PRate      = "rate"
	PInputSize = "input-size"
)

// Value formats one parameter for benchmark names and runs.json: sizes in
// GOMEMLIMIT syntax (64KiB), counts as integers.
func (p Params) Value(name string) string {
	switch name {
	case PLines:
		return strconv.Itoa(p.Lines)
	case PHWM:
		if p.HWM == nil {
			return ""
		}
		return size.Format(int64(*p.HWM))
	case PSink:
		return p.Sink
	case PRate:
		return size.Format(p.Rate)
	case PInputSize:
		return size.Format(p.InputSize)
	}
	return ""
}

// ParamNames returns the parameters' names in the order flags, help and
// benchmark names show them.
func ParamNames() []string { return []string{PLines, PHWM, PSink, PRate, PInputSize} }

// A ParamError is a parameter value a workload cannot take. It names the
// parameter, not a flag: a command line renders it with its own spelling.
type ParamError struct {
	Param   string // the parameter, e.g. PLines
	Value   string // the value refused, as given
	Reason  string // what is wrong and what to do
	Example string // a value that works, or ""
	Err     error  // the cause (a size that does not parse), or nil
}

func (e *ParamError) Error() string {
	if e.Err != nil && e.Reason == "" {
		return fmt.Sprintf("workloads: parameter %s: %v", e.Param, e.Err)
	}
	s := fmt.Sprintf("workloads: parameter %s %q: %s", e.Param, e.Value, e.Reason)
	if e.Example != "" {
		s += ", e.g. " + e.Example
	}
	return s
}

func (e *ParamError) Unwrap() error { return e.Err }

// Set parses one parameter from its text (a flag's value, a benchmark
// name's). Its errors are *ParamError.
func (p *Params) Set(name, value string) error {
	bad := func(reason, example string) error {
		return &ParamError{Param: name, Value: value, Reason: reason, Example: example}
	}
	switch name {
	case PLines:
		n, err := strconv.Atoi(value)
		if err != nil || n <= 0 {
			return bad("give a positive whole number of lines", "1000000")
		}
		p.Lines = n
	case PHWM:
		n, err := size.Parse(value)
		if err != nil {
			return &ParamError{Param: name, Value: value, Err: err}
		}
		if n > 1<<40 {
			return bad("larger than 1TiB; use a smaller highWaterMark", "64KiB")
		}
		p.HWM = streamcore.HWM(int(n))
	case PSink:
		if value == "" {
			return bad("give a file path or null", "null")
		}
		p.Sink = value
	case PRate:
		n, err := size.Parse(value)
		if err != nil || n == 0 {
			return bad("give bytes per second above zero", "32MiB")
		}
		p.Rate = n
	case PInputSize:
		n, err := size.Parse(value)
		if err != nil || n == 0 {
			return bad("give a size above zero", "64MiB")
		}
		p.InputSize = n
	default:
		return bad(fmt.Sprintf("no such parameter; the parameters are %s", strings.Join(ParamNames(), ", ")), "")
	}
	return nil
}

// merge fills p's zero fields from d.
func (p Params) merge(d Params) Params {
	if p.Lines == 0 {
		p.Lines = d.Lines
	}
	if p.HWM == nil {
		p.HWM = d.HWM
	}
	if p.Sink == "" {
		p.Sink = d.Sink
	}
	if p.Rate == 0 {
		p.Rate = d.Rate
	}
	if p.InputSize == 0 {
		p.InputSize = d.InputSize
	}
	return p
}

// Env is what a Go workload runs with.
type Env struct {
	Variant Variant
	Params  Params // complete: defaults already applied
	// Track, if not nil, registers a stream whose counters the harness
	// samples (buffered bytes, false returns, drains, drain wait). A
	// workload tracks the stream where its backpressure shows.
	Track func(stats func() streamcore.Stats)
}

func (e *Env) track(stats func() streamcore.Stats) {
	if e.Track != nil {
		e.Track(stats)
	}
}

// Workload is one entry of the registry: an example of the backpressure guide with a drain and
// a naive variant, run in this process (Run) or, for the Node scripts, as
// an external command (Command).
type Workload struct {
	Name     string    // registry name, e.g. "million-line-writer"
	Bench    string    // benchmark name stem, e.g. "MillionLineWriter"
	Seed     string    // the example of the backpressure guide it reproduces
	Model    string    // what makes the sink slower than the producer
	Variants []Variant // variants it has
	Uses     []string  // parameters that apply, in benchmark-name order
	Defaults Params

	run func(ctx context.Context, env *Env) error
	// command returns the argv of an external workload; memlimit is the
	// cap in bytes for runtimes that take their own (node's heap limit).
	command func(p Params, v Variant, memlimit int64) ([]string, error)
}

// External reports whether the workload runs as an external command.
func (w *Workload) External() bool { return w.command != nil }

// Resolve applies the workload's defaults to p.
func (w *Workload) Resolve(p Params) Params { return p.merge(w.Defaults) }

// HasVariant reports whether v is one of the workload's variants.
func (w *Workload) HasVariant(v Variant) bool { return slices.Contains(w.Variants, v) }

// Run runs a Go workload in this process with the given variant and
// parameters (defaults applied for zero fields), like `node script.js`.
func (w *Workload) Run(ctx context.Context, env Env) error {
	if w.run == nil {
		return fmt.Errorf("workload %s is an external command: run its Command instead", w.Name)
	}
	if !w.HasVariant(env.Variant) {
		return fmt.Errorf("workload %s has no variant %q (it has %s)", w.Name, env.Variant, variantList(w.Variants))
	}
	env.Params = w.Resolve(env.Params)
	return w.run(ctx, &env)
}

// Command returns the argv of an external workload.
func (w *Workload) Command(p Params, v Variant, memlimit int64) ([]string, error) {
	if w.command == nil {
		return nil, fmt.Errorf("workload %s runs in process, not as a command", w.Name)
	}
	return w.command(w.Resolve(p), v, memlimit)
}

func variantList(vs []Variant) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// Lookup returns the workload called name.
func Lookup(name string) (*Workload, error) {
	for _, w := range All() {
		if w.Name == name {
			return w, nil
		}
	}
	names := make([]string, 0)
	for _, w := range All() {
		names = append(names, w.Name)
	}
	return nil, fmt.Errorf("unknown workload %q: run bpbench list to see them (%s)", name, strings.Join(names, ", "))
}
