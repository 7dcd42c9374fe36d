package reports

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"

	"github.com/bpbench/bpbench/internal/results"
	"golang.org/x/perf/benchunit"
)

// Formats of compare and gate output.
const (
	FormatText     = "text"
	FormatMarkdown = "markdown"
	FormatCSV      = "csv"
	FormatJSON     = "json"
)

// ParseFormat checks a --format value against the allowed ones.
func ParseFormat(s string, allowed ...string) (string, error) {
	for _, a := range allowed {
		if s == a {
			return s, nil
		}
	}
	return "", errorf(ErrBadOption, "--format %q: choose one of %s", s, strings.Join(allowed, ", "))
}

// betterWord describes a unit's direction for a table heading.
func betterWord(b int) string {
	switch {
	case b < 0:
		return "lower is better"
	case b > 0:
		return "higher is better"
	}
	return ""
}

// rowScaler picks one scale for every number of a row, as benchstat does.
func rowScaler(unit string, r *Row) benchunit.Scaler {
	var vals []float64
	for _, c := range r.Cells {
		if c != nil {
			vals = append(vals, c.Center)
		}
	}
	return benchunit.CommonScale(vals, benchunit.ClassOf(unit))
}

// cellText is "median ± ci%" like benchstat, "k/n" for a fraction unit,
// or "-" for a missing cell.
func cellText(unit string, sc benchunit.Scaler, c *Cell) string {
	if c == nil {
		return "-"
	}
	if results.IsFraction(unit) {
		return fmt.Sprintf("%d/%d", c.count(), c.N())
	}
	if results.IsViolation(unit) {
		// Calls are counted exactly: whole numbers, and no interval
		// when every run made as many.
		s := FormatCount(int64(math.Round(c.Center)))
		if c.Values[0] != c.Values[c.N()-1] {
			s += " ± " + pctRange(c)
		}
		return s
	}
	return sc.Format(c.Center) + " ± " + pctRange(c)
}

func pctRange(c *Cell) string {
	if c.N() < 2 {
		return "∞"
	}
	if math.IsInf(c.Lo, 0) || math.IsInf(c.Hi, 0) {
		return "∞"
	}
	if c.Center == 0 {
		if c.Lo == 0 && c.Hi == 0 {
			return "0%"
		}
		return "?"
	}
	v := math.Max(c.Hi/c.Center-1, 1-c.Lo/c.Center)
	return fmt.Sprintf("%.0f%%", 100*v)
}

func deltaP(d *Delta) string {
	if d == nil {
		return ""
	}
	return "p=" + strconv.FormatFloat(d.P, 'f', 3, 64)
}

func countText(r *Row, i int) string {
	var ns []string
	for _, c := range []*Cell{r.Cells[0], r.Cells[i]} {
		if c == nil {
			ns = append(ns, "0")
		} else {
			ns = append(ns, strconv.Itoa(c.N()))
		}
	}
	if ns[0] == ns[1] {
		return "n=" + ns[0]
	}
	return "n=" + ns[0] + "+" + ns[1]
}

func deltaText(unit string, r *Row, i int) string {
	d := r.Deltas[i-1]
	if d == nil {
		return "-"
	}
	if results.IsFraction(unit) && d.Significant {
		return fmt.Sprintf("%+.0f pp", 100*(r.Cells[i].Center-r.Cells[0].Center))
	}
	if results.IsViolation(unit) {
		// Any change counts, significant or not (the gate fails any increase).
		diff := int64(math.Round(r.Cells[i].Center)) - int64(math.Round(r.Cells[0].Center))
		switch {
		case diff > 0:
			return "+" + FormatCount(diff)
		case diff < 0:
			return FormatCount(diff)
		}
		return "~"
	}
	return d.String()
}

// mixedCompare heads each of Comparison.Warnings.
const mixedCompare = "not comparable, compared anyway"

// WriteText writes the comparison as aligned text tables, one per unit,
// after its warnings.
func (c *Comparison) WriteText(w io.Writer) error {
	for _, m := range c.Warnings {
		if _, err := fmt.Fprintf(w, "WARNING: %s: %s\n\n", mixedCompare, m); err != nil {
			return err
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for ti, t := range c.Tables {
		if ti > 0 {
			fmt.Fprintln(tw)
		}
		head := []string{t.Unit}
		if b := betterWord(t.Better); b != "" {
			head[0] += " (" + b + ")"
		}
		sub := []string{""}
		for i, col := range c.Columns {
			head = append(head, col)
			sub = append(sub, "median ± 95% CI")
			if i > 0 {
				head = append(head, "vs "+c.Columns[0], "", "")
				sub = append(sub, "delta", "p", "n")
			}
		}
		fmt.Fprintln(tw, strings.Join(head, "\t"))
		fmt.Fprintln(tw, strings.Join(sub, "\t"))
		for _, r := range t.Rows {
			sc := rowScaler(t.Unit, r)
			line := []string{r.Bench}
			for i, cell := range r.Cells {
				line = append(line, cellText(t.Unit, sc, cell))
				if i > 0 {
					d := r.Deltas[i-1]
					line = append(line, deltaText(t.Unit, r, i), deltaP(d), countText(r, i))
				}
			}
			fmt.Fprintln(tw, strings.Join(line, "\t"))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return c.writeLegend(w)
}

func (c *Comparison) writeLegend(w io.Writer) error {
	calls := ""
	for _, t := range c.Tables {
		if results.IsViolation(t.Unit) {
			calls = " Writes after false, pushes after false and extra drain listeners are calls per run (median), their delta the change in calls, shown whatever the test says."
			break
		}
	}
	_, err := fmt.Fprintf(w, "\nmedian ± 95%% confidence interval (∞: fewer than 6 runs, too few for one); delta of the medians, \"~\" when the Mann-Whitney U test finds no difference at alpha %g (p is its p-value; at least 4+4 runs can reach 0.05); oom-runs and failed-runs count runs (k of n); n = runs.%s\n", c.Alpha, calls)
	return err
}

// WriteMarkdown writes one GitHub-flavoured table per unit.
func (c *Comparison) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	for _, m := range c.Warnings {
		fmt.Fprintf(&b, "> ⚠️ **Warning: %s:** %s\n\n", mixedCompare, EscapeMarkdown(m))
	}
	for _, t := range c.Tables {
		title := "`" + strings.ReplaceAll(t.Unit, "`", "") + "`"
		if bw := betterWord(t.Better); bw != "" {
			title += " (" + bw + ")"
		}
		fmt.Fprintf(&b, "#### %s\n\n| benchmark |", title)
		align := "|:--|"
		for i, col := range c.Columns {
			fmt.Fprintf(&b, " %s |", EscapeMarkdown(col))
			align += "--:|"
			if i > 0 {
				b.WriteString(" delta | p | n |")
				align += "--:|--:|--:|"
			}
		}
		b.WriteString("\n" + align + "\n")
		for _, r := range t.Rows {
			sc := rowScaler(t.Unit, r)
			fmt.Fprintf(&b, "| %s |", EscapeMarkdown(r.Bench))
			for i, cell := range r.Cells {
				fmt.Fprintf(&b, " %s |", cellText(t.Unit, sc, cell))
				if i > 0 {
					d := r.Deltas[i-1]
					fmt.Fprintf(&b, " %s | %s | %s |", deltaText(t.Unit, r, i), strings.TrimPrefix(deltaP(d), "p="), strings.TrimPrefix(countText(r, i), "n="))
				}
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	return c.writeLegend(w)
}

// EscapeMarkdown escapes s, text a user controls (a benchmark's name, a
// workload's, a parameter, a command line, a note), for inline text in Markdown:
// a heading, a list item, a table cell or an image's alt text. It renders
// as s does in plain text, and can start nothing: no block (a line break
// becomes a space, so no "# heading" or "> quote" of its own; a leading
// "# ", "- ", "+ " or "1. " is escaped, as it would start one in a list
// item), no raw HTML or autolink (<, > and & as entities), no emphasis,
// code, link, table cell or strike-through (\ ` * _ [ ] | ~ escaped).
func EscapeMarkdown(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i, c := range s {
		switch {
		case c == '\u2028' || c == '\u2029' || unicode.IsControl(c):
			b.WriteByte(' ')
		case c == '&':
			b.WriteString("&amp;")
		case c == '<':
			b.WriteString("&lt;")
		case c == '>':
			b.WriteString("&gt;")
		case strings.ContainsRune("\\`*_[]|~", c),
			startsBlock(s, i, c):
			b.WriteByte('\\')
			b.WriteRune(c)
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// startsBlock reports whether c, at s[i], is the marker of a block that
// text at the start of a line (or a list item) would open: a heading
// ("# "), a bullet ("- ", "+ ") or an ordered list item ("1. ", "1) ").
// Alone ("-", "#") it could open only an empty one, which is harmless.
func startsBlock(s string, i int, c rune) bool {
	if next := s[i+1:]; next == "" || next[0] != ' ' && next[0] != '\t' {
		return false
	}
	switch c {
	case '#', '-', '+':
		return i == 0
	case '.', ')':
		return i > 0 && strings.Trim(s[:i], "0123456789") == ""
	}
	return false
}

// CellText is the text of row r's cell i: "median ± ci%" like benchstat,
// "k/n" for a fraction unit, or "-" for a missing cell.
func (t *Table) CellText(r *Row, i int) string {
	return cellText(t.Unit, rowScaler(t.Unit, r), r.Cells[i])
}

// DeltaText is the text of row r's delta of column i against column 0:
// "" for column 0, "-" when there is none.
func (t *Table) DeltaText(r *Row, i int) string {
	if i == 0 {
		return ""
	}
	return deltaText(t.Unit, r, i)
}

// BetterWord describes the table's unit's direction for a heading
// ("lower is better"), or is empty when the unit has none.
func (t *Table) BetterWord() string { return betterWord(t.Better) }

// WriteCSV writes one record per benchmark, unit and column, unscaled.
func (c *Comparison) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"unit", "benchmark", "column", "n", "median", "ci_low", "ci_high", "vs", "delta_pct", "p", "significant"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, t := range c.Tables {
		for _, r := range t.Rows {
			for i, cell := range r.Cells {
				if cell == nil {
					continue
				}
				rec := []string{t.Unit, r.Bench, c.Columns[i], strconv.Itoa(cell.N()), f(cell.Center), f(cell.Lo), f(cell.Hi), "", "", "", ""}
				if i > 0 && r.Deltas[i-1] != nil {
					d := r.Deltas[i-1]
					rec[7], rec[8], rec[9], rec[10] = c.Columns[0], f(d.Pct), f(d.P), strconv.FormatBool(d.Significant)
				}
				cw.Write(rec)
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSON writes the comparison as one JSON object.
func (c *Comparison) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

// Write writes the comparison in format.
func (c *Comparison) Write(w io.Writer, format string) error {
	switch format {
	case FormatMarkdown:
		return c.WriteMarkdown(w)
	case FormatCSV:
		return c.WriteCSV(w)
	case FormatJSON:
		return c.WriteJSON(w)
	}
	return c.WriteText(w)
}

// finite is v for JSON, or nil for NaN and ±Inf, which JSON cannot hold.
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// MarshalJSON writes the cell with an unbounded interval as null bounds.
func (c *Cell) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		N        int       `json:"n"`
		Median   *float64  `json:"median"`
		Lo       *float64  `json:"ci_low"`
		Hi       *float64  `json:"ci_high"`
		Values   []float64 `json:"values"`
		Warnings []string  `json:"warnings,omitempty"`
	}{c.N(), finite(c.Center), finite(c.Lo), finite(c.Hi), c.Values, c.Warnings})
}

// MarshalJSON writes an undefined percentage as null.
func (d *Delta) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Pct         *float64 `json:"delta_pct"`
		P           float64  `json:"p"`
		Significant bool     `json:"significant"`
		TooFew      bool     `json:"too_few_samples,omitempty"`
		Warnings    []string `json:"warnings,omitempty"`
	}{finite(d.Pct), d.P, d.Significant, d.TooFew, d.Warnings})
}
