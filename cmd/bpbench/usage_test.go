package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The verb table is the one source of the usage text: doc.go's usage
// block and the README's verb list are the table's lines (go test
// ./cmd/bpbench -update rewrites them), and bpbench VERB -h lists every
// flag the verb takes.
func TestUsageText(t *testing.T) {
	lines := usageLines()
	for _, f := range []struct {
		path, prefix, start, end string
	}{
		{"doc.go", "//\t", "// Usage:\n//\n", "\n//\n"},
		{"../../README.md", "", "<!-- verbs: generated from cmd/bpbench's table -->\n```\n", "\n```\n"},
	} {
		b, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		i := strings.Index(text, f.start)
		if i < 0 {
			t.Fatalf("%s has no %q to open its verb list", f.path, f.start)
		}
		i += len(f.start)
		j := strings.Index(text[i:], f.end)
		if j < 0 {
			t.Fatalf("%s: the verb list does not end", f.path)
		}
		want := f.prefix + strings.Join(lines, "\n"+f.prefix)
		if got := text[i : i+j]; got != want {
			if *update {
				os.WriteFile(f.path, []byte(text[:i]+want+text[i+j:]), 0o644)
				continue
			}
			t.Errorf("%s's verb list differs from the command table (go test ./cmd/bpbench -update rewrites it):\n%s", f.path, lineDiff(got, want))
		}
	}

	for _, c := range commands() {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{c.name, "-h"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Errorf("bpbench %s -h: exit %d: %s", c.name, code, stderr.String())
		}
		if !strings.HasPrefix(stdout.String(), "Usage: bpbench "+c.name+" "+c.args+"\n") {
			t.Errorf("bpbench %s -h does not open with its usage:\n%s", c.name, stdout.String())
		}
		fs, _ := c.flagSet()
		fs.VisitAll(func(f *flag.Flag) {
			if !regexp.MustCompile(`(?m)^  -` + regexp.QuoteMeta(f.Name) + `[ \t\n]`).MatchString(stdout.String()) {
				t.Errorf("bpbench %s -h does not list -%s", c.name, f.Name)
			}
		})
		// Every flag the usage names is one the verb takes.
		for _, w := range strings.FieldsFunc(c.args, func(r rune) bool { return strings.ContainsRune(" []|.'", r) }) {
			if name, ok := strings.CutPrefix(w, "--"); ok && fs.Lookup(name) == nil {
				t.Errorf("bpbench %s's usage names --%s, which it does not take", c.name, name)
			}
		}
	}
}

// lineDiff shows the lines of got and want that differ, each marked.
func lineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var b strings.Builder
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			b.WriteString("-" + gl + "\n+" + wl + "\n")
		}
	}
	return b.String()
}
