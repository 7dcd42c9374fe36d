package chart

import (
	"strings"
	"unicode"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
)

// printable is a canvas that draws text a user controls (a workload's
// name, a parameter) as printable characters only. gonum escapes text for
// SVG (<, &, quotes) but keeps control characters, which XML forbids: one
// in a name would make the whole SVG unreadable. They are drawn as spaces.
type printable struct{ vg.CanvasSizer }

func (c printable) FillString(f font.Face, pt vg.Point, text string) {
	c.CanvasSizer.FillString(f, pt, printableText(text))
}

// printableText replaces s's control characters with spaces.
func printableText(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
