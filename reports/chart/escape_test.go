package chart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/bpbench/bpbench/internal/results"
	"github.com/bpbench/bpbench/reports/internal/reportstest"
)

// A name a user controls lands in an SVG chart as text: escaped, and the
// document stays well-formed XML whatever the name holds.
func TestSVGEscapesNames(t *testing.T) {
	for _, name := range []string{
		`<script>alert(1)</script>`,
		`<img src=x onerror="alert(1)">`,
		`a & b "quoted" 'single'`,
		"line\nbreak\x01\x1b[31m\u2028",
	} {
		set := reportstest.Fixture(2, "", func(r *results.Run) {
			r.Workload = name + r.Workload
			r.Params = append(r.Params, results.Param{Key: "sink", Value: name})
		})
		var figs []*Figure
		figs = append(figs, MemoryFigures(set)...)
		figs = append(figs, SummaryFigures(set, nil)...)
		for _, f := range figs {
			b, err := f.SVG()
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range []string{"<script", "<img"} {
				if bytes.Contains(b, []byte(bad)) {
					t.Errorf("%s with %q has %q raw", f.Name, name, bad)
				}
			}
			if err := wellFormed(b); err != nil {
				t.Errorf("%s with %q is not well-formed XML: %v", f.Name, name, err)
			}
			if !strings.Contains(string(b), "alert(1)") && !strings.Contains(string(b), "quoted") && !strings.Contains(string(b), "break") {
				t.Errorf("%s does not show the name %q at all", f.Name, name)
			}
		}
	}
}

// wellFormed reads an XML document to its end.
func wellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
