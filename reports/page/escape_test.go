package page

import (
	"bytes"
	"strings"
	"testing"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/reports/internal/reportstest"
)

// Injection strings a crafted runs.json (or a folder's name, a workload's,
// a parameter) could carry into a report.
var injections = []string{
	"<script>alert(1)</script>",
	`<img src=x onerror="alert(1)">`,
	"x\n# ALL CLEAR: PASS",
	"x\r\n\n> quoted | cell | `code` *bold* _em_ [link](http://e.x) ~~gone~~ \\",
	"# heading",
	"1. listed",
	"<https://e.x>",
	"a&lt;b",
}

func TestMarkdownText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"pipeline  hwm=64KiB: 10.4MiB", "pipeline  hwm=64KiB: 10.4MiB"},
		{"x\n# ALL CLEAR: PASS", "x # ALL CLEAR: PASS"},
		{"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"a|b`c*d_e[f]g~h\\i", `a\|b` + "\\`" + `c\*d\_e\[f\]g\~h\\i`},
		{"# h", `\# h`},
		{"- item", `\- item`},
		{"-", "-"},
		{"#x", "#x"},
		{"12. item", `12\. item`},
		{"12) item", `12\) item`},
		{"v1.2", "v1.2"},
		{"a&lt;b", "a&amp;lt;b"},
		{"a\u2028b\tc", "a b c"},
	} {
		if got := markdownText(c.in); got != c.want {
			t.Errorf("markdownText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// Every string a user controls lands in report.md and report.html
// escaped: no raw HTML, no heading or line of its own.
func TestReportEscapesInjection(t *testing.T) {
	for _, inj := range injections {
		set := reportstest.Fixture(2, "", func(r *results.Run) {
			r.Commit, r.CPU, r.Shard = inj, inj, inj
			r.Machine = &results.Machine{Kernel: inj, GoVersion: inj, NodeVersion: inj}
		})
		r, err := Build(load(t, set, "fixture"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		r.Title += inj
		r.Findings = append(r.Findings, inj)
		var md, html bytes.Buffer
		if err := r.WriteMarkdown(&md); err != nil {
			t.Fatal(err)
		}
		if err := r.WriteHTML(&html); err != nil {
			t.Fatal(err)
		}
		checkMarkdown(t, inj, md.String())
		checkHTML(t, inj, html.String())
	}
}

// checkMarkdown fails t if md carries inj's HTML raw or lets it start a
// line of its own.
func checkMarkdown(t *testing.T, inj, md string) {
	t.Helper()
	for _, bad := range []string{"<script", "<img", "<https:", "[link](", "`code`", "*bold*", "~~gone~~", "&lt;b"} {
		if strings.Contains(md, bad) {
			t.Errorf("report.md with %q has %q raw", inj, bad)
		}
	}
	for _, line := range strings.Split(md, "\n") {
		for _, bad := range []string{"# ALL CLEAR", "> quoted", "# heading", "1. listed"} {
			if strings.HasPrefix(line, bad) || strings.HasPrefix(line, "- "+bad) {
				t.Errorf("report.md with %q has a line %q of its own", inj, line)
			}
		}
	}
}

// checkHTML fails t if html carries inj's HTML raw.
func checkHTML(t *testing.T, inj, html string) {
	t.Helper()
	for _, bad := range []string{"<script", "<img", "<https:"} {
		if strings.Contains(html, bad) {
			t.Errorf("report.html with %q has %q raw", inj, bad)
		}
	}
}
