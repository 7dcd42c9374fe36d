package reports

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/internal/size"
	"golang.org/x/perf/benchfmt"
)

// defaultThresholds are how much worse a metric may get before the gate
// calls it a regression (when the change is also significant): wall time
// is the noisiest, peak RSS the most important. Units not listed and not
// reported by bpbench itself (go test -bench output) get OtherThreshold;
// oom-runs, failed-runs and time-to-oom-sec are judged by outcome instead,
// writes-after-false, pushes-after-false and extra-drain-listeners by any
// increase (see Gate).
// In the order help text lists them.
var defaultThresholds = []struct {
	unit string
	frac float64
}{
	{results.UnitSec, 0.20},
	{results.UnitPeakRSS, 0.10},
	{results.UnitPeakHeap, 0.25},
	{results.UnitMaxBuffered, 0.25},
}

// DefaultThresholds returns the gate's threshold per unit of bpbench's own
// results, as fractions (0.1 = 10%): a fresh map the caller may change.
func DefaultThresholds() map[string]float64 {
	m := map[string]float64{}
	for _, d := range defaultThresholds {
		m[d.unit] = d.frac
	}
	return m
}

// DefaultThresholdsText lists the default thresholds for help text:
// "sec/op 20%, peak-RSS-B 10%, peak-heap-B 25%, max-buffered-B 25%,
// others 10%".
func DefaultThresholdsText() string {
	var parts []string
	for _, d := range defaultThresholds {
		parts = append(parts, fmt.Sprintf("%s %.0f%%", d.unit, d.frac*100))
	}
	return strings.Join(append(parts, fmt.Sprintf("others %.0f%%", OtherThreshold*100)), ", ")
}

// defaultThreshold is unit's default threshold, if it has one of its own.
func defaultThreshold(unit string) (float64, bool) {
	for _, d := range defaultThresholds {
		if d.unit == unit {
			return d.frac, true
		}
	}
	return 0, false
}

// OtherThreshold applies to units of plain go test -bench output.
const OtherThreshold = 0.10

// GateOptions are the gate's settings. The zero value uses the defaults
// documented on each field.
type GateOptions struct {
	Options
	// Thresholds override DefaultThresholds per unit, as fractions (0.1 = 10%).
	Thresholds map[string]float64
	// Growth bounds the memory growth of drain-aware runs; zero = DefaultGrowth.
	Growth Growth
	// AllowMixed gates inputs that Incomparable says were capped
	// differently, with each difference a warning in the verdict; false
	// refuses them (ErrIncomparable).
	AllowMixed bool
}

func (o GateOptions) threshold(unit string) (float64, bool) {
	if t, ok := o.Thresholds[unit]; ok {
		return t, true
	}
	if t, ok := defaultThreshold(unit); ok {
		return t, true
	}
	switch unit {
	case results.UnitOOM, results.UnitFailed, results.UnitTimeToOOM:
		return 0, false
	case results.UnitPeakCgroup:
		// The cgroup's own peak counts page cache and kernel memory, which
		// move with the disk and the machine, not with the program: shown,
		// judged only when --threshold names it. peak-RSS-B is the
		// program's.
		return 0, false
	}
	if results.IsViolation(unit) {
		return 0, false
	}
	return OtherThreshold, true
}

// ParseThreshold reads UNIT=PCT (peak-RSS-B=10%) into opts.
func (o *GateOptions) ParseThreshold(s string) error {
	unit, pct, ok := strings.Cut(s, "=")
	v, err := strconv.ParseFloat(strings.TrimSuffix(pct, "%"), 64)
	if !ok || unit == "" || err != nil || v < 0 || !strings.HasSuffix(pct, "%") {
		return errorf(ErrBadOption, "--threshold %q: write UNIT=PERCENT, e.g. peak-RSS-B=10%%", s)
	}
	if o.Thresholds == nil {
		o.Thresholds = map[string]float64{}
	}
	o.Thresholds[unit] = v / 100
	return nil
}

// Finding is one reason the gate failed.
type Finding struct {
	Bench   string `json:"benchmark"`
	Kind    string `json:"kind"` // "metric", "outcome", "growth", "bound" or "backpressure"
	Unit    string `json:"unit,omitempty"`
	Message string `json:"message"`
	// Sites are the call sites a backpressure finding names, as the
	// probe recorded them ("/src/app/flood.js:12"); the message shows
	// them shortened.
	Sites []string `json:"sites,omitempty"`
}

// Verdict is the gate's decision and its reasons.
type Verdict struct {
	Base, Head string
	Regressed  bool
	Findings   []Finding // why it regressed, in table order
	Warnings   []string  // why the sides are not comparable, gated anyway with AllowMixed
	Notes      []string  // what could not be judged as usual, and why
	OnlyBase   []string  // benchmarks the candidate no longer has
	OnlyHead   []string  // benchmarks new in the candidate
	Compared   int       // benchmarks present on both sides
	Comparison *Comparison
}

// Gate decides whether head regressed against base: a metric worse by more
// than its threshold and significant at opts' alpha (or, with too few runs
// for the test, worse by more than the threshold); an outcome that got
// worse in any run; a drain-aware run whose memory is no longer flat; a
// drain-aware run that buffered more than backpressure promises; a
// drain-aware run that ignored backpressure at all (a write after write()
// returned false, a push after push() returned false, a second drain
// listener), or any benchmark that did so more often per run (median) than
// in the base, without statistics, naming the call sites. Inputs
// capped differently (Incomparable) are refused, ErrIncomparable, unless
// opts.AllowMixed.
func Gate(base, head *Input, opts GateOptions) (*Verdict, error) {
	base, head = base.Candidate(), head.Candidate()
	mixed := Incomparable(base, head)
	if len(mixed) > 0 && !opts.AllowMixed {
		return nil, errorf(ErrIncomparable, "cannot gate %s against %s: %s; or pass --allow-mixed to gate them anyway, with a warning in the verdict",
			head.Label, base.Label, strings.Join(mixed, "; "))
	}
	cmp, err := CompareInputs(base, head, opts.Options)
	if err != nil {
		return nil, err
	}
	for unit := range opts.Thresholds {
		if results.IsViolation(unit) {
			return nil, errorf(ErrBadOption, "--threshold %s: the gate fails any increase of %s, and any at all in a drain-aware run; it takes no threshold", unit, unit)
		}
		_, known := defaultThreshold(unit)
		for _, t := range cmp.Tables {
			known = known || t.Unit == unit
		}
		if !known {
			var units []string
			for _, t := range cmp.Tables {
				units = append(units, t.Unit)
			}
			return nil, errorf(ErrBadOption, "--threshold %s: no such unit in these results; the units are %s", unit, strings.Join(units, ", "))
		}
	}
	cmp.Warnings = nil // the verdict's own, above its findings
	v := &Verdict{Base: base.Label, Head: head.Label, Comparison: cmp, Warnings: mixed}
	fail := func(f Finding) { v.Findings = append(v.Findings, f) }

	// Which benchmarks are on each side.
	names := func(in *Input) []string {
		var out []string
		for _, r := range in.Results {
			n := string(r.Name.Full())
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
		return out
	}
	bn, hn := names(base), names(head)
	for _, n := range bn {
		if !slices.Contains(hn, n) {
			v.OnlyBase = append(v.OnlyBase, n)
		} else {
			v.Compared++
		}
	}
	for _, n := range hn {
		if !slices.Contains(bn, n) {
			v.OnlyHead = append(v.OnlyHead, n)
		}
	}

	if v.Compared == 0 {
		return nil, errorf(ErrIncomparable, "no benchmark of %s is in %s: nothing to compare; gate results of the same workloads and parameters", head.Label, base.Label)
	}

	// Calls that ignored backpressure: the cause, before the symptoms.
	violationFindings(base, head, v, fail)

	// Metrics.
	tooFew := map[string]bool{}
	for _, t := range cmp.Tables {
		thr, ok := opts.threshold(t.Unit)
		if !ok {
			continue
		}
		better := t.Better
		if better == 0 {
			better = -1
			if strings.HasSuffix(t.Unit, "/s") {
				better = 1
			}
		}
		for _, r := range t.Rows {
			d := r.Deltas[0]
			if isControl(r.Bench) {
				continue
			}
			if d == nil {
				if r.Cells[0] != nil && r.Cells[1] == nil && t.Unit != results.UnitSec && bothHave(base, head, r.Bench) {
					fail(Finding{Bench: r.Bench, Kind: "metric", Unit: t.Unit, Message: fmt.Sprintf("%s: the base reports it and the candidate no longer does: its probe stopped reporting, so this cannot be judged", t.Unit)})
				}
				continue
			}
			old, new := r.Cells[0], r.Cells[1]
			worse := (new.Center - old.Center) / math.Abs(old.Center) * float64(-better)
			if old.Center == 0 {
				worse = math.Inf(int(math.Copysign(1, (new.Center-old.Center)*float64(-better))))
				if new.Center == 0 {
					worse = 0
				}
			}
			if worse <= thr {
				continue
			}
			change := fmt.Sprintf("%s: %s → %s (%s, %s, n=%d+%d)", t.Unit, formatValue(t.Unit, old.Center), formatValue(t.Unit, new.Center),
				signedPct(worse*float64(-better)), fmt.Sprintf("threshold %.0f%%", thr*100), old.N(), new.N())
			switch {
			case d.Significant:
				fail(Finding{Bench: r.Bench, Kind: "metric", Unit: t.Unit, Message: fmt.Sprintf("%s worse, significant (p=%.3f < %g)", change, d.P, cmp.Alpha)})
			case d.TooFew:
				tooFew[fmt.Sprintf("n=%d+%d", old.N(), new.N())] = true
				fail(Finding{Bench: r.Bench, Kind: "metric", Unit: t.Unit, Message: fmt.Sprintf("%s worse; too few runs for a significance test, judged by the threshold alone", change)})
			default:
				v.Notes = append(v.Notes, fmt.Sprintf("%s %s: worse beyond the threshold but not significant (p=%.3f): treated as noise", r.Bench, change, d.P))
			}
		}
	}
	for n := range tooFew {
		v.Notes = append(v.Notes, fmt.Sprintf("%s runs are too few for the Mann-Whitney U test to reach alpha %g (it needs at least 4+4 at 0.05): metrics over their threshold fail without a test; run with a higher --count", n, cmp.Alpha))
	}
	slices.Sort(v.Notes)

	// Outcomes, then memory shape and the buffer bound of drain-aware runs.
	outcomeFindings(base, head, fail)
	growthFindings(base, head, opts.Growth.orDefault(), v, fail)
	v.Regressed = len(v.Findings) > 0
	return v, nil
}

// isControl reports whether a benchmark is a variant that gets
// backpressure wrong on purpose (naive, drain-on): the control that shows
// what happens without it. Its figures depend on the race between producer
// and sink and swing widely from run to run, so the gate shows them but
// does not judge them, and of its outcomes only a new crash or timeout
// counts (an oom is what such a run is for). Benchmarks without a variant
// (go test -bench output, --cmd) are judged in full.
func isControl(bench string) bool {
	for _, part := range strings.Split(bench, "/") {
		if v, ok := strings.CutPrefix(part, "variant="); ok {
			return v != "drain"
		}
	}
	return false
}

// bothHave reports whether both inputs have the benchmark at all (a row
// name as the tables show it).
func bothHave(base, head *Input, bench string) bool {
	has := func(in *Input) bool {
		for _, r := range in.Results {
			if string(r.Name.Full()) == bench {
				return true
			}
		}
		return false
	}
	return has(base) && has(head)
}

// benchKey is a run's benchmark name as the tables show it.
func benchKey(name string) string { return strings.TrimPrefix(name, "Benchmark") }

// outcomeFindings fails a benchmark whose worst outcome got worse. For
// inputs without runs it uses the oom-runs and failed-runs metrics.
func outcomeFindings(base, head *Input, fail func(Finding)) {
	type tally struct {
		worst  results.Outcome
		counts map[results.Outcome]int
		n, bad int // runs, and runs that did not end ok (not counting a control's oom)
	}
	tallies := func(in *Input) (map[string]*tally, []string) {
		out := map[string]*tally{}
		var order []string
		add := func(name string, o results.Outcome) {
			t := out[name]
			if t == nil {
				t = &tally{worst: results.OK, counts: map[results.Outcome]int{}}
				out[name] = t
				order = append(order, name)
			}
			t.counts[o]++
			t.n++
			if o == results.OOM && isControl(name) {
				return
			}
			if o.Severity() > 0 {
				t.bad++
			}
			if o.Severity() > t.worst.Severity() {
				t.worst = o
			}
		}
		if in.Set != nil {
			for _, r := range in.Set.Runs {
				if r.Measured() {
					add(benchKey(r.Name), r.Outcome)
				}
			}
			return out, order
		}
		for _, r := range in.Results {
			o := results.OK
			if v, ok := value(r, results.UnitFailed); ok && v > 0 {
				o = results.Crash
			}
			if v, ok := value(r, results.UnitOOM); ok && v > 0 {
				o = results.OOM
			}
			add(string(r.Name.Full()), o)
		}
		return out, order
	}
	bt, _ := tallies(base)
	ht, order := tallies(head)
	for _, name := range order {
		h, b := ht[name], bt[name]
		if b == nil {
			continue
		}
		// Worse when a worse outcome appears, or more of the runs end badly
		// (1 of 5 oom in the base, 5 of 5 in the candidate).
		worse := h.worst.Severity() > b.worst.Severity() || float64(h.bad)/float64(h.n) > float64(b.bad)/float64(b.n)
		if !worse {
			continue
		}
		fail(Finding{Bench: name, Kind: "outcome", Message: fmt.Sprintf("outcome got worse: %s (base: %s)", describeCounts(h.counts, h.n), describeCounts(b.counts, b.n))})
	}
}

func describeCounts(counts map[results.Outcome]int, n int) string {
	var parts []string
	for _, o := range []results.Outcome{results.OOM, results.Crash, results.Timeout, results.OK} {
		if c := counts[o]; c > 0 {
			parts = append(parts, fmt.Sprintf("%d of %d runs %s", c, n, o))
		}
	}
	return strings.Join(parts, ", ")
}

// value returns r's value in unit.
func value(r *benchfmt.Result, unit string) (float64, bool) {
	for _, v := range r.Values {
		if v.Unit == unit {
			return v.Value, true
		}
	}
	return 0, false
}

func formatValue(unit string, v float64) string {
	switch {
	case strings.HasSuffix(unit, "-B"):
		return size.Human(int64(v))
	case unit == results.UnitSec:
		return seconds(v)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func signedPct(f float64) string {
	if math.IsInf(f, 0) {
		return "from 0"
	}
	return fmt.Sprintf("%+.1f%%", f*100)
}
