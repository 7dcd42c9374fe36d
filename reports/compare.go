package reports

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/bpbench/bpbench/internal/results"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
)

// Options are the statistics' settings; the zero value means benchstat's
// defaults (alpha 0.05, 95% confidence).
type Options struct {
	Alpha      float64 // significance level of the Mann-Whitney U test; 0 = 0.05
	Confidence float64 // of the interval around each median; 0 = 0.95
}

func (o Options) alpha() float64 {
	if o.Alpha == 0 {
		return benchmath.DefaultThresholds.CompareAlpha
	}
	return o.Alpha
}

func (o Options) confidence() float64 {
	if o.Confidence == 0 {
		return 0.95
	}
	return o.Confidence
}

// Comparison is a benchstat-style comparison: one table per unit, one row
// per benchmark (workload and parameters), one cell per column, each cell
// after the first compared with the first.
type Comparison struct {
	By      string   `json:"by"`      // what the columns are: "variant", "side" or "input"
	Columns []string `json:"columns"` // column labels; the first is the reference
	Alpha   float64  `json:"alpha"`
	Tables  []*Table `json:"tables"`
	// Warnings say why the columns are not comparable (Incomparable):
	// compare shows such a comparison, with the warnings, where the gate
	// refuses it.
	Warnings []string `json:"warnings,omitempty"`
}

// Table is one unit's rows.
type Table struct {
	Unit   string `json:"unit"`
	Better int    `json:"better"` // 1 higher is better, -1 lower is better, 0 unknown
	Rows   []*Row `json:"rows"`
}

// Row is one benchmark across the columns.
type Row struct {
	Bench  string   `json:"benchmark"` // the benchmark name without the column key
	Cells  []*Cell  `json:"cells"`     // per column; nil where the benchmark has no value
	Deltas []*Delta `json:"deltas"`    // Deltas[i] compares Cells[i+1] with Cells[0]; nil when either is missing
}

// Cell summarizes one benchmark's values in one column: the median and its
// confidence interval (benchmath.AssumeNothing, as benchstat).
type Cell struct {
	Values         []float64 // sorted
	Center, Lo, Hi float64
	Warnings       []string
}

// N is the number of values.
func (c *Cell) N() int { return len(c.Values) }

func (c *Cell) mean() float64 {
	var sum float64
	for _, v := range c.Values {
		sum += v
	}
	return sum / float64(len(c.Values))
}

// count is the number of runs a fraction unit counts (oom-runs: the oom runs).
func (c *Cell) count() int { return int(math.Round(c.mean() * float64(c.N()))) }

// Delta is the comparison of a cell with the reference cell: the change of
// the medians and the Mann-Whitney U test's p-value.
type Delta struct {
	Pct         float64 // (new/old - 1) × 100; NaN when old is 0 and new is not
	P           float64
	Significant bool // P < alpha
	TooFew      bool // too few values for the test to ever reach alpha
	Warnings    []string
}

// String is benchstat's delta: "~" when not significant, else the percentage.
func (d *Delta) String() string {
	switch {
	case !d.Significant:
		return "~"
	case math.IsNaN(d.Pct):
		return "?"
	}
	return fmt.Sprintf("%+.2f%%", d.Pct)
}

// column is one column's results before summarizing.
type column struct {
	label   string
	results []*benchfmt.Result
}

// CompareInputs compares new with old, benchmark by benchmark, one column
// per input. An input measured with --baseline-bin counts by its head side.
// Inputs capped differently are compared, with Warnings saying how.
func CompareInputs(old, new *Input, opts Options) (*Comparison, error) {
	old, new = old.Candidate(), new.Candidate()
	units := old.Units
	for k, v := range new.Units {
		if units == nil {
			units = benchfmt.UnitMetadataMap{}
		}
		units[k] = v
	}
	if err := checkUnits(old, new); err != nil {
		return nil, err
	}
	cols := []column{{old.Label, old.Results}, {new.Label, new.Results}}
	cmp, err := compare("input", cols, units, nil, opts)
	if cmp != nil {
		cmp.Warnings = Incomparable(old, new)
	}
	return cmp, err
}

// checkUnits refuses a benchmark that both inputs have but in units that
// share nothing (benchfmt already converts scales: ns/op is sec/op, MB is
// B): such results measured different things and cannot be compared.
func checkUnits(old, new *Input) error {
	unitsOf := func(in *Input) map[string]map[string]bool {
		out := map[string]map[string]bool{}
		for _, r := range in.Results {
			n := string(r.Name.Full())
			if out[n] == nil {
				out[n] = map[string]bool{}
			}
			for _, v := range r.Values {
				out[n][v.Unit] = true
			}
		}
		return out
	}
	ou, nu := unitsOf(old), unitsOf(new)
	for name, a := range ou {
		b, ok := nu[name]
		if !ok {
			continue
		}
		common := false
		for u := range a {
			common = common || b[u]
		}
		if !common {
			return errorf(ErrIncomparable, "%s is reported in %s by %s but in %s by %s: mismatched units cannot be compared; give results of the same benchmark tool", name, strings.Join(sortedKeys(a), ", "), old.Label, strings.Join(sortedKeys(b), ", "), new.Label)
		}
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// CompareOne compares within one input: base with head for a folder
// measured with --baseline-bin, else drain with naive (the variants side
// by side, the point of the tool).
func CompareOne(in *Input, opts Options) (*Comparison, error) {
	if base, head, ok := in.Split(); ok {
		c, err := CompareInputs(base, head, opts)
		if c != nil {
			c.By, c.Columns = "side", []string{"base", "head"}
		}
		return c, err
	}
	pp := &benchproc.ProjectionParser{}
	colBy, err := pp.Parse("/variant", nil)
	if err != nil {
		return nil, err
	}
	var cols []column
	index := map[benchproc.Key]int{}
	for _, r := range in.Results {
		k := colBy.Project(r)
		i, ok := index[k]
		if !ok {
			i = len(cols)
			index[k] = i
			label := k.StringValues()
			if label == "" || label == "*" {
				label = "-"
			}
			cols = append(cols, column{label: label})
		}
		cols[i].results = append(cols[i].results, r)
	}
	return compare("variant", cols, in.Units, pp, opts)
}

// compare builds the tables. pp, when given, already holds the column's
// projection, so that .fullname leaves the column key out.
func compare(by string, cols []column, units benchfmt.UnitMetadataMap, pp *benchproc.ProjectionParser, opts Options) (*Comparison, error) {
	if pp == nil {
		pp = &benchproc.ProjectionParser{}
	}
	rowBy, unitField, err := pp.ParseWithUnit(".fullname", nil)
	if err != nil {
		return nil, err
	}
	_ = unitField
	cmp := &Comparison{By: by, Alpha: opts.alpha()}
	for _, c := range cols {
		cmp.Columns = append(cmp.Columns, c.label)
	}
	type cellKey struct {
		unit string
		row  benchproc.Key
		col  int
	}
	values := map[cellKey][]float64{}
	var unitOrder []string
	rowOrder := map[string][]benchproc.Key{}
	seenRow := map[string]map[benchproc.Key]bool{}
	for ci, c := range cols {
		for _, r := range c.results {
			row := rowBy.Project(r)
			for _, v := range r.Values {
				if seenRow[v.Unit] == nil {
					seenRow[v.Unit] = map[benchproc.Key]bool{}
					unitOrder = append(unitOrder, v.Unit)
				}
				if !seenRow[v.Unit][row] {
					seenRow[v.Unit][row] = true
					rowOrder[v.Unit] = append(rowOrder[v.Unit], row)
				}
				k := cellKey{v.Unit, row, ci}
				values[k] = append(values[k], v.Value)
			}
		}
	}
	thr := benchmath.DefaultThresholds
	thr.CompareAlpha = opts.alpha()
	for _, unit := range unitOrder {
		t := &Table{Unit: unit, Better: units.GetBetter(unit)}
		if unit == "sec/op" {
			t.Better = -1
		}
		assume := units.GetAssumption(unit)
		for _, rk := range rowOrder[unit] {
			row := &Row{Bench: rk.StringValues(), Cells: make([]*Cell, len(cols))}
			samples := make([]*benchmath.Sample, len(cols))
			for ci := range cols {
				vals := values[cellKey{unit, rk, ci}]
				if len(vals) == 0 {
					continue
				}
				s := benchmath.NewSample(vals, &thr)
				samples[ci] = s
				sum := assume.Summary(s, opts.confidence())
				cell := &Cell{Values: s.Values, Center: sum.Center, Lo: sum.Lo, Hi: sum.Hi, Warnings: errStrings(sum.Warnings)}
				if results.IsFraction(unit) {
					cell.Center = cell.mean() // the fraction of runs
				}
				row.Cells[ci] = cell
			}
			for ci := 1; ci < len(cols); ci++ {
				if samples[0] == nil || samples[ci] == nil {
					row.Deltas = append(row.Deltas, nil)
					continue
				}
				c := assume.Compare(samples[0], samples[ci])
				d := &Delta{P: c.P, Significant: c.P < c.Alpha, Warnings: errStrings(c.Warnings)}
				d.TooFew = minUTestP(len(samples[0].Values), len(samples[ci].Values)) >= c.Alpha
				old, new := row.Cells[0].Center, row.Cells[ci].Center
				switch {
				case old == new:
					d.Pct = 0
				case old == 0:
					d.Pct = math.NaN()
				default:
					d.Pct = (new/old - 1) * 100
				}
				row.Deltas = append(row.Deltas, d)
			}
			t.Rows = append(t.Rows, row)
		}
		cmp.Tables = append(cmp.Tables, t)
	}
	return cmp, nil
}

// minUTestP is the smallest two-sided p-value the Mann-Whitney U test can
// give for samples of n1 and n2 values (all of one below all of the other):
// 2 / C(n1+n2, n1). When it is not below alpha, no difference can ever be
// significant at these sizes (3+3, or 6+2, at 0.05).
func minUTestP(n1, n2 int) float64 {
	lc, _ := math.Lgamma(float64(n1 + n2 + 1))
	l1, _ := math.Lgamma(float64(n1 + 1))
	l2, _ := math.Lgamma(float64(n2 + 1))
	return math.Min(1, 2/math.Exp(lc-l1-l2))
}

func errStrings(errs []error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}
