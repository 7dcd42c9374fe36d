package reports

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/internal/size"
)

// Files a report writes into the folder it describes.
const (
	ReportHTML = "report.html"
	ReportMD   = "report.md"
	PlotsDir   = "plots"
)

// ReportOptions are WriteReport's settings; the zero value writes SVG
// charts and no baseline.
type ReportOptions struct {
	Baseline *Input // when set, the verdict is the gate's of the folder against it
	Format   string // chart files in plots/: svg (default) or png; report.html always inlines SVG
	Gate     GateOptions
}

// Report is everything the HTML and Markdown reports show.
type Report struct {
	Title      string
	Verdict    *Verdict // nil without a baseline (and without sides)
	Findings   []string // the headline facts when there is no verdict
	Summary    []SummaryRow
	Comparison *Comparison
	Figures    []*Figure
	Params     [][2]string
	Machine    [][2]string
	svgs       map[string]template.HTML
	format     string
}

// BuildReport reads the folder's runs and computes the report.
func BuildReport(in *Input, opts ReportOptions) (*Report, error) {
	if in.Set == nil {
		return nil, fmt.Errorf("%s is a results file: a report needs an output folder with runs.json and samples/", in.Label)
	}
	r := &Report{Title: "bpbench report: " + filepath.Base(filepath.Clean(in.Label)), format: opts.Format}
	if r.format == "" {
		r.format = ChartSVG
	}
	switch {
	case opts.Baseline != nil:
		v, err := Gate(opts.Baseline, in, opts.Gate)
		if err != nil {
			return nil, err
		}
		r.Verdict = v
	default:
		if b, h, ok := in.Split(); ok {
			v, err := Gate(b, h, opts.Gate)
			if err != nil {
				return nil, err
			}
			r.Verdict = v
		}
	}
	r.Findings = findings(in.Set)
	r.Summary = SummaryRows(in.Set)
	cmp, err := CompareOne(in, opts.Gate.Options)
	if err != nil {
		return nil, err
	}
	r.Comparison = cmp
	var base *results.Set
	if opts.Baseline != nil {
		base = opts.Baseline.Set
	}
	r.Figures = append(MemoryFigures(in.Set), SummaryFigures(in.Set, base)...)
	r.Params, r.Machine = settings(in.Set)
	return r, nil
}

// findings states, per workload, what a reviewer should see at a glance:
// whether the drain-aware runs stayed flat and what happened to the rest.
func findings(set *results.Set) []string {
	var out []string
	for _, g := range groupRuns(set) {
		var parts []string
		for _, v := range g.order {
			runs := g.runs[v]
			n, ooms := len(runs), 0
			var ttoom []float64
			flat, judged := 0, 0
			for _, r := range runs {
				if r.Outcome == results.OOM {
					ooms++
					if r.TimeToOOMSeconds != nil {
						ttoom = append(ttoom, *r.TimeToOOMSeconds)
					}
				}
				if rg, ok := DefaultGrowth.FitGrowth(r); ok && r.Outcome == results.OK {
					judged++
					if rg.Flat() {
						flat++
					}
				}
			}
			s := fmt.Sprintf("%s peaks at %s", v, size.Human(maxPeak(runs)))
			drain := g.runs["drain"]
			switch {
			case ooms > 0:
				s += fmt.Sprintf(" and is killed at the cap in %d of %d runs", ooms, n)
				if len(ttoom) > 0 {
					s += " after " + seconds(median(ttoom))
				}
			case v != "drain" && len(drain) > 0 && maxPeak(drain) > 0:
				// A control's shape is not judged (its growth may come
				// before the warm-up cut); its size next to drain's is the point.
				s += fmt.Sprintf(", %.1fx the drain variant's", float64(maxPeak(runs))/float64(maxPeak(drain)))
			case judged > 0 && flat == judged:
				s += ", flat"
			case judged > 0:
				s += fmt.Sprintf(", growing in %d of %d runs", judged-flat, judged)
			}
			parts = append(parts, s)
		}
		out = append(out, g.title+": "+strings.Join(parts, "; ")+".")
	}
	return out
}

// settings lists the run parameters and the machine, as the runs recorded
// them (several values joined when runs differ).
func settings(set *results.Set) (params, machine [][2]string) {
	vals := map[string][]string{}
	add := func(k, v string) {
		if v != "" && !slices.Contains(vals[k], v) {
			vals[k] = append(vals[k], v)
		}
	}
	for _, r := range set.Runs {
		if r.MemLimit > 0 {
			add("GOMEMLIMIT", size.Format(r.MemLimit))
		}
		if r.HardLimit > 0 {
			add("hard cap", size.Format(r.HardLimit))
		}
		if r.Count > 0 {
			add("runs per cell", fmt.Sprint(r.Count))
		}
		add("sampling interval", fmt.Sprintf("%gms", r.IntervalSeconds*1000))
		if r.TimeoutSeconds > 0 {
			add("timeout", fmt.Sprintf("%gs", r.TimeoutSeconds))
		}
		add("commit", strings.TrimSpace(r.Side+" "+r.Commit))
		add("shard", r.Shard)
		add("os/arch", r.GOOS+"/"+r.GOARCH)
		add("cpu", r.CPU)
	}
	for _, k := range []string{"GOMEMLIMIT", "hard cap", "runs per cell", "sampling interval", "timeout", "commit", "shard"} {
		if len(vals[k]) > 0 {
			params = append(params, [2]string{k, strings.Join(vals[k], ", ")})
		}
	}
	for _, k := range []string{"os/arch", "cpu"} {
		if len(vals[k]) > 0 {
			machine = append(machine, [2]string{k, strings.Join(vals[k], ", ")})
		}
	}
	return params, machine
}

// WriteReport builds the report of in and writes report.html, report.md
// and plots/ into dir (in's folder, normally). It writes nothing else.
func WriteReport(dir string, in *Input, opts ReportOptions) ([]string, error) {
	r, err := BuildReport(in, opts)
	if err != nil {
		return nil, err
	}
	var files []string
	plots := filepath.Join(dir, PlotsDir)
	if err := os.MkdirAll(plots, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create %s: %w", plots, err)
	}
	for _, f := range r.Figures {
		var buf bytes.Buffer
		if err := f.Render(&buf, r.format); err != nil {
			return files, err
		}
		p := filepath.Join(plots, f.Name+"."+r.format)
		if err := results.WriteFileAtomic(p, buf.Bytes()); err != nil {
			return files, err
		}
		files = append(files, p)
	}
	for _, out := range []struct {
		name  string
		write func(io.Writer) error
	}{{ReportHTML, r.WriteHTML}, {ReportMD, r.WriteMarkdown}} {
		var buf bytes.Buffer
		if err := out.write(&buf); err != nil {
			return files, err
		}
		p := filepath.Join(dir, out.name)
		if err := results.WriteFileAtomic(p, buf.Bytes()); err != nil {
			return files, err
		}
		files = append(files, p)
	}
	return files, nil
}

var svgHead = regexp.MustCompile(`(?s)^.*?<svg width="[^"]*" height="[^"]*"`)

// inlineSVG renders f for embedding in HTML: no XML prolog, and scaled to
// the page's width through its viewBox.
func inlineSVG(f *Figure) (template.HTML, error) {
	b, err := f.SVG()
	if err != nil {
		return "", err
	}
	b = svgHead.ReplaceAll(b, []byte(`<svg role="img" aria-label="`+template.HTMLEscapeString(f.Alt)+`" width="100%"`))
	return template.HTML(b), nil
}

//go:embed report.html.tmpl
var htmlTemplate string

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"svg": func(r *Report, f *Figure) template.HTML { return r.svgs[f.Name] },
	"tables": func(c *Comparison) []*Table {
		var out []*Table
		for _, t := range c.Tables {
			if slices.Contains([]string{results.UnitPeakRSS, results.UnitMaxBuffered, results.UnitSec, results.UnitOOM, results.UnitTimeToOOM}, t.Unit) {
				out = append(out, t)
			}
		}
		return out
	},
	"cell": func(t *Table, r *Row, i int) string { return cellText(t.Unit, rowScaler(t.Unit, r), r.Cells[i]) },
	"delta": func(t *Table, r *Row, i int) string {
		if i == 0 {
			return ""
		}
		return deltaText(t.Unit, r, i)
	},
	"better": betterWord,
}).Parse(htmlTemplate))

// WriteHTML writes the one-file report: inline SVG and CSS, no script, no
// network.
func (r *Report) WriteHTML(w io.Writer) error {
	r.svgs = map[string]template.HTML{}
	for _, f := range r.Figures {
		s, err := inlineSVG(f)
		if err != nil {
			return err
		}
		r.svgs[f.Name] = s
	}
	return reportTmpl.Execute(w, r)
}

// WriteMarkdown writes the report for a pull request comment or a job
// summary, with the charts linked from plots/.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", r.Title)
	if r.Verdict != nil {
		var vb bytes.Buffer
		saved := r.Verdict.Comparison // the tables follow below
		r.Verdict.Comparison = nil
		r.Verdict.WriteMarkdown(&vb)
		r.Verdict.Comparison = saved
		b.WriteString(strings.Replace(vb.String(), "### ", "## ", 1))
		b.WriteString("\n")
	}
	b.WriteString("## At a glance\n\n")
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "- %s\n", f)
	}
	b.WriteString("\n## Summary\n\n|")
	for _, h := range SummaryHeader {
		fmt.Fprintf(&b, " %s |", strings.ToLower(h))
	}
	b.WriteString("\n|" + strings.Repeat(":--|", 3) + strings.Repeat("--:|", len(SummaryHeader)-3) + "\n")
	for _, row := range r.Summary {
		b.WriteString("|")
		for _, c := range row.cells() {
			fmt.Fprintf(&b, " %s |", mdEscape(c))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n## Charts\n\n")
	for _, f := range r.Figures {
		fmt.Fprintf(&b, "![%s](%s/%s.%s)\n\n", mdEscape(f.Alt), PlotsDir, f.Name, r.format)
	}
	fmt.Fprintf(&b, "## %s side by side\n\n", strings.Join(r.Comparison.Columns, " and "))
	io.WriteString(w, b.String())
	if err := r.Comparison.WriteMarkdown(w); err != nil {
		return err
	}
	b.Reset()
	b.WriteString("\n## Run parameters\n\n")
	for _, p := range r.Params {
		fmt.Fprintf(&b, "- %s: %s\n", p[0], mdEscape(p[1]))
	}
	b.WriteString("\n## Machine\n\n")
	for _, p := range r.Machine {
		fmt.Fprintf(&b, "- %s: %s\n", p[0], mdEscape(p[1]))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
