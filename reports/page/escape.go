package page

import (
	"strings"
	"unicode"
)

// markdownText escapes s, text a user controls (a folder's name, a
// workload's, a parameter, a command line), for inline text in Markdown:
// a heading, a list item, a table cell or an image's alt text. It renders
// as s does in plain text, and can start nothing: no block (a line break
// becomes a space, so no "# heading" or "> quote" of its own; a leading
// "# ", "- ", "+ " or "1. " is escaped, as it would start one in a list
// item), no raw HTML or autolink (<, > and & as entities), no emphasis,
// code, link, table cell or strike-through (\ ` * _ [ ] | ~ escaped).
func markdownText(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i, c := range s {
		switch {
		case c == '\u2028' || c == '\u2029' || unicode.IsControl(c):
			b.WriteByte(' ')
		case c == '&':
			b.WriteString("&amp;")
		case c == '<':
			b.WriteString("&lt;")
		case c == '>':
			b.WriteString("&gt;")
		case strings.ContainsRune("\\`*_[]|~", c),
			startsBlock(s, i, c):
			b.WriteByte('\\')
			b.WriteRune(c)
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// startsBlock reports whether c, at s[i], is the marker of a block that
// text at the start of a line (or a list item) would open: a heading
// ("# "), a bullet ("- ", "+ ") or an ordered list item ("1. ", "1) ").
// Alone ("-", "#") it could open only an empty one, which is harmless.
func startsBlock(s string, i int, c rune) bool {
	if next := s[i+1:]; next == "" || next[0] != ' ' && next[0] != '\t' {
		return false
	}
	switch c {
	case '#', '-', '+':
		return i == 0
	case '.', ')':
		return i > 0 && strings.Trim(s[:i], "0123456789") == ""
	}
	return false
}
