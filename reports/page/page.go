package page

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/internal/size"
	"github.com/bpbench/bpbench/reports"
	"github.com/bpbench/bpbench/reports/chart"
)

// Files a report writes into the folder it describes, beside the chart
// files in chart.Dir.
const (
	HTMLFile     = "report.html"
	MarkdownFile = "report.md"
)

// Options are Build's and Write's settings; the zero value writes SVG
// charts and no baseline.
type Options struct {
	Baseline *reports.Input // when set, the verdict is the gate's of the folder against it
	Format   string         // chart files in plots/: svg (default) or png; report.html always inlines SVG
	Gate     reports.GateOptions
}

// Report is everything the HTML and Markdown reports show.
type Report struct {
	Title      string
	Verdict    *reports.Verdict // nil without a baseline (and without sides)
	Findings   []string         // the headline facts (of the head, when there are sides)
	Sides      []Side           // with a base: each side's facts, base first; nil without
	Change     []string         // with a base: how head differs from base, per workload
	Summary    []reports.SummaryRow
	Comparison *reports.Comparison
	Figures    []*chart.Figure
	Params     [][2]string
	Machine    [][2]string
	Ignored    *IgnoredSection
	svgs       map[string]template.HTML
	format     string
}

// Side is one side's facts at a glance.
type Side struct {
	Name     string
	Findings []string
}

// Build reads the folder's runs and computes the report.
func Build(in *reports.Input, opts Options) (*Report, error) {
	if in.Set == nil {
		return nil, &NoRunsError{Label: in.Label}
	}
	r := &Report{Title: "bpbench report: " + filepath.Base(filepath.Clean(in.Label)), format: opts.Format}
	if r.format == "" {
		r.format = chart.SVG
	}
	switch {
	case opts.Baseline != nil:
		v, err := reports.Gate(opts.Baseline, in, opts.Gate)
		if err != nil {
			return nil, err
		}
		r.Verdict = v
	default:
		if b, h, ok := in.Split(); ok {
			v, err := reports.Gate(b, h, opts.Gate)
			if err != nil {
				return nil, err
			}
			r.Verdict = v
		}
	}
	r.Findings = reports.Findings(in.Set)
	r.Summary = reports.SummaryRows(in.Set)
	cmp, err := reports.CompareOne(in, opts.Gate.Options)
	if err != nil {
		return nil, err
	}
	r.Comparison = cmp
	// The sides: a baseline given, or a folder measured with --baseline-bin.
	var base, head *results.Set
	if opts.Baseline != nil && opts.Baseline.Set != nil {
		base, head = opts.Baseline.Set, in.Set
	} else if b, h, ok := in.Split(); ok && b.Set != nil {
		base, head = b.Set, h.Set
	}
	if base != nil {
		r.Findings = reports.Findings(head)
		r.Sides = []Side{{"base", reports.Findings(base)}, {"head", r.Findings}}
		r.Change = reports.FindingsChange(base, head)
		r.Figures = append(chart.CompareMemoryFigures(base, head), chart.SummaryFigures(head, base)...)
	} else {
		r.Figures = append(chart.MemoryFigures(in.Set), chart.SummaryFigures(in.Set, nil)...)
	}
	r.Params, r.Machine = settings(in.Set)
	r.Ignored = ignored(in.Set, base, head)
	return r, nil
}

// settings lists the run parameters and the machine, as the runs recorded
// them (several values joined when runs differ). A fact no run recorded is
// left out, never guessed.
func settings(set *results.Set) (params, machine [][2]string) {
	vals := map[string][]string{}
	add := func(k, v string) {
		if v != "" && !slices.Contains(vals[k], v) {
			vals[k] = append(vals[k], v)
		}
	}
	recorded := false
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
		if m := r.Machine; m != nil {
			recorded = true
			if m.Cores > 0 {
				add("cores", fmt.Sprint(m.Cores))
			}
			if m.MemoryBytes > 0 {
				add("memory", size.Human(m.MemoryBytes))
			}
			add("kernel", m.Kernel)
			add("Go", m.GoVersion)
			add("Node", m.NodeVersion)
			add("cap mechanism", capMechanism(m.CapMechanism))
			if len(m.LoadAverage) == 3 {
				add("load average at start", fmt.Sprintf("%.2f, %.2f, %.2f (1, 5, 15 min)", m.LoadAverage[0], m.LoadAverage[1], m.LoadAverage[2]))
			}
		}
	}
	for _, k := range []string{"GOMEMLIMIT", "hard cap", "runs per cell", "sampling interval", "timeout", "commit", "shard"} {
		if len(vals[k]) > 0 {
			params = append(params, [2]string{k, strings.Join(vals[k], ", ")})
		}
	}
	for _, k := range []string{"os/arch", "cpu", "cores", "memory", "kernel", "Go", "Node", "cap mechanism", "load average at start"} {
		if len(vals[k]) > 0 {
			machine = append(machine, [2]string{k, strings.Join(vals[k], "; ")})
		}
	}
	if !recorded {
		machine = append(machine, [2]string{"more", "not recorded: this folder was written by a bpbench that did not record cores, memory, kernel or versions"})
	}
	return params, machine
}

// capMechanism names a recorded cap mechanism for a reader.
func capMechanism(m string) string {
	switch m {
	case "cgroup2":
		return "kernel memory cgroup v2 (memory.max)"
	case "cgroup1":
		return "kernel memory cgroup v1 (memory.limit_in_bytes)"
	case "watchdog":
		return "watchdog (RSS)"
	}
	return m
}

// Write builds the report of in and writes report.html, report.md and the
// chart files in plots/ into dir (in's folder, normally), each file whole
// or not at all. It writes nothing else, and returns the files written.
func Write(dir string, in *reports.Input, opts Options) ([]string, error) {
	r, err := Build(in, opts)
	if err != nil {
		return nil, err
	}
	files, err := chart.Files(r.Figures, r.format)
	if err != nil {
		return nil, err
	}
	for _, out := range []struct {
		name  string
		write func(io.Writer) error
	}{{HTMLFile, r.WriteHTML}, {MarkdownFile, r.WriteMarkdown}} {
		var buf bytes.Buffer
		if err := out.write(&buf); err != nil {
			return nil, err
		}
		files = append(files, results.File{Name: out.name, Data: buf.Bytes()})
	}
	// The pages and charts join the result set's manifest: nothing of the
	// user's is overwritten and no symbolic link (plots/ among them) is
	// followed.
	if err := results.WriteReport(dir, files...); err != nil {
		return nil, err
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = filepath.Join(dir, filepath.FromSlash(f.Name))
	}
	return paths, nil
}

var svgHead = regexp.MustCompile(`(?s)^.*?<svg width="[^"]*" height="[^"]*"`)

// inlineSVG renders f for embedding in HTML: no XML prolog, and scaled to
// the page's width through its viewBox.
func inlineSVG(f *chart.Figure) (template.HTML, error) {
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
	"svg": func(r *Report, f *chart.Figure) template.HTML { return r.svgs[f.Name] },
	"tables": func(c *reports.Comparison) []*reports.Table {
		var out []*reports.Table
		for _, t := range c.Tables {
			if slices.Contains([]string{results.UnitPeakRSS, results.UnitMaxBuffered, results.UnitSec, results.UnitOOM, results.UnitTimeToOOM}, t.Unit) {
				out = append(out, t)
			}
		}
		return out
	},
	"cell":  (*reports.Table).CellText,
	"delta": (*reports.Table).DeltaText,
}).Parse(htmlTemplate + ignoredTemplate))

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
	fmt.Fprintf(&b, "# %s\n\n", markdownText(r.Title))
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
	if r.Sides != nil {
		b.WriteString("Change, head against base:\n\n")
		for _, f := range r.Change {
			fmt.Fprintf(&b, "- %s\n", markdownText(f))
		}
		for _, sd := range r.Sides {
			fmt.Fprintf(&b, "\n%s:\n\n", markdownText(sd.Name))
			for _, f := range sd.Findings {
				fmt.Fprintf(&b, "- %s\n", markdownText(f))
			}
		}
	} else {
		for _, f := range r.Findings {
			fmt.Fprintf(&b, "- %s\n", markdownText(f))
		}
	}
	b.WriteString("\n## Summary\n\n")
	reports.WriteSummaryMarkdown(&b, r.Summary)
	r.Ignored.writeMarkdown(&b)
	b.WriteString("\n## Charts\n\n")
	for _, f := range r.Figures {
		fmt.Fprintf(&b, "![%s](%s/%s.%s)\n\n", markdownText(f.Alt), chart.Dir, f.Name, r.format)
	}
	fmt.Fprintf(&b, "## %s side by side\n\n", markdownText(strings.Join(r.Comparison.Columns, " and ")))
	io.WriteString(w, b.String())
	if err := r.Comparison.WriteMarkdown(w); err != nil {
		return err
	}
	b.Reset()
	b.WriteString("\n## Run parameters\n\n")
	for _, p := range r.Params {
		fmt.Fprintf(&b, "- %s: %s\n", p[0], markdownText(p[1]))
	}
	b.WriteString("\n## Machine\n\n")
	for _, p := range r.Machine {
		fmt.Fprintf(&b, "- %s: %s\n", p[0], markdownText(p[1]))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// NoRunsError is Build's error for an input without runs: a results file,
// where a report needs an output folder.
type NoRunsError struct{ Label string }

func (e *NoRunsError) Error() string {
	return e.Label + " is a results file: a report needs an output folder with runs.json and samples/"
}
