package page

import (
	_ "embed"
	"fmt"
	"strings"
	"unicode"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/internal/size"
	"github.com/bpbench/bpbench/reports"
)

//go:embed ignored.html.tmpl
var ignoredTemplate string

// IgnoredSection is the report's section "Where backpressure was ignored":
// the call sites where runs wrote after write() returned false, pushed
// after push() returned false or added a second drain listener, with what
// each workload, variant and side did there (reports.IgnoredSites), as
// text ready for either page.
type IgnoredSection struct {
	Title string
	Intro string // how to read the counts, when there are rows
	None  string // why there are no rows, when there are none
	Sides bool   // whether Rows name a side
	Rows  []IgnoredRow
}

// IgnoredRow is what the runs of one workload, variant and side did at one
// call site.
type IgnoredRow struct {
	Site, Recorded, Function, What string
	Workload, Variant, Side        string
	Runs                           string // "6 of 6"
	Count                          string // "183,412"
	Bytes                          string // "35.6MiB", or "-"
}

// ignored is the section of the report on in's runs: head's against
// base's when there are sides (base non-nil), else in's alone.
func ignored(in, base, head *results.Set) *IgnoredSection {
	if base == nil {
		head = in
	}
	ig := reports.IgnoredSites(base, head)
	s := &IgnoredSection{Title: "Where backpressure was ignored", Sides: base != nil,
		Intro: "Each call site is the first call of its kind on a stream, as the probe recorded it; the calls after it are counted with it. Counts are per run, the median over the runs that made them."}
	switch {
	case len(ig.Sites) > 0:
	case ig.Reported:
		s.None = "None was seen: no run wrote after write() returned false, pushed after push() returned false or added a second drain listener."
	default:
		s.None = "Not recorded: no run reported writes after false (an external command without the Node preload, or runs of an older bpbench)."
	}
	for _, site := range ig.Sites {
		for _, c := range site.Counts {
			row := IgnoredRow{Site: site.Site, Recorded: site.Recorded, Function: site.Function, What: site.What,
				Workload: c.Workload, Variant: c.Variant, Side: c.Side, Runs: fmt.Sprintf("%d of %d", c.Runs, c.Of), Count: reports.FormatCount(c.Count), Bytes: "-"}
			if c.Bytes > 0 {
				row.Bytes = size.Human(c.Bytes)
			}
			s.Rows = append(s.Rows, row)
		}
	}
	return s
}

// writeMarkdown writes the section for report.md; text a user controls
// (call sites, functions, workload parameters) is escaped.
func (s *IgnoredSection) writeMarkdown(b *strings.Builder) {
	fmt.Fprintf(b, "\n## %s\n\n", s.Title)
	if len(s.Rows) == 0 {
		fmt.Fprintf(b, "%s\n", s.None)
		return
	}
	side, align := "", ""
	if s.Sides {
		side, align = " side |", ":--|"
	}
	fmt.Fprintf(b, "%s\n\n| call site | function | calls | workload | variant |%s runs | calls per run (median) | added per run (median) |\n|:--|:--|:--|:--|:--|%s:--|--:|--:|\n", s.Intro, side, align)
	for _, r := range s.Rows {
		e := reports.EscapeMarkdown
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |", codeSpan(r.Site), codeSpan(r.Function), r.What, e(r.Workload), e(r.Variant))
		if s.Sides {
			fmt.Fprintf(b, " %s |", r.Side)
		}
		fmt.Fprintf(b, " %s | %s | %s |\n", r.Runs, r.Count, r.Bytes)
	}
}

// codeSpan writes s as a Markdown code span in a table cell, so that a
// function named <anonymous> shows as such: fenced with more backticks
// than s holds in a row, its pipes escaped; "" stays empty.
func codeSpan(s string) string {
	if s == "" {
		return ""
	}
	longest, run := 0, 0
	for _, c := range s {
		run++
		if c != '`' {
			run = 0
		}
		longest = max(longest, run)
	}
	fence, pad := strings.Repeat("`", longest+1), ""
	if strings.Contains(s, "`") {
		pad = " "
	}
	// Inside a code span nothing is markup, but a table cell still ends at
	// a bare | (GitHub's tables) and a line break would end the row.
	s = strings.Map(func(c rune) rune {
		if unicode.IsControl(c) || c == '\u2028' || c == '\u2029' {
			return ' '
		}
		return c
	}, s)
	return fence + pad + strings.ReplaceAll(s, "|", `\|`) + pad + fence
}
