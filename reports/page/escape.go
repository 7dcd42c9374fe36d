package page

import "github.com/bpbench/bpbench/reports"

// markdownText escapes text a user controls for inline Markdown; see
// reports.EscapeMarkdown, which the gate's verdict and tables use too.
func markdownText(s string) string { return reports.EscapeMarkdown(s) }
