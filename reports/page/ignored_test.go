package page

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/reports/internal/reportstest"
)

// ignoredSection is the section of a page, from its heading to the next.
var ignoredSection = regexp.MustCompile(`(?s)(<h2 id="ignored">|## Where backpressure was ignored).*?(\n<h2>|\n## )`)

// sectionOf builds the report of set and returns the section of its two
// pages.
func sectionOf(t *testing.T, set *results.Set) (html, md string) {
	t.Helper()
	r, err := Build(load(t, set, "out"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var h, m bytes.Buffer
	if err := r.WriteHTML(&h); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteMarkdown(&m); err != nil {
		t.Fatal(err)
	}
	return ignoredSection.FindString(h.String()), ignoredSection.FindString(m.String())
}

// The section lists each call site with its counts per variant and side;
// what a user controls (a script's path, a function's name) is escaped.
func TestIgnoredSectionGolden(t *testing.T) {
	script := func(r *results.Run) {
		if r.Side == results.SideHead && r.Bench == "LineWriter" && r.Variant == "drain" {
			*r.WritesAfterFalse, *r.BytesAfterFalse, *r.ExtraDrainListeners = 12, 12<<10, 1
			r.Violations = []results.Violation{
				{Kind: results.WriteAfterFalse, Site: "file:///src/a|b/flood.js:12", Function: "<anonymous>", Count: 12, Bytes: 12 << 10},
				{Kind: results.ExtraDrainListener, Site: "file:///src/a|b/flood.js:30", Function: "Socket.onData", Count: 1},
			}
		}
	}
	set := reportstest.Fixture(4, results.SideBase, reportstest.Ignoring)
	head := reportstest.Fixture(4, results.SideHead, reportstest.Then(reportstest.Ignoring, script))
	for _, r := range head.Runs {
		r.Index += len(set.Runs)
		set.Runs = append(set.Runs, r)
	}
	html, md := sectionOf(t, set)
	reportstest.Golden(t, "ignored.html", []byte(html))
	reportstest.Golden(t, "ignored.md", []byte(md))
	for _, want := range []string{"<code>flood.js:12</code>", "&lt;anonymous&gt;", `title="file:///src/a|b/flood.js:12"`, "<td class=\"l\">head</td>"} {
		if !strings.Contains(html, want) {
			t.Errorf("the HTML section lacks %q:\n%s", want, html)
		}
	}
	if !strings.Contains(md, "| `flood.js:12` | `<anonymous>` | writes after write() returned false | linewriter  hwm=64KiB | drain | head | 4 of 4 | 12 | 12.0KiB |") {
		t.Errorf("the Markdown section lacks the head's drain writes:\n%s", md)
	}
}

// Without any, the section says none was seen, or that nothing was
// recorded.
func TestIgnoredSectionNone(t *testing.T) {
	none := func(r *results.Run) {
		reportstest.Ignoring(r)
		*r.WritesAfterFalse, *r.BytesAfterFalse, r.Violations = 0, 0, nil
	}
	html, md := sectionOf(t, reportstest.Fixture(2, "", none))
	if !strings.Contains(html, "None was seen") || !strings.Contains(md, "None was seen") {
		t.Errorf("section without violations:\n%s\n%s", html, md)
	}
	html, md = sectionOf(t, reportstest.Fixture(2, "", nil))
	if !strings.Contains(html, "Not recorded") || !strings.Contains(md, "Not recorded") {
		t.Errorf("section of runs that reported nothing:\n%s\n%s", html, md)
	}
}

func TestCodeSpan(t *testing.T) {
	for in, want := range map[string]string{"": "", "f": "`f`", "a|b": "`a\\|b`", "a`b": "`` a`b ``", "x``y": "``` x``y ```"} {
		if got := codeSpan(in); got != want {
			t.Errorf("codeSpan(%q) = %q, want %q", in, got, want)
		}
	}
}
