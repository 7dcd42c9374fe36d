package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// mixedWarning heads each of Verdict.Warnings.
const mixedWarning = "not comparable, gated anyway (--allow-mixed)"

// Headline is the verdict in one line.
func (v *Verdict) Headline() string {
	if v.Regressed {
		n := len(v.Findings)
		s := "s"
		if n == 1 {
			s = ""
		}
		return fmt.Sprintf("REGRESSION: %d finding%s in %s against %s (%d benchmarks compared)", n, s, v.Head, v.Base, v.Compared)
	}
	return fmt.Sprintf("PASS: no regression in %s against %s (%d benchmarks compared)", v.Head, v.Base, v.Compared)
}

// WriteText writes the verdict for a terminal or CI log.
func (v *Verdict) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", v.Headline())
	for _, w := range v.Warnings {
		fmt.Fprintf(&b, "  WARNING: %s: %s\n", mixedWarning, w)
	}
	for _, f := range v.Findings {
		fmt.Fprintf(&b, "  FAIL %s: %s\n", f.Bench, f.Message)
	}
	v.writeLists(&b, "  ", "", func(s string) string { return s })
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if v.Comparison != nil && len(v.Comparison.Tables) > 0 {
		fmt.Fprintln(w)
		return v.Comparison.WriteText(w)
	}
	return nil
}

func (v *Verdict) writeLists(b *strings.Builder, indent, bullet string, esc func(string) string) {
	list := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(b, "\n%s:\n", title)
		for _, it := range items {
			fmt.Fprintf(b, "%s%s%s\n", indent, bullet, esc(it))
		}
	}
	list("Only in the base (no longer measured)", v.OnlyBase)
	list("Only in the candidate (new, nothing to compare with)", v.OnlyHead)
	list("Notes", v.Notes)
}

// WriteMarkdown writes the verdict for a pull request comment or a job
// summary: the decision first, the reasons, then the tables folded away.
func (v *Verdict) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	icon := "✅"
	if v.Regressed {
		icon = "❌"
	}
	fmt.Fprintf(&b, "### %s bpbench gate: %s\n\n", icon, EscapeMarkdown(v.Headline()))
	for _, w := range v.Warnings {
		fmt.Fprintf(&b, "> ⚠️ **Warning: %s:** %s\n\n", mixedWarning, EscapeMarkdown(w))
	}
	if len(v.Findings) > 0 {
		b.WriteString("| benchmark | check | why |\n|:--|:--|:--|\n")
		for _, f := range v.Findings {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", EscapeMarkdown(f.Bench), f.Kind, EscapeMarkdown(f.Message))
		}
	}
	v.writeLists(&b, "", "- ", EscapeMarkdown)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if v.Comparison != nil && len(v.Comparison.Tables) > 0 {
		fmt.Fprint(w, "\n<details><summary>All metrics</summary>\n\n")
		if err := v.Comparison.WriteMarkdown(w); err != nil {
			return err
		}
		fmt.Fprint(w, "\n</details>\n")
	}
	return nil
}

// WriteJSON writes the verdict as one object.
func (v *Verdict) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Regressed  bool        `json:"regressed"`
		Headline   string      `json:"headline"`
		Base       string      `json:"base"`
		Head       string      `json:"head"`
		Warnings   []string    `json:"warnings"`
		Findings   []Finding   `json:"findings"`
		Notes      []string    `json:"notes"`
		OnlyBase   []string    `json:"only_in_base"`
		OnlyHead   []string    `json:"only_in_head"`
		Comparison *Comparison `json:"comparison"`
	}{v.Regressed, v.Headline(), v.Base, v.Head, orEmpty(v.Warnings), orEmpty(v.Findings), orEmpty(v.Notes), orEmpty(v.OnlyBase), orEmpty(v.OnlyHead), v.Comparison})
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Write writes the verdict in format (text, markdown or json).
func (v *Verdict) Write(w io.Writer, format string) error {
	switch format {
	case FormatMarkdown:
		return v.WriteMarkdown(w)
	case FormatJSON:
		return v.WriteJSON(w)
	}
	return v.WriteText(w)
}
